// The bell (templates/notifications/_bell_link.html): keeps the unread count of the header
// live from the /ws/ socket (docs/protocol.md, « inbox.* »), and says a new notification
// politely to screen readers. Without it the bell shows the count of the page's load.
// The socket, its reconnects and close codes are socket.js's.

import { liveSocket } from "./socket.js";

const bell = document.querySelector("[data-inbox]");
const badge = bell && bell.querySelector("[data-inbox-count]");
const status = document.querySelector("[data-inbox-status]");

function label(unread) {
  if (!unread) return bell.dataset.labelNone;
  if (unread === 1) return bell.dataset.labelOne;
  return bell.dataset.labelMany.replace("{count}", String(unread));
}

function show(unread) {
  const n = Math.max(0, Number(unread) || 0);
  badge.textContent = String(n);
  badge.hidden = n === 0;
  bell.setAttribute("aria-label", label(n));
  bell.classList.toggle("bell--unread", n > 0);
}

// Polite and throttled: at most one sentence every few seconds; what came meanwhile is
// said as one summary (« 3 nouvelles notifications »), never as a queue of sentences.
const SAY_GAP_MS = 5000;
let lastSaid = 0;
let waiting = [];
let sayTimer = null;

function speak(text) {
  lastSaid = Date.now();
  const p = document.createElement("p");
  p.textContent = text;
  status.replaceChildren(p);
}

function say(text) {
  waiting.push(text);
  if (sayTimer) return;
  const wait = Math.max(0, lastSaid + SAY_GAP_MS - Date.now());
  sayTimer = window.setTimeout(() => {
    sayTimer = null;
    const texts = waiting;
    waiting = [];
    if (texts.length === 1) speak(texts[0]);
    else speak(status.dataset.many.replace("{count}", String(texts.length)));
  }, wait);
}

if (bell && badge) {
  liveSocket().listen({
    // After every hello (first one and each reconnect): the exact figure.
    ready: (hello) => {
      if (hello.inbox) show(hello.inbox.unread);
    },
    frame: (frame) => {
      if (frame.type === "inbox.count") show(frame.unread);
      if (frame.type === "inbox.new") {
        show(frame.unread);
        if (status) say(frame.text);
      }
    },
  });
}
