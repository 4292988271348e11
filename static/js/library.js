// The library (docs/protocol.md, « library.* »): announces documents published while the
// page is open, over the /ws/ socket (the server joins the person's audience groups and
// checks each document again before relaying it), and on the proposal form shows only the
// fields of the chosen kind. Without it the pages work as plain HTML.

import { fill } from "./util.js";

// 4409: too many sockets open for this session or person (docs/protocol.md): never retried.
const CLOSE_FINAL = new Set([4001, 4003, 4401, 4403, 4409, 4451]);
const PING_EVERY_MS = 30000;
const SHOWN = 5;

class LibraryLive {
  constructor(text) {
    this.text = text;
    this.section = document.querySelector("[data-library-live]");
    this.list = document.getElementById("library-live-list");
    this.announcer = document.getElementById("library-announce");
    this.seen = new Set();
    this.attempts = 0;
    this.pinger = null;
    this.connect();
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/`);
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") this.attempts = 0;
      if (frame.type === "library.published") this.show(frame, fill(this.text.published, { title: frame.title }));
      if (frame.type === "library.notification") this.show(frame, frame.text);
    });
    socket.addEventListener("open", () => {
      window.clearInterval(this.pinger);
      this.pinger = window.setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, PING_EVERY_MS);
    });
    socket.addEventListener("close", (event) => {
      window.clearInterval(this.pinger);
      if (CLOSE_FINAL.has(event.code)) return;
      const delay = Math.min(30000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
      this.attempts += 1;
      window.setTimeout(() => this.connect(), delay);
    });
  }

  show(frame, line) {
    // A followed mandate's notification and the news of the same document: say it once.
    if (!frame.document || this.seen.has(frame.document) || !line) return;
    this.seen.add(frame.document);
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = frame.url;
    link.textContent = frame.title || line;
    if (frame.kind && this.text.kinds && this.text.kinds[frame.kind]) {
      const kind = document.createElement("span");
      kind.className = "badge doc-kind";
      kind.textContent = this.text.kinds[frame.kind];
      item.append(link, " ", kind);
    } else {
      item.append(link);
    }
    this.list.prepend(item);
    while (this.list.children.length > SHOWN) this.list.lastElementChild.remove();
    this.section.hidden = false;
    const p = document.createElement("p");
    p.textContent = line;
    this.announcer.replaceChildren(p);
  }
}

// The proposal form: each kind shows its own fields (all of them stay in the HTML without JS).
const FIELDS_BY_KIND = {
  fichier: ["file"],
  lien: ["url"],
  video: ["file", "url"],
  audio: ["file", "url"],
  fiche: ["body"],
  bibliographie: ["url"],
};
const KIND_FIELDS = ["file", "url", "body"];

function kindForm(form) {
  const update = () => {
    const checked = form.querySelector('input[name="kind"]:checked');
    if (!checked) return;
    const shown = FIELDS_BY_KIND[checked.value] || KIND_FIELDS;
    for (const name of KIND_FIELDS) {
      const wrapper = form.querySelector(`[data-field="${name}"]`);
      if (wrapper) wrapper.hidden = !shown.includes(name);
    }
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "kind") update();
  });
  update();
}

const textElement = document.getElementById("library-text");
if (textElement && document.querySelector("[data-library-live]")) {
  window.agoraLibrary = new LibraryLive(JSON.parse(textElement.textContent));
}
const form = document.querySelector("[data-kind-form]");
if (form) kindForm(form);
