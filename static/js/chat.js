// Live chat of a room (docs/protocol.md): sends over the websocket, shows messages as
// they come, reconnects with backoff and resyncs from the last message it saw. The page
// works without it: the server renders the messages and the composer is a plain form.

import { fill, formatDuration, newClientId } from "./util.js";

// 4409: too many sockets open for this session or person (docs/protocol.md): never retried.
const CLOSE_FINAL = new Set([4001, 4003, 4401, 4403, 4409]);
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
    this.attempts = 0;
    this.socket = null;
    this.ready = false;
    this.lastTyping = 0;
    this.typingTimer = null;
    this.toAnnounce = [];
    this.announceTimer = null;
    this.readTimer = null;
    this.liveMarker = null;
    this.dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || "fr", {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
    this.bind();
    this.scrollToStart();
    this.connect();
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

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/`);
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onFrame(frame);
    });
    socket.addEventListener("close", (event) => this.onClose(event));
  }

  send(frame) {
    if (this.socket && this.ready && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  onClose(event) {
    const wasReady = this.ready;
    this.ready = false;
    if (CLOSE_FINAL.has(event.code)) {
      this.setStatus(this.text.offline);
      if (event.code === 4401 || event.code === 4403) window.location.reload();
      return;
    }
    if (wasReady || this.attempts > 1) this.setStatus(this.text.offline);
    // Exponential backoff with jitter: a restarted server is not stampeded.
    const delay = Math.min(30000, 500 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts += 1;
    window.setTimeout(() => this.connect(), delay);
  }

  onFrame(frame) {
    switch (frame.type) {
      case "hello":
        this.ready = true;
        this.send({ type: "subscribe", room: this.roomId });
        break;
      case "subscribed":
        if (frame.room !== this.roomId) break;
        if (this.attempts > 0) this.setStatus(this.text.online, true);
        this.attempts = 0;
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
    const empty = this.root.querySelector(".chat__empty");
    if (empty) empty.remove();
    this.log.append(this.render(message, stick));
    if (live && !mine) {
      this.announce(message.author.name);
      this.typingLine.textContent = ""; // they stopped typing: the message is here
    }
    if (stick) this.scrollToBottom();
    this.markRead();
  }

  updateMessage(message) {
    const current = document.getElementById(`m${message.id}`);
    if (current) current.replaceWith(this.render(message, this.nearBottom()));
  }

  showOlder(messages, hasMore) {
    const first = this.log.firstElementChild;
    const before = this.log.scrollHeight;
    const fragment = document.createDocumentFragment();
    for (const message of messages) {
      if (message.thread === this.threadId && !document.getElementById(`m${message.id}`)) {
        fragment.append(this.render(message));
      }
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
    const beforeHeight = this.log.scrollHeight;
    this.log.prepend(...items);
    this.log.scrollTop += this.log.scrollHeight - beforeHeight;
    this.afterOlder(items.length >= 50);
  }

  render(message, stick = false) {
    const item = document.createElement("li");
    item.className = "msg";
    item.id = `m${message.id}`;
    item.dataset.id = String(message.id);
    if (message.author && message.author.id === this.userId) item.classList.add("msg--mine");
    if (message.hidden) item.classList.add("msg--hidden");
    const meta = document.createElement("p");
    meta.className = "msg__meta";
    const author = document.createElement("span");
    author.className = "msg__author";
    author.textContent = message.author ? message.author.name : "";
    meta.append(author);
    // Staff names carry their role, live as on the server-rendered page
    // (templates/forums/_message.html, accounts.names): a look-alike name has none.
    const role = message.author && message.author.role;
    if (role && this.text[`role_${role}`]) {
      const badge = document.createElement("span");
      badge.className = "badge badge--role";
      badge.title = this.text[`role_title_${role}`] || "";
      badge.textContent = this.text[`role_${role}`];
      meta.append(badge);
    }
    const time = document.createElement("time");
    time.dateTime = message.created_at;
    time.textContent = this.dateFormat.format(new Date(message.created_at));
    meta.append(" ", time);
    if (message.edited_at && !message.deleted) {
      const edited = document.createElement("span");
      edited.className = "muted";
      edited.textContent = ` ${this.text.edited}`;
      meta.append(edited);
    }
    item.append(meta);
    if (message.deleted || (message.hidden && !message.body_html)) {
      const note = document.createElement("p");
      note.className = "msg__note";
      note.textContent = message.deleted ? this.text.deleted : this.text.hidden;
      item.append(note);
      return item;
    }
    for (const file of message.attachments || []) {
      if (file.kind !== "voice") continue;
      const box = document.createElement("div");
      box.className = "msg__voice";
      const audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "metadata";
      audio.src = file.url;
      // The player grows once its metadata loads: stay at the bottom if we were there.
      audio.addEventListener("loadedmetadata", () => { if (stick) this.scrollToBottom(); });
      const duration = document.createElement("span");
      duration.className = "msg__duration";
      duration.textContent = `${this.text.voice_message}, ${formatDuration(file.duration_seconds, this.text)}`;
      box.append(audio, duration);
      const label = document.createElement("p");
      label.className = "msg__transcript-label";
      label.textContent = this.text.transcript;
      item.append(box, label);
    }
    const body = document.createElement("div");
    body.className = "msg__body";
    body.innerHTML = message.body_html; // sanitized by the server (forums.sanitize)
    item.append(body);
    const more = document.createElement("a");
    more.className = "msg__more";
    more.href = `/discussions/message/${message.id}/`;
    more.textContent = this.text.report;
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = ` — ${fill(this.text.message_from, { name: author.textContent })}`;
    more.append(hidden);
    item.append(more);
    return item;
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
