// The room list (/discussions/) kept live (docs/protocol.md): unread badges from `hello`,
// `unread` and `unread.bump`, mentions and direct messages from `notification`, and the
// « appel en direct » badge from `call.live` (sent to the readers of the room).
// Without it the page still shows the counts of when it was loaded. The socket, its
// reconnects and close codes are socket.js's.

import { fill } from "./util.js";
import { liveSocket } from "./socket.js";

const ANNOUNCE_AFTER_MS = 1500;
const NOTIFICATIONS_SHOWN = 5;

class RoomList {
  constructor() {
    this.text = JSON.parse(document.getElementById("rooms-text").textContent);
    this.announcer = document.getElementById("rooms-announce");
    this.list = document.getElementById("rooms-notifications");
    this.counts = new Map(); // room id -> unread count
    this.toAnnounce = new Map(); // room id -> count, grouped before announcing
    this.announceTimer = null;
    for (const link of document.querySelectorAll("a[data-room]")) {
      const badge = link.querySelector("[data-unread]");
      this.counts.set(link.dataset.room, badge ? Number.parseInt(badge.textContent, 10) || 0 : 0);
    }
    this.live = liveSocket();
    this.live.listen({
      // Exact counts on every hello (after a reconnect, bumps may have been missed).
      ready: (hello) => {
        for (const room of hello.rooms || []) this.setCount(room.id, room.unread);
      },
      frame: (frame) => this.onFrame(frame),
    });
  }

  onFrame(frame) {
    switch (frame.type) {
      case "unread":
        this.setCount(frame.room, frame.unread);
        break;
      case "unread.bump": {
        const count = (this.counts.get(frame.room) || 0) + 1;
        if (this.setCount(frame.room, count)) this.queueAnnounce(frame.room, count);
        break;
      }
      case "notification":
        this.showNotification(frame);
        break;
      case "call.live":
        this.setCall(frame.room, frame.live ? frame.count : 0);
        break;
      default:
        break;
    }
  }

  link(roomId) {
    return document.querySelector(`a[data-room="${CSS.escape(String(roomId))}"]`);
  }

  // Returns whether the room is on this page (a room created since is not).
  setCount(roomId, count) {
    const link = this.link(roomId);
    if (!link) return false;
    this.counts.set(roomId, count);
    let badge = link.querySelector("[data-unread]");
    if (!count) {
      if (badge) badge.remove();
      return true;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "badge badge--unread";
      badge.dataset.unread = roomId;
      link.append(badge);
    }
    badge.textContent = fill(count === 1 ? this.text.unread_one : this.text.unread_many, { count });
    return true;
  }

  // The badge is on the page for every room (empty without a call: calls/_badge.html).
  setCall(roomId, count) {
    const badge = document.querySelector(`[data-call-badge="${CSS.escape(String(roomId))}"]`);
    if (!badge) return;
    badge.className = count ? "badge badge--call" : "";
    badge.textContent = count ? fill(count === 1 ? badge.dataset.one : badge.dataset.many, { counter: count }) : "";
  }

  roomName(roomId) {
    const link = this.link(roomId);
    const name = link && link.querySelector(".room-list__name");
    return name ? name.textContent.trim() : "";
  }

  // One polite announcement for a burst of messages: « 3 nouveaux messages dans Transports ».
  queueAnnounce(roomId, count) {
    this.toAnnounce.set(roomId, count);
    if (this.announceTimer) return;
    this.announceTimer = window.setTimeout(() => {
      const lines = [...this.toAnnounce].map(([id, n]) => fill(
        n === 1 ? this.text.new_one : this.text.new_many, { count: n, room: this.roomName(id) },
      ));
      this.toAnnounce.clear();
      this.announceTimer = null;
      this.say(lines.join(". "));
    }, ANNOUNCE_AFTER_MS);
  }

  say(line) {
    const p = document.createElement("p");
    p.textContent = line;
    this.announcer.replaceChildren(p);
  }

  showNotification(frame) {
    if (!frame.text) return;
    const item = document.createElement("li");
    item.className = "notifications__item";
    const link = this.link(frame.room);
    if (link) {
      const a = document.createElement("a");
      a.href = link.getAttribute("href");
      a.textContent = frame.text;
      item.append(a);
    } else {
      item.textContent = frame.text;
    }
    this.list.prepend(item);
    while (this.list.children.length > NOTIFICATIONS_SHOWN) this.list.lastElementChild.remove();
    this.list.hidden = false;
    this.say(frame.text);
  }
}

if (document.getElementById("rooms-text")) window.agoraRooms = new RoomList();
