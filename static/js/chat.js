// Live chat of a room (docs/protocol.md): sends over the page's socket (socket.js), shows
// messages as they come and resyncs from the last message it saw after a reconnect. Every
// message is the server's rendering of templates/forums/_message.html (`message.html`), the
// same as on first load; only what depends on the reader is set here (`personalise`). The
// page works without it: the server renders the messages and the composer is a plain form.

import { fill, newClientId } from "./util.js";
import { liveSocket } from "./socket.js";

const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;
const ANNOUNCE_AFTER_MS = 1500;


class Chat {
  constructor(root) {
    this.root = root;
    this.text = JSON.parse(document.getElementById("chat-text").textContent);
    this.roomId = root.dataset.room;
    this.threadId = root.dataset.thread;
    this.userId = root.dataset.user;
    this.lastId = Number(root.dataset.lastId) || 0;
    this.log = document.getElementById("chat-log");
    this.status = document.getElementById("chat-status");
    this.typingLine = document.getElementById("chat-typing");
    this.announcer = document.getElementById("chat-announce");
    this.form = document.getElementById("composer");
    this.textarea = this.form ? this.form.querySelector("textarea") : null;
    this.pending = new Map(); // client_id -> frame, until the server acknowledges it
    this.moderate = root.dataset.moderate === "true";
    this.lang = document.documentElement.lang || "fr";
    this.down = false;
    this.lastTyping = 0;
    this.typingTimer = null;
    this.toAnnounce = [];
    this.announceTimer = null;
    this.readTimer = null;
    this.liveMarker = null;
    this.live = liveSocket();
    this.bind();
    for (const item of this.log.querySelectorAll("li[data-id]")) this.personalise(item);
    this.scrollToStart();
    this.live.listen({
      ready: () => this.onReady(),
      frame: (frame) => this.onFrame(frame),
      down: (event) => this.onDown(event),
    });
  }

  get ready() {
    return this.live.ready;
  }

  get socket() {
    return this.live.socket;
  }

  bind() {
    if (this.form) {
      this.form.addEventListener("submit", (event) => this.onSubmit(event));
      this.textarea.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.form.requestSubmit();
        }
      });
      this.textarea.addEventListener("input", () => this.onInput());
    }
    const older = this.root.querySelector(".chat__older a");
    if (older) older.addEventListener("click", (event) => this.loadOlder(event, older));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.markRead();
    });
    this.log.addEventListener("scroll", () => {
      if (this.nearBottom()) this.markRead();
    });
    // A voice message sent over HTTP (voice.js) shows at once, even with the socket down.
    document.addEventListener("chat:message", (event) => this.showMessage(event.detail, true));
  }

  // --- Socket ------------------------------------------------------------------

  send(frame) {
    return this.live.send(frame);
  }

  onReady() {
    this.send({ type: "subscribe", room: this.roomId });
  }

  onDown({ final, wasReady, attempts }) {
    if (final || wasReady || attempts > 1) this.setStatus(this.text.offline);
    this.down = true;
  }

  onFrame(frame) {
    switch (frame.type) {
      case "subscribed":
        if (frame.room !== this.roomId) break;
        if (this.down) this.setStatus(this.text.online, true);
        this.down = false;
        this.send({ type: "resync", room: this.roomId, after: this.lastId });
        for (const pending of this.pending.values()) this.send(pending);
        break;
      case "message":
        if (frame.room === this.roomId) this.showMessage(frame.message, true);
        break;
      case "message.updated":
        if (frame.room === this.roomId) this.updateMessage(frame.message);
        break;
      case "resync":
        if (frame.room !== this.roomId) break;
        for (const message of frame.messages) this.showMessage(message, true);
        if (frame.has_more && frame.messages.length) {
          this.send({ type: "resync", room: this.roomId, after: this.lastId });
        }
        break;
      case "history":
        if (frame.room === this.roomId) this.showOlder(frame.messages, frame.has_more);
        break;
      case "typing":
        if (frame.room === this.roomId) this.showTyping(frame.user);
        break;
      case "notification":
        // A mention or direct message elsewhere: said politely and shown briefly;
        // this room's own messages already show (and announce) themselves.
        if (frame.room !== this.roomId && frame.text) this.showNotification(frame.text);
        break;
      case "error":
        if (frame.client_id && this.pending.has(frame.client_id)) {
          this.pending.delete(frame.client_id);
          this.setStatus(frame.detail || this.text.send_failed);
        }
        break;
      default:
        break;
    }
  }

  // --- Sending -----------------------------------------------------------------

  onSubmit(event) {
    const body = this.textarea.value.trim();
    if (!body) {
      event.preventDefault();
      return;
    }
    if (!this.ready) {
      // No socket: the plain form posts, with a fresh client_id so it stays idempotent.
      this.form.querySelector('input[name="client_id"]').value = newClientId();
      return;
    }
    event.preventDefault();
    const frame = {
      type: "message.send", room: this.roomId, thread: this.threadId, body,
      client_id: newClientId(),
    };
    this.pending.set(frame.client_id, frame);
    this.send(frame);
    this.textarea.value = "";
    this.textarea.focus();
  }

  onInput() {
    const now = Date.now();
    if (this.textarea.value && now - this.lastTyping > TYPING_EVERY_MS) {
      this.lastTyping = now;
      this.send({ type: "typing", room: this.roomId });
    }
  }

  // --- Showing -----------------------------------------------------------------

  showMessage(message, live) {
    if (!message || typeof message.id !== "number") return;
    this.lastId = Math.max(this.lastId, message.id);
    if (message.client_id) this.pending.delete(message.client_id);
    if (message.thread !== this.threadId) return; // a forum topic of the same room
    if (document.getElementById(`m${message.id}`)) {
      this.updateMessage(message);
      return;
    }
    const mine = message.author && message.author.id === this.userId;
    const stick = mine || this.nearBottom();
    if (live && !mine && (document.hidden || !stick)) this.addLiveMarker();
    const item = this.render(message, stick);
    if (!item) return;
    const empty = this.root.querySelector(".chat__empty");
    if (empty) empty.remove();
    this.log.append(item);
    if (live && !mine) {
      this.announce(message.author.name);
      this.typingLine.textContent = ""; // they stopped typing: the message is here
    }
    if (stick) this.scrollToBottom();
    this.markRead();
  }

  updateMessage(message) {
    const current = document.getElementById(`m${message.id}`);
    const item = current && this.render(message, this.nearBottom());
    if (item) current.replaceWith(item);
  }

  showOlder(messages, hasMore) {
    const first = this.log.firstElementChild;
    const before = this.log.scrollHeight;
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      const item = message.thread === this.threadId && !document.getElementById(`m${message.id}`)
        && this.render(message);
      if (item) fragment.append(item);
    }
    this.log.insertBefore(fragment, first);
    this.log.scrollTop += this.log.scrollHeight - before;
    this.afterOlder(hasMore);
  }

  afterOlder(hasMore) {
    const link = this.root.querySelector(".chat__older a");
    if (!link) return;
    const oldest = this.log.querySelector("li[data-id]");
    if (!hasMore || !oldest) {
      link.parentElement.textContent = this.text.no_earlier;
      return;
    }
    link.dataset.before = oldest.dataset.id;
    link.href = `${this.root.dataset.olderUrl}?before=${oldest.dataset.id}`;
  }

  async loadOlder(event, link) {
    event.preventDefault();
    const before = Number(link.dataset.before);
    if (this.send({ type: "history", room: this.roomId, thread: this.threadId, before })) return;
    const url = `${this.root.dataset.olderUrl}?before=${before}&thread=${this.threadId}&fragment=1`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const holder = document.createElement("ol");
    holder.innerHTML = await response.text(); // our own server-rendered, sanitized fragment
    const items = Array.from(holder.children);
    for (const item of items) if (item.dataset.id) this.personalise(item);
    const beforeHeight = this.log.scrollHeight;
    this.log.prepend(...items);
    this.log.scrollTop += this.log.scrollHeight - beforeHeight;
    this.afterOlder(items.length >= 50);
  }

  // The server's own rendering of the message (forums.queries.message_html), in the
  // page's language; parsed, never built here, so it cannot drift from the page's.
  render(message, stick = false) {
    const html = message.html && (message.html[this.lang] || Object.values(message.html)[0]);
    if (!html) return null;
    const holder = document.createElement("template");
    holder.innerHTML = html; // our own server-rendered fragment (bodies sanitized by forums.sanitize)
    const item = holder.content.firstElementChild;
    if (item) this.personalise(item, stick);
    return item;
  }

  // What the shared rendering leaves to the reader: their own messages, and the moderation
  // link for the room's moderators. Server-rendered items already have both (no change).
  personalise(item, stick = false) {
    if (item.dataset.author === this.userId) item.classList.add("msg--mine");
    const moderate = item.querySelector(".msg__moderate");
    if (moderate) moderate.hidden = !this.moderate;
    for (const audio of item.querySelectorAll("audio")) {
      // The player grows once its metadata loads: stay at the bottom if we were there.
      audio.addEventListener("loadedmetadata", () => { if (stick) this.scrollToBottom(); });
    }
  }

  addLiveMarker() {
    if (this.liveMarker && this.liveMarker.isConnected) return;
    const old = document.getElementById("nouveaux");
    if (old) old.remove();
    const marker = document.createElement("li");
    marker.className = "chat__marker";
    marker.id = "nouveaux";
    marker.setAttribute("role", "separator");
    const label = document.createElement("span");
    label.textContent = this.text.new_messages;
    marker.append(label);
    this.log.append(marker);
    this.liveMarker = marker;
  }

  // Polite, grouped announcements: a busy room does not talk over the reader.
  announce(name) {
    this.toAnnounce.push(name);
    if (this.announceTimer) return;
    this.announceTimer = window.setTimeout(() => {
      const names = [...new Set(this.toAnnounce)];
      const count = this.toAnnounce.length;
      this.toAnnounce = [];
      this.announceTimer = null;
      const line = count === 1
        ? fill(this.text.new_message_from, { name: names[0] })
        : `${this.text.new_messages} (${count}) : ${names.join(", ")}`;
      const p = document.createElement("p");
      p.textContent = line;
      this.announcer.replaceChildren(p);
    }, ANNOUNCE_AFTER_MS);
  }

  showNotification(text) {
    const p = document.createElement("p");
    p.textContent = text;
    this.announcer.replaceChildren(p);
    this.setStatus(text, true);
  }

  showTyping(user) {
    if (!user || user.id === this.userId) return;
    this.typingLine.textContent = fill(this.text.typing, { name: user.name });
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      this.typingLine.textContent = "";
    }, TYPING_SHOWN_MS);
  }

  setStatus(text, fade) {
    this.status.hidden = false;
    this.status.textContent = text;
    if (fade) window.setTimeout(() => { this.status.hidden = true; }, 4000);
  }

  markRead() {
    if (document.hidden || !this.lastId) return;
    window.clearTimeout(this.readTimer);
    this.readTimer = window.setTimeout(() => {
      this.send({ type: "read", thread: this.threadId, up_to: this.lastIdInThread() });
    }, 800);
  }

  lastIdInThread() {
    const items = this.log.querySelectorAll("li[data-id]");
    return items.length ? Number(items[items.length - 1].dataset.id) : this.lastId;
  }

  nearBottom() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  }

  scrollToBottom() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  scrollToStart() {
    const marker = document.getElementById("nouveaux");
    if (marker) this.log.scrollTop = marker.offsetTop - this.log.offsetTop - 16;
    else this.scrollToBottom();
  }
}

const root = document.querySelector(".chat[data-room]");
if (root) window.agoraChat = new Chat(root);
