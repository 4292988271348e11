// Live chat of a room (docs/protocol.md): sends over the page's socket (socket.js), shows
// messages as they come and resyncs from the last message it saw after a reconnect. Every
// message is the server's rendering of templates/forums/_message.html (`message.html`), the
// same as on first load; only what depends on the reader is set here (`personalise`). The
// page works without it: the server renders the messages and the composer is a plain form.
//
// What one does to a message (react, reply, copy its link, mark it unread, edit and delete
// one's own) goes through the socket's frames when it is up (docs/protocol.md), else through
// the same HTTP addresses the no-JS message page posts to (forums/views_chat.py). Files go
// over HTTP (multipart), through the library's checks on the server.

import { fill, newClientId } from "./util.js";
import { liveSocket } from "./socket.js";

const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;
const ANNOUNCE_AFTER_MS = 1500;
const ANNOUNCE_GAP_MS = 5000; // a busy room speaks at most once every 5 s, in a summary
const COUNT_FROM = 0.9; // the character counter shows from 90 % of the limit
const NARROW = "(max-width: 40rem)";


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
    this.lastAnnounced = 0;
    this.readTimer = null;
    this.liveMarker = null;
    this.canWrite = root.dataset.write === "true";
    this.maxLength = Number(root.dataset.maxLength) || 4000;
    this.fileMaxBytes = Number(root.dataset.fileMaxBytes) || 10 * 1024 * 1024;
    this.fileMaxCount = Number(root.dataset.fileMaxCount) || 5;
    this.csrf = (document.querySelector("#chat-csrf") || {}).value || "";
    this.unseen = 0;
    this.unseenButton = document.getElementById("chat-unseen");
    this.picker = document.getElementById("reaction-picker");
    this.pickerFor = null;
    this.replyTo = null;
    this.editing = null;
    this.holdRead = false; // after « mark as unread », until one writes again
    this.files = [];
    this.countLevel = "";
    this.online = new Set([this.userId]);
    this.live = liveSocket();
    this.bind();
    this.bindMessages();
    this.bindComposer();
    for (const item of this.log.querySelectorAll("li[data-id]")) this.personalise(item);
    this.showPresence();
    this.fitScreen();
    this.scrollToStart();
    this.watchTranscripts();
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
      if (this.nearBottom()) {
        this.markRead();
        this.clearUnseen();
      }
    });
    this.unseenButton.addEventListener("click", () => {
      this.scrollToBottom();
      this.clearUnseen();
      this.log.focus({ preventScroll: true });
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
        for (const person of frame.present || []) this.online.add(person.id);
        this.showPresence();
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
      case "transcript.progress":
        if (frame.room === this.roomId) this.showTranscriptProgress(frame);
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
      case "presence":
        if (frame.room !== this.roomId) break;
        for (const person of frame.users || []) {
          if (frame.online) this.online.add(person.id);
          else if (person.id !== this.userId) this.online.delete(person.id);
        }
        this.showPresence();
        break;
      case "notification":
        // A mention or direct message elsewhere: said politely and shown briefly;
        // this room's own messages already show (and announce) themselves.
        if (frame.room !== this.roomId && frame.text) this.showNotification(frame.text);
        break;
      case "error":
        if (frame.client_id && this.pending.has(frame.client_id)) {
          // Refused: the text comes back in the composer, nothing is lost.
          const refused = this.pending.get(frame.client_id);
          this.pending.delete(frame.client_id);
          if (this.textarea && !this.textarea.value) this.textarea.value = refused.body;
          this.showError(frame.detail || this.text.send_failed);
        } else if (frame.frame === "edit" && this.lastEdit) {
          this.startEdit(this.lastEdit.id, this.lastEdit.body);
          this.showError(frame.detail || this.text.edit_failed);
        } else if (["react", "delete"].includes(frame.frame)) {
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
    if (body.length > this.maxLength) {
      // Never cut: the writer decides what goes.
      event.preventDefault();
      this.showError(fill(this.text.chars_over, { over: body.length - this.maxLength }));
      this.textarea.focus();
      return;
    }
    if (this.editing) {
      event.preventDefault();
      if (body) this.sendEdit(this.editing, body);
      return;
    }
    if (this.files.length) {
      event.preventDefault();
      this.sendFiles(body);
      return;
    }
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
    if (this.replyTo) frame.reply_to = this.replyTo;
    this.pending.set(frame.client_id, frame);
    this.send(frame);
    this.afterSent();
  }

  afterSent() {
    this.textarea.value = "";
    this.clearContext();
    this.clearFiles();
    this.showError("");
    this.updateCount();
    this.holdRead = false;
    this.textarea.focus();
  }

  async sendFiles(body) {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", this.csrf);
    data.append("body", body);
    data.append("client_id", newClientId());
    if (this.replyTo) data.append("reply_to", this.replyTo);
    for (const file of this.files) data.append("files", file);
    this.setStatus(this.text.sending_files);
    const answer = await this.post(this.root.dataset.sendUrl, data);
    this.status.hidden = true;
    if (answer && answer.message) {
      this.showMessage(answer.message, false);
      this.afterSent();
    } else {
      this.showError((answer && answer.error) || this.text.send_failed);
    }
  }

  // A POST to one of the chat's HTTP addresses; the JSON answer, or null.
  async post(url, data) {
    if (!(data instanceof FormData)) {
      const form = new FormData();
      for (const [key, value] of Object.entries(data)) form.append(key, value);
      data = form;
    }
    if (!data.has("csrfmiddlewaretoken")) data.append("csrfmiddlewaretoken", this.csrf);
    try {
      const response = await fetch(url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (type.includes("application/json")) return await response.json();
      return response.ok ? {} : { error: this.text.send_failed };
    } catch {
      return null;
    }
  }

  showError(text) {
    const error = document.getElementById("composer-error");
    if (!error) {
      if (text) this.setStatus(text);
      return;
    }
    error.textContent = text;
    error.hidden = !text;
    if (this.textarea) {
      if (text) this.textarea.setAttribute("aria-invalid", "true");
      else this.textarea.removeAttribute("aria-invalid");
    }
  }

  onInput() {
    this.updateCount();
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
    else if (live && !mine) this.addUnseen();
    this.markRead();
  }

  updateMessage(message) {
    const current = document.getElementById(`m${message.id}`);
    const item = current && this.render(message, this.nearBottom());
    if (!item) return;
    // Keep the reader's place: the focus moves to the same control of the new rendering.
    const focused = current.contains(document.activeElement) ? document.activeElement : null;
    const key = focused && (focused.dataset.action || focused.dataset.emoji);
    current.replaceWith(item);
    if (key) {
      const again = item.querySelector(`[data-action="${key}"], [data-emoji="${key}"]`);
      if (again && !again.hidden) again.focus({ preventScroll: true });
    }
    if (this.pickerFor === String(message.id) && !this.picker.hidden) {
      this.pickerButton = item.querySelector('[data-action="react"]');
    }
  }

  addUnseen() {
    this.unseen += 1;
    const many = this.unseen > 1 ? this.text.unseen_many : this.text.unseen_one;
    this.unseenButton.textContent = fill(many, { count: this.unseen });
    this.unseenButton.hidden = false;
  }

  clearUnseen() {
    this.unseen = 0;
    this.unseenButton.hidden = true;
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
    const mine = item.dataset.author === this.userId;
    if (mine) item.classList.add("msg--mine");
    const moderate = item.querySelector(".msg__moderate");
    if (moderate) moderate.hidden = !this.moderate;
    const tools = item.querySelector(".msg__js");
    if (tools) tools.hidden = false;
    for (const button of item.querySelectorAll(".msg__own")) {
      button.hidden = !(mine || (this.moderate && button.classList.contains("msg__moderator")));
    }
    if (!mine || !this.canWrite) {
      const edit = item.querySelector('[data-action="edit"]');
      if (edit) edit.hidden = true;
    }
    if (!this.canWrite) {
      for (const action of ["react", "reply"]) {
        const button = item.querySelector(`[data-action="${action}"]`);
        if (button) button.hidden = true;
      }
    }
    for (const pill of item.querySelectorAll(".reaction")) {
      const reactors = (pill.dataset.reactors || "").split(" ");
      pill.setAttribute("aria-pressed", reactors.includes(this.userId) ? "true" : "false");
      if (!this.canWrite) pill.disabled = true;
    }
    for (const image of item.querySelectorAll("img")) {
      image.addEventListener("load", () => { if (stick) this.scrollToBottom(); });
    }
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
    const wait = Math.max(ANNOUNCE_AFTER_MS, this.lastAnnounced + ANNOUNCE_GAP_MS - Date.now());
    this.announceTimer = window.setTimeout(() => {
      this.lastAnnounced = Date.now();
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
    }, wait);
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
    window.clearTimeout(this.statusTimer); // an earlier line's fade must not hide this one
    if (fade) this.statusTimer = window.setTimeout(() => { this.status.hidden = true; }, 4000);
  }

  markRead() {
    if (document.hidden || !this.lastId || this.holdRead) return;
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
    const target = this.root.dataset.target && document.getElementById(`m${this.root.dataset.target}`);
    if (target) {
      this.highlight(target);
      return;
    }
    const marker = document.getElementById("nouveaux");
    if (marker) this.log.scrollTop = marker.offsetTop - this.log.offsetTop - 16;
    else this.scrollToBottom();
  }
  // --- Actions on a message ------------------------------------------------------

  bindMessages() {
    this.log.addEventListener("click", (event) => {
      const quote = event.target.closest(".msg__quote");
      if (quote) {
        const original = document.getElementById(`m${quote.dataset.target}`);
        if (original) {
          event.preventDefault();
          this.highlight(original);
        }
        return;
      }
      const pill = event.target.closest(".reaction");
      if (pill) {
        const item = pill.closest("li[data-id]");
        this.react(item.dataset.id, pill.dataset.emoji, pill.getAttribute("aria-pressed") !== "true");
        return;
      }
      const button = event.target.closest("[data-action]");
      if (!button) return;
      const item = button.closest("li[data-id]");
      const id = item.dataset.id;
      switch (button.dataset.action) {
        case "react": this.openPicker(button, id); break;
        case "reply": this.startReply(item); break;
        case "link": this.copyLink(button.dataset.url); break;
        case "unread": this.markUnread(item, button.dataset.url); break;
        case "edit": this.fetchEdit(id, button.dataset.url); break;
        case "delete": this.deleteMessage(id); break;
        case "retry-transcript": this.retryTranscript(button); break;
        default: break;
      }
    });
    // On a touch screen nothing hovers: a tap on a message shows its actions.
    this.log.addEventListener("pointerup", (event) => {
      if (event.pointerType !== "touch" || event.target.closest("a, button, audio")) return;
      const item = event.target.closest("li[data-id]");
      for (const other of this.log.querySelectorAll(".msg--active")) {
        if (other !== item) other.classList.remove("msg--active");
      }
      if (item) item.classList.toggle("msg--active");
    });
    if (!this.picker) return;
    this.picker.addEventListener("click", (event) => {
      const choice = event.target.closest("[data-emoji]");
      if (!choice || !this.pickerFor) return;
      const item = document.getElementById(`m${this.pickerFor}`);
      const pill = item && item.querySelector(`.reaction[data-emoji="${choice.dataset.emoji}"]`);
      const add = !(pill && pill.getAttribute("aria-pressed") === "true");
      this.react(this.pickerFor, choice.dataset.emoji, add);
      this.closePicker(true);
    });
    this.picker.addEventListener("keydown", (event) => {
      const choices = Array.from(this.picker.querySelectorAll("button"));
      const index = choices.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        this.closePicker(true);
      } else if (["ArrowRight", "ArrowDown"].includes(event.key)) {
        event.preventDefault();
        choices[(index + 1) % choices.length].focus();
      } else if (["ArrowLeft", "ArrowUp"].includes(event.key)) {
        event.preventDefault();
        choices[(index - 1 + choices.length) % choices.length].focus();
      } else if (event.key === "Tab") {
        this.closePicker(false);
      }
    });
    this.log.addEventListener("scroll", () => this.closePicker(false));
    document.addEventListener("click", (event) => {
      if (this.picker.hidden || this.picker.contains(event.target)
          || event.target.closest('[data-action="react"]')) return;
      this.closePicker(false);
    });
  }

  openPicker(button, id) {
    if (!this.picker.hidden && this.pickerFor === id) {
      this.closePicker(true);
      return;
    }
    this.closePicker(false);
    this.pickerFor = id;
    this.pickerButton = button;
    button.setAttribute("aria-expanded", "true");
    this.picker.hidden = false;
    const box = button.getBoundingClientRect();
    const width = this.picker.offsetWidth;
    // Fixed to the screen, beside the button (above it when there is room).
    const left = Math.max(8, Math.min(box.left, document.documentElement.clientWidth - width - 8));
    const above = box.top - this.picker.offsetHeight - 6;
    const top = above > 8 ? above : box.bottom + 6;
    this.picker.style.setProperty("--picker-left", `${left}px`);
    this.picker.style.setProperty("--picker-top", `${top}px`);
    this.picker.querySelector("button").focus();
  }

  closePicker(refocus) {
    if (!this.picker || this.picker.hidden) return;
    this.picker.hidden = true;
    const button = this.pickerButton;
    this.pickerFor = null;
    if (button && button.isConnected) {
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
  }

  async react(id, emoji, add) {
    const message = Number(id);
    if (this.send({ type: "react", message, emoji, add })) {
      this.announceNow(add ? this.text.reacted : this.text.unreacted);
      return;
    }
    const answer = await this.post(`${this.messageBase(id)}reagir/`, { emoji, add: add ? "1" : "0" });
    if (answer && answer.error) this.setStatus(answer.error);
    else this.announceNow(add ? this.text.reacted : this.text.unreacted);
  }

  messageBase(id) {
    // The message's addresses share one prefix: /discussions/message/<id>/.
    const link = document.querySelector(`#m${id} [data-action="link"]`);
    return link ? link.dataset.url.replace(/lien\/$/, "") : `/discussions/message/${id}/`;
  }

  startReply(item) {
    this.editing = null;
    this.replyTo = Number(item.dataset.id);
    const name = item.dataset.name || "";
    const body = item.querySelector(".msg__body");
    const excerpt = body ? body.textContent.trim().slice(0, 100) : "";
    this.setContext(`${fill(this.text.replying_to, { name })}${excerpt ? ` : « ${excerpt} »` : ""}`);
  }

  async fetchEdit(id, url) {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const answer = await response.json();
      this.startEdit(Number(id), answer.body);
    } catch {
      this.setStatus(this.text.edit_failed);
    }
  }

  startEdit(id, body) {
    this.replyTo = null;
    this.editing = id;
    this.draftBeforeEdit = this.textarea.value;
    this.textarea.value = body;
    this.setContext(this.text.editing);
    this.updateCount();
    this.textarea.focus();
    this.textarea.setSelectionRange(body.length, body.length);
  }

  async sendEdit(id, body) {
    this.lastEdit = { id, body };
    const restore = this.draftBeforeEdit || "";
    if (this.send({ type: "edit", message: id, body })) {
      this.afterSent();
      this.textarea.value = restore;
      this.updateCount();
      return;
    }
    const answer = await this.post(`${this.messageBase(id)}modifier/`, { body });
    if (answer && answer.ok) {
      this.afterSent();
      this.textarea.value = restore;
    } else {
      this.showError((answer && answer.error) || this.text.edit_failed);
    }
  }

  async deleteMessage(id) {
    if (!window.confirm(this.text.delete_confirm)) return;
    if (this.send({ type: "delete", message: Number(id) })) return;
    const answer = await this.post(`${this.messageBase(id)}supprimer/`, {});
    if (answer && answer.error) this.setStatus(answer.error);
  }

  async copyLink(path) {
    const url = new URL(path, window.location.href).href;
    try {
      await navigator.clipboard.writeText(url);
      this.setStatus(this.text.link_copied, true);
    } catch {
      this.setStatus(fill(this.text.link_copy_failed, { url }));
    }
  }

  async retryTranscript(button) {
    // The new state (in progress, then the text) comes back as message.updated.
    button.disabled = true;
    const answer = await this.post(button.dataset.url, {});
    if (!answer || answer.error) {
      button.disabled = false;
      this.setStatus((answer && answer.error) || this.text.transcript_retry_failed);
    }
  }

  // A transcript on its way is written by the background worker, whose event may not reach
  // this page (one process without Redis, or a dropped event): ask for it now and then.
  watchTranscripts() {
    window.setInterval(async () => {
      if (document.hidden) return;
      const waiting = [...this.log.querySelectorAll("[data-transcript]")].slice(-5);
      for (const line of waiting) {
        const link = line.closest("li[data-id]").querySelector(".msg__more");
        if (!link) continue;
        try {
          const response = await fetch(link.href, {
            credentials: "same-origin", headers: { Accept: "application/json" },
          });
          if (!response.ok) continue;
          const answer = await response.json();
          const voice = (answer.message.attachments || []).find((a) => a.kind === "voice");
          if (voice && !["pending", "running"].includes(voice.transcript_status)) {
            this.updateMessage(answer.message);
          }
        } catch {
          return;
        }
      }
    }, 5000);
  }

  showTranscriptProgress(frame) {
    const line = document.querySelector(`#m${frame.message} [data-transcript="${frame.attachment}"]`);
    if (!line) return;
    line.textContent = frame.progress
      ? `${this.text.transcribing} ${frame.progress} %` : this.text.transcribing;
  }

  async markUnread(item, url) {
    const answer = await this.post(url, {});
    if (!answer || answer.error) {
      this.setStatus((answer && answer.error) || this.text.send_failed);
      return;
    }
    this.holdRead = true;
    window.clearTimeout(this.readTimer);
    const old = document.getElementById("nouveaux");
    if (old) old.remove();
    const marker = document.createElement("li");
    marker.className = "chat__marker";
    marker.id = "nouveaux";
    const label = document.createElement("span");
    label.textContent = this.text.new_messages;
    marker.append(label);
    item.before(marker);
    this.liveMarker = marker;
    this.setStatus(this.text.marked_unread, true);
  }

  setContext(text) {
    const box = document.getElementById("composer-context");
    document.getElementById("composer-context-text").textContent = text;
    document.getElementById("composer-reply-to").value = this.replyTo || "";
    box.hidden = false;
    this.textarea.focus();
  }

  clearContext() {
    const box = document.getElementById("composer-context");
    if (!box) return;
    const wasEditing = this.editing;
    this.replyTo = null;
    this.editing = null;
    box.hidden = true;
    document.getElementById("composer-reply-to").value = "";
    return wasEditing;
  }

  highlight(item) {
    item.scrollIntoView({ block: "center" });
    item.classList.remove("msg--target");
    void item.offsetWidth; // restart the animation
    item.classList.add("msg--target");
    item.setAttribute("tabindex", "-1");
    item.focus({ preventScroll: true });
  }

  // --- Composer: counter, files, reply and edit context ----------------------------

  bindComposer() {
    if (!this.form) return;
    document.getElementById("composer-context-cancel").addEventListener("click", () => {
      if (this.clearContext()) this.textarea.value = this.draftBeforeEdit || "";
      this.updateCount();
      this.textarea.focus();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !document.getElementById("composer-context").hidden) {
        event.preventDefault();
        if (this.clearContext()) this.textarea.value = this.draftBeforeEdit || "";
        this.updateCount();
      }
    });
    const input = document.getElementById("composer-files");
    input.addEventListener("change", () => {
      this.addFiles(Array.from(input.files));
      input.value = "";
    });
    this.updateCount();
  }

  updateCount() {
    if (!this.textarea) return;
    const count = document.getElementById("composer-count");
    const length = this.textarea.value.trim().length;
    let text = "";
    let level = "";
    if (length > this.maxLength) {
      text = fill(this.text.chars_over, { over: length - this.maxLength });
      level = "over";
    } else if (length >= this.maxLength * COUNT_FROM) {
      text = fill(this.text.chars_left, { left: this.maxLength - length });
      level = "near";
    }
    // Shown at every key; said (politely, in the page's live region) only when it
    // changes level: near the limit, then past it.
    if (level !== this.countLevel) {
      this.countLevel = level;
      if (text) this.announceNow(text);
    }
    count.textContent = text;
    count.classList.toggle("composer__count--over", level === "over");
    if (level === "over") this.textarea.setAttribute("aria-invalid", "true");
    else if (!document.getElementById("composer-error").textContent) this.textarea.removeAttribute("aria-invalid");
  }

  addFiles(chosen) {
    const errors = [];
    for (const file of chosen) {
      if (this.files.length >= this.fileMaxCount) {
        errors.push(fill(this.text.file_too_many, { max: this.fileMaxCount }));
        break;
      }
      if (file.size > this.fileMaxBytes) {
        errors.push(fill(this.text.file_too_large, { name: file.name, max: Math.round(this.fileMaxBytes / 1048576) }));
        continue;
      }
      this.files.push(file);
    }
    this.showError(errors.join(" "));
    this.showFiles();
  }

  showFiles() {
    const list = document.getElementById("composer-files-list");
    list.replaceChildren();
    this.files.forEach((file, index) => {
      const row = document.createElement("li");
      row.className = "composer__file";
      if (/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
        const image = document.createElement("img");
        image.alt = "";
        image.className = "composer__thumb";
        const reader = new FileReader(); // a data: address, which the CSP allows for images
        reader.addEventListener("load", () => { image.src = reader.result; });
        reader.readAsDataURL(file);
        row.append(image);
      }
      const name = document.createElement("span");
      name.className = "composer__file-name";
      name.textContent = `${file.name} (${formatSize(file.size)})`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "button button--secondary button--small";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fill(this.text.remove_file, { name: file.name }));
      remove.addEventListener("click", () => {
        this.files.splice(index, 1);
        this.showFiles();
        this.textarea.focus();
      });
      row.append(name, remove);
      list.append(row);
    });
    list.hidden = !this.files.length;
  }

  clearFiles() {
    this.files = [];
    const list = document.getElementById("composer-files-list");
    if (list) this.showFiles();
  }

  // --- People and screen --------------------------------------------------------

  showPresence() {
    const list = document.getElementById("people-list");
    if (!list) return;
    const rows = Array.from(list.querySelectorAll("li[data-user]"));
    let count = 0;
    for (const row of rows) {
      const online = this.online.has(row.dataset.user);
      if (online) count += 1;
      row.classList.toggle("person-row--online", online);
      row.querySelector(".person-row__status").textContent = online ? this.text.online_person : this.text.offline_person;
    }
    // Who is here now comes first; the rest keep their alphabetical order.
    rows.sort((a, b) => Number(this.online.has(b.dataset.user)) - Number(this.online.has(a.dataset.user)));
    list.append(...rows);
    document.getElementById("online-count").textContent = fill(this.text.online_count, { count });
  }

  fitScreen() {
    // On a phone the chat fills the screen: the list scrolls above the pinned composer.
    if (!window.matchMedia(NARROW).matches) return;
    const details = document.getElementById("people-details");
    if (details) details.open = false;
    // The browser would put a reloaded page back where it was: the chat decides.
    if ("scrollRestoration" in window.history) window.history.scrollRestoration = "manual";
    const fit = () => this.root.scrollIntoView({ block: "end" });
    window.requestAnimationFrame(fit);
    if (document.readyState !== "complete") window.addEventListener("load", fit, { once: true });
  }

  announceNow(text) {
    const p = document.createElement("p");
    p.textContent = text;
    this.announcer.replaceChildren(p);
  }
}

function formatSize(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1).replace(".", ",")} Mo`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} ko`;
  return `${bytes} o`;
}

const root = document.querySelector(".chat[data-room]");
if (root) window.agoraChat = new Chat(root);
