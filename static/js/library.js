// The library (docs/protocol.md, « library.* »): announces documents published while the
// page is open, over the /ws/ socket (the server joins the person's audience groups and
// checks each document again before relaying it), and on the proposal form shows only the
// fields of the chosen kind. Without it the pages work as plain HTML. The socket, its
// reconnects and close codes are socket.js's.

import { fill } from "./util.js";
import { liveSocket } from "./socket.js";

const SHOWN = 5;

class LibraryLive {
  constructor(text) {
    this.text = text;
    this.section = document.querySelector("[data-library-live]");
    this.list = document.getElementById("library-live-list");
    this.announcer = document.getElementById("library-announce");
    this.seen = new Set();
    this.live = liveSocket();
    this.live.listen({
      frame: (frame) => {
        if (frame.type === "library.published") this.show(frame, fill(this.text.published, { title: frame.title }));
        if (frame.type === "library.notification") this.show(frame, frame.text);
      },
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
