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
        if (status) {
          const p = document.createElement("p");
          p.textContent = frame.text;
          status.replaceChildren(p);
        }
      }
    },
  });
}
