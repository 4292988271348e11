// The live call of a room (docs/protocol.md, « Calls »): a pre-join check, then the call.
// Signalling goes over the page's one /ws/ socket (socket.js); media flow between the
// browsers (mesh) or through the media server when the server says so (`media.mode`).
// The server enforces who may speak: a listener's browser offers to receive only, and
// an offer that would send is refused by the server anyway.

import { fill } from "./util.js";
import { liveSocket } from "./socket.js";

const LEVEL_SPEAKING = 0.04; // audioLevel (0..1) above which someone is shown speaking
const ANNOUNCE_AGAIN_MS = 15000; // « X parle » at most this often per person
const STATS_EVERY_MS = 400;
const GATHER_WAIT_MS = 1500; // at most, before a description leaves without all its addresses

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
  }
  if (text) node.textContent = text;
  return node;
}

// Wait (a little) for the connection's own addresses: they then travel inside the
// description, one frame instead of one per address (frames count in the socket's limit).
function gathered(pc, ms) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") {
      resolve();
      return;
    }
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    window.setTimeout(resolve, ms);
  });
}

function minutes(ms) {
  const total = Math.floor(ms / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

class CallPanel {
  constructor(root) {
    this.root = root;
    this.home = root.dataset.room; // the page's room
    this.room = this.home; // the room whose call the page is in (a breakout's, for a while)
    this.target = null; // the call asked for by call.join (a labelled breakout), if any
    this.breakout = null; // { inside, parentRoom, parent, label, endsAt, warned }
    this.moving = false; // between two calls of a breakout round trip
    this.me = root.dataset.user;
    this.moderate = root.dataset.moderate === "true";
    this.alarmAfter = Number(root.dataset.alarm || 180) * 1000;
    this.text = JSON.parse(document.getElementById("call-text").textContent);
    this.$ = (id) => document.getElementById(id);
    this.callId = null; // set once joined
    this.joining = false;
    this.maySpeak = false;
    this.media = { mode: "mesh" };
    this.iceServers = [];
    this.state = { participants: [], hands: [], live: false };
    this.peers = new Map(); // user id -> { pc, polite, makingOffer, ignoreOffer, audio, video, el }
    this.stream = null; // the microphone (and camera) sent to the others
    this.micMuted = false;
    this.cameraOn = false;
    this.screen = null; // a shared screen replaces the camera's images
    this.speaking = new Map(); // user id -> last time announced
    this.speaker = null; // the facilitator's timer: { id, since, alarmed }
    this.live = liveSocket();
    this.bind();
    this.live.listen({
      ready: (hello, reconnected) => this.onReady(reconnected),
      frame: (frame) => this.onFrame(frame),
      down: () => this.status(this.text.reconnecting),
    });
  }

  bind() {
    this.$("call-start").addEventListener("click", () => this.openCheck());
    this.$("call-enter").addEventListener("click", () => this.join());
    this.$("call-cancel").addEventListener("click", () => this.closeCheck());
    this.$("call-mic").addEventListener("change", () => this.openMicrophone());
    this.$("call-mute").addEventListener("click", () => this.setMuted(!this.micMuted));
    this.$("call-camera").addEventListener("click", () =>
      this.setCamera(this.janus ? this.serverVideo !== "camera" : !this.cameraOn));
    this.$("call-hand").addEventListener("click", () => this.toggleHand());
    this.$("call-screen").addEventListener("click", () =>
      this.setScreen(this.janus ? this.serverVideo !== "screen" : !this.screen));
    this.$("call-leave").addEventListener("click", () => this.leave());
    if (this.moderate) {
      this.$("call-hands-down").addEventListener("click", () =>
        this.send({ type: "call.hand", raised: false, user: "all" }));
      this.$("call-mute-all").addEventListener("click", () =>
        this.send({ type: "call.mute", user: "all" }));
      this.$("call-end").addEventListener("click", () => {
        if (window.confirm(this.text.confirm_end)) this.send({ type: "call.end" });
      });
      this.$("call-breakout-form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.startBreakouts();
      });
      this.$("call-broadcast-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const box = this.$("call-broadcast-text");
        if (box.value.trim() && this.send({ type: "call.broadcast", text: box.value })) box.value = "";
      });
      this.$("call-recall").addEventListener("click", () => this.send({ type: "call.recall" }));
    }
    window.addEventListener("pagehide", () => {
      if (this.callId) this.send({ type: "call.leave" });
    });
  }

  send(frame) {
    return this.live.send(frame);
  }

  status(message) {
    const node = this.$("call-status");
    node.textContent = message || "";
    node.hidden = !message;
  }

  announce(message) {
    const node = this.$("call-announce");
    node.textContent = "";
    window.setTimeout(() => { node.textContent = message; }, 50);
  }

  // --- Socket ------------------------------------------------------------------------------

  onReady(reconnected) {
    this.status("");
    this.send({ type: "call.watch", room: this.home });
    // Back after a network drop (or asked before the socket was up): the call goes on
    // without joining by hand.
    if (this.callId || this.joining) {
      // The server took us out when the socket closed and the others closed their links to
      // us: new links at once, rather than waiting for the old ones to time out.
      if (reconnected && this.callId) for (const id of [...this.peers.keys()]) this.dropPeer(id);
      this.sendJoin();
    }
  }

  onFrame(frame) {
    if (frame.type === "error" && String(frame.frame || "").startsWith("call.")) {
      this.onError(frame);
      return;
    }
    if (frame.room && frame.room !== this.room && frame.type !== "call.signal") return;
    // In an ad-hoc group (a labelled call of the same room): the plenary's news is not ours.
    const other = frame.call && this.callId && frame.call !== this.callId;
    if (other && ["call.state", "call.muted", "call.ended"].includes(frame.type)) return;
    switch (frame.type) {
      case "call.state": this.onState(frame); break;
      case "call.joined": this.onJoined(frame); break;
      case "call.media": this.onMedia(frame); break;
      case "call.signal": this.onSignal(frame); break;
      case "call.muted": this.onMuted(frame); break;
      case "call.ended": if (!this.moving) this.onEnded(this.text.ended); break;
      case "call.breakout": this.onBreakout(frame); break;
      case "call.breakouts": this.onBreakouts(frame); break;
      case "call.broadcast": this.onBroadcast(frame); break;
      case "call.recall": this.onRecall(frame); break;
      case "call.left": if (frame.reason !== "left") this.onEnded(this.text[`left_${frame.reason}`] || this.text.ended); break;
      case "call.unwatched": if (frame.reason) this.onEnded(this.text.ended); break;
      default: break;
    }
  }

  onError(frame) {
    if (frame.frame === "call.join" && this.moving && this.room !== this.home) {
      this.moveTo(this.home, null); // the breakout is gone: back to the plenary
      return;
    }
    if (frame.frame === "call.join") {
      this.moving = false;
      this.joining = false;
      this.stopMedia();
      this.show("idle");
    }
    this.status(frame.detail);
    this.announce(frame.detail);
  }

  // --- Before joining: the microphone check ------------------------------------------------

  async openCheck() {
    this.show("check");
    this.$("call-check-error").hidden = true;
    if (this.root.dataset.write !== "true") {
      this.$("call-check-listen").hidden = false; // listeners: nothing to check
      this.$("call-enter").focus();
      return;
    }
    await this.openMicrophone();
    this.$("call-enter").focus();
  }

  async openMicrophone() {
    const chosen = this.$("call-mic").value;
    this.stopMedia();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: chosen ? { deviceId: { exact: chosen } } : true,
      });
    } catch (error) {
      this.micError(error);
      return false;
    }
    await this.listDevices();
    this.meter(this.stream, this.$("call-level"));
    return true;
  }

  micError(error) {
    const name = error && error.name;
    const message = name === "NotAllowedError" || name === "SecurityError" ? this.text.mic_refused
      : name === "NotFoundError" || name === "OverconstrainedError" ? this.text.mic_missing
        : this.text.mic_failed;
    const node = this.$("call-check-error");
    node.textContent = message;
    node.hidden = false;
  }

  async listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const select = this.$("call-mic");
    const current = this.stream && this.stream.getAudioTracks()[0];
    const currentId = current && current.getSettings().deviceId;
    select.replaceChildren();
    devices.filter((d) => d.kind === "audioinput").forEach((device, index) => {
      const option = el("option", { value: device.deviceId }, device.label || fill(this.text.microphone_n, { n: index + 1 }));
      if (device.deviceId === currentId) option.selected = true;
      select.append(option);
    });
    const cameras = devices.filter((d) => d.kind === "videoinput");
    const camera = this.$("call-cam");
    camera.replaceChildren(el("option", { value: "" }, this.text.no_camera));
    cameras.forEach((device, index) => {
      camera.append(el("option", { value: device.deviceId }, device.label || fill(this.text.camera_n, { n: index + 1 })));
    });
  }

  meter(stream, node) {
    const track = stream.getAudioTracks()[0];
    if (!track || !window.AudioContext) return;
    this.audioContext = this.audioContext || new AudioContext();
    const source = this.audioContext.createMediaStreamSource(stream);
    const analyser = this.audioContext.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const data = new Uint8Array(analyser.fftSize);
    const tick = () => {
      if (track.readyState === "ended") return;
      analyser.getByteTimeDomainData(data);
      let peak = 0;
      for (const value of data) peak = Math.max(peak, Math.abs(value - 128) / 128);
      node.value = Math.min(1, peak * 1.5);
      this.localLevel = track.enabled ? peak : 0;
      window.requestAnimationFrame(tick);
    };
    tick();
  }

  closeCheck() {
    this.stopMedia();
    this.show("idle");
    this.$("call-start").focus();
  }

  stopMedia() {
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.cameraOn = false;
  }

  show(step) {
    this.$("call-start").hidden = step !== "idle";
    this.$("call-check").hidden = step !== "check";
    this.$("call-live").hidden = step !== "live";
  }

  // --- In the call -----------------------------------------------------------------------

  join() {
    this.joining = true; // sent again by onReady if the socket is not up yet
    if (!this.sendJoin()) this.status(this.text.reconnecting);
  }

  sendJoin() {
    const frame = { type: "call.join", room: this.room };
    if (this.target) frame.call = this.target;
    return this.send(frame);
  }

  onJoined(frame) {
    const first = !this.callId && !this.moving;
    const moved = this.moving;
    this.moving = false;
    this.joining = false;
    this.callId = frame.call;
    this.media = frame.media;
    this.iceServers = frame.ice_servers || [];
    this.setMaySpeak(frame.may_speak, false);
    this.abilities = frame.abilities;
    // Presenters (agents, facilitators, DCCU who may speak) share a screen in place of
    // their camera, where the browser can (not on most phones).
    this.$("call-screen").hidden = !(frame.abilities.share_screen && navigator.mediaDevices.getDisplayMedia);
    this.show("live");
    this.$("call-camera").hidden = !this.maySpeak;
    window.clearInterval(this.heartbeat);
    this.heartbeat = window.setInterval(() => this.send({ type: "call.ping" }), (frame.heartbeat || 5) * 1000);
    window.clearInterval(this.statsTimer);
    this.statsTimer = window.setInterval(() => this.readLevels(), STATS_EVERY_MS);
    this.onState(frame.state);
    this.followBreakout(frame, moved);
    if (this.media.mode !== "mesh") {
      this.joinMediaServer();
      return;
    }
    this.linkMesh(frame.state.participants, true);
    if (first) {
      this.announce(this.text.joined);
      this.$("call-mute").focus();
    }
  }

  // The newcomer calls everyone already there; after a reconnection only the broken links.
  // When a whole call turns peer to peer at once, the lower id of each pair calls.
  linkMesh(participants, newcomer) {
    for (const person of participants) {
      if (person.id === this.me) continue;
      const peer = this.peers.get(person.id);
      if (peer && ["connected", "connecting", "new"].includes(peer.pc.connectionState)) continue;
      if (peer) this.dropPeer(person.id);
      if (newcomer || this.me < person.id) this.makePeer(person.id, true);
    }
  }

  // The media server stopped answering and the call is small enough: it goes on peer to
  // peer (the server's call.state says mode "mesh"), without anyone rejoining by hand.
  async switchToMesh(state) {
    if (this.switching) return;
    this.switching = true;
    try {
      if (this.janus && this.janus.leave) this.janus.leave();
      this.janus = null;
      for (const view of (this.serverViews || new Map()).values()) view.remove();
      this.serverViews = new Map();
      this.serverVideo = null;
      this.media = { mode: "mesh", iceServers: (this.media && this.media.iceServers) || [] };
      if (this.maySpeak && !this.stream) {
        try {
          this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
          this.meter(this.stream, this.$("call-level"));
        } catch (error) {
          this.status(error && error.name === "NotAllowedError" ? this.text.mic_refused : this.text.mic_missing);
        }
      }
      this.status(this.text.peer_to_peer_now);
      this.announce(this.text.peer_to_peer_now);
      this.linkMesh(state.participants, false);
    } finally {
      this.switching = false;
    }
  }

  // --- Breakouts: into a group's call and back, by themselves --------------------------------

  // Where the countdown comes from after a (re)join: the call.joined's `breakout`.
  followBreakout(frame, moved) {
    const info = frame.breakout;
    if (!info) {
      if (this.breakout && !this.breakout.inside) this.stopCountdown();
      this.showBreakoutControls(false);
      if (moved) this.announce(this.text.back_in_plenary);
      return;
    }
    const inside = frame.call !== info.parent;
    this.startCountdown({ inside, parentRoom: info.parent_room, parent: info.parent, label: info.label, endsAt: Date.parse(info.ends_at) });
    this.showBreakoutControls(true); // inside a breakout too: broadcast and call back
  }

  onBreakout(frame) {
    if (!this.callId || frame.call !== this.callId) return;
    const endsAt = Date.parse(frame.ends_at);
    const mins = Math.max(1, Math.round((endsAt - Date.now()) / 60000));
    const place = frame.label ? fill(this.text.breakout_group, { label: frame.label }) : this.text.breakout_subgroup;
    this.announce(fill(this.text.breakout_sent, { place, minutes: mins }));
    this.startCountdown({ inside: true, parentRoom: frame.room, parent: frame.call, label: frame.label, endsAt });
    this.moveTo(frame.target_room, frame.label ? frame.target_call : null);
  }

  onBreakouts(frame) {
    if (this.breakout && this.breakout.inside) return;
    const endsAt = Date.parse(frame.ends_at);
    const mins = Math.max(1, Math.round((endsAt - Date.now()) / 60000));
    this.startCountdown({ inside: false, parentRoom: frame.room, parent: frame.call, label: "", endsAt });
    this.announce(fill(this.text.breakouts_started, { minutes: mins }));
    this.$("call-message").hidden = true;
    if (this.moderate) {
      this.$("call-breakout-summary").textContent = fill(this.text.breakouts_summary,
        { groups: frame.groups.length, stayed: frame.stayed });
      this.showBreakoutControls(true);
    }
  }

  onBroadcast(frame) {
    const node = this.$("call-message");
    node.textContent = fill(this.text.broadcast_from, { name: frame.by_name, text: frame.text });
    node.hidden = false;
    this.announce(node.textContent);
  }

  onRecall(frame) {
    const inside = this.breakout && this.breakout.inside;
    this.stopCountdown();
    this.showBreakoutControls(false);
    this.announce(frame.reason === "time" ? this.text.time_up : this.text.recalled);
    if (inside && this.callId === frame.call) this.moveTo(frame.parent_room, null);
  }

  // Leave the call we are in for another, keeping the microphone: the server takes us
  // out of the first when we join the second (docs/protocol.md « call.join »).
  moveTo(room, call) {
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    if (this.janus && this.janus.leave) this.janus.leave();
    this.janus = null;
    window.clearInterval(this.heartbeat);
    window.clearInterval(this.statsTimer);
    this.room = room;
    this.target = call;
    this.callId = null;
    this.moving = true;
    this.joining = true;
    if (!this.sendJoin()) this.status(this.text.reconnecting);
  }

  startCountdown(breakout) {
    window.clearInterval(this.countdownTimer);
    this.breakout = { warned: breakout.endsAt - Date.now() <= 60000, ...breakout };
    const node = this.$("call-countdown");
    node.hidden = false;
    const tick = () => {
      const b = this.breakout;
      if (!b) return;
      const left = b.endsAt - Date.now();
      if (left <= 0) {
        this.stopCountdown();
        if (b.inside && this.room !== this.home) this.announce(this.text.time_up);
        // The server recalls everyone at the next heartbeat; the page does not wait.
        if (b.inside && this.callId) this.moveTo(b.parentRoom, null);
        if (!b.inside) this.showBreakoutControls(false);
        return;
      }
      node.textContent = fill(b.inside ? this.text.countdown : this.text.countdown_plenary, { time: minutes(left + 999) });
      if (!b.warned && left <= 60000) {
        b.warned = true;
        this.announce(this.text.one_minute);
      }
    };
    tick();
    this.countdownTimer = window.setInterval(tick, 1000);
  }

  stopCountdown() {
    window.clearInterval(this.countdownTimer);
    this.breakout = null;
    this.$("call-countdown").hidden = true;
  }

  showBreakoutControls(running) {
    if (!this.moderate) return;
    this.$("call-breakout-form").hidden = running;
    this.$("call-breakout-running").hidden = !running;
  }

  startBreakouts() {
    const minutesField = this.$("call-breakout-minutes");
    const minutesValue = Number(minutesField.value);
    if (!minutesField.reportValidity()) return;
    const frame = { type: "call.breakout", minutes: minutesValue, groups: "subgroups" };
    if (this.$("call-breakout-sized").checked) {
      const size = Math.max(2, Number(this.$("call-breakout-size").value) || 2);
      const others = this.state.participants.map((p) => p.id).filter((id) => id !== this.me);
      if (!others.length) {
        this.status(this.text.nobody_for_groups);
        this.announce(this.text.nobody_for_groups);
        return;
      }
      const count = Math.max(1, Math.round(others.length / size));
      const groups = Array.from({ length: count }, () => []);
      others.forEach((id, index) => groups[index % count].push(id));
      frame.groups = groups;
    }
    this.send(frame);
  }

  // The media server (calls.media.media_for gives `url`, `token`, `room`): its client is a
  // separate bundle, named by the panel's data-janus-module, loaded only when needed.
  async joinMediaServer() {
    const module = this.root.dataset.janusModule;
    if (!module) {
      this.status(this.text.media_server_unsupported);
      return;
    }
    try {
      if (this.janus && this.janus.leave) await this.janus.leave();
      const { joinJanus } = await import(module);
      this.janus = await joinJanus(this.media, {
        onState: (state, detail) => this.onMediaServerState(state, detail),
        onLevel: (level) => this.onMediaServerLevel(level),
        muted: Boolean(this.micMuted),
      });
      // Muted or unmuted while joining: the client sends it after the join's own request.
      if (this.janus.mute) this.janus.mute(Boolean(this.micMuted));
      // Cameras and screens of the others come through the server's video room.
      if (this.janus.watchVideo) this.janus.watchVideo((feed, track, on) => this.onServerVideo(feed, track, on));
    } catch (error) {
      console.warn("call: media server", error);
      this.status(this.text.media_server_failed);
    }
  }

  onState(state) {
    this.state = state;
    this.renderSummary();
    if (!this.callId) return;
    const here = new Set(state.participants.map((p) => p.id));
    if (!here.has(this.me)) return; // out of the call: call.left follows
    if (state.mode === "mesh" && this.media && this.media.mode !== "mesh") this.switchToMesh(state);
    for (const id of [...this.peers.keys()]) if (!here.has(id)) this.dropPeer(id);
    // A listener is not heard, even from a browser that would send anyway (peer to peer,
    // the server cannot stop media already flowing): each receiver silences them.
    for (const person of state.participants) {
      const peer = this.peers.get(person.id);
      if (peer && peer.el) peer.el.muted = !person.may_speak;
      if (peer && peer.view) peer.view.hidden = !person.may_speak || peer.view.hidden;
    }
    this.renderPeople();
    if (this.moderate) this.renderQueue();
    const mine = state.participants.find((p) => p.id === this.me);
    const hand = this.$("call-hand");
    hand.setAttribute("aria-pressed", mine && mine.hand ? "true" : "false");
    hand.textContent = mine && mine.hand ? this.text.lower_hand : this.text.raise_hand;
  }

  async onMedia(frame) {
    if (frame.media.mode === "mesh" && this.janus) {
      await this.switchToMesh(this.state);
      return;
    }
    this.media = frame.media;
    if (frame.may_speak !== this.maySpeak) await this.setMaySpeak(frame.may_speak, true);
    if (this.media.mode !== "mesh") this.joinMediaServer(); // a new token for the new right
  }

  async setMaySpeak(maySpeak, announce) {
    const changed = maySpeak !== this.maySpeak;
    this.maySpeak = maySpeak;
    this.$("call-camera").hidden = !maySpeak;
    this.$("call-mute").hidden = !maySpeak;
    if (!changed) return;
    if (announce) this.announce(maySpeak ? this.text.floor_given : this.text.floor_taken);
    if (maySpeak && !this.stream) {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        this.meter(this.stream, this.$("call-level"));
      } catch (error) {
        this.status(error && error.name === "NotAllowedError" ? this.text.mic_refused : this.text.mic_missing);
      }
    }
    if (!maySpeak) {
      this.setCamera(false);
      this.setScreen(false);
    }
    for (const peer of this.peers.values()) this.applyDirection(peer);
  }

  micTrack() {
    return this.stream ? this.stream.getAudioTracks()[0] || null : null;
  }

  cameraTrack() {
    if (this.screen) return this.screen.getVideoTracks()[0] || null;
    return this.stream && this.cameraOn ? this.stream.getVideoTracks()[0] || null : null;
  }

  async setScreen(on) {
    if (this.janus) return this.setServerVideo("screen", on && this.maySpeak);
    const button = this.$("call-screen");
    if (on) {
      try {
        this.screen = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      } catch {
        this.status(this.text.screen_failed);
        return;
      }
      // Stopped from the browser's own « stop sharing » bar: back to the camera.
      this.screen.getVideoTracks()[0].addEventListener("ended", () => this.setScreen(false));
    } else if (this.screen) {
      for (const track of this.screen.getTracks()) track.stop();
      this.screen = null;
    }
    button.setAttribute("aria-pressed", this.screen ? "true" : "false");
    button.textContent = this.screen ? this.text.screen_off : this.text.screen_on;
    for (const peer of this.peers.values()) {
      if (peer.video) peer.video.sender.replaceTrack(this.maySpeak ? this.cameraTrack() : null).catch(() => {});
    }
  }

  // What the media server's client says: reconnecting after a network cut, the floor
  // withdrawn (a new token follows as call.media), a refusal.
  onMediaServerState(state, detail) {
    if (state === "reconnecting") this.status(this.text.reconnecting);
    else if (state === "listening" || state === "speaking") this.status("");
    else if (state === "refused" || state === "error" || state === "disconnected") {
      console.warn("call: media server", state, detail);
      this.status(this.text.media_server_failed);
      // Ask again: the server answers with new media, or turns the call peer to peer.
      const now = Date.now();
      if (this.callId && (!this.askedMediaAt || now - this.askedMediaAt > 5000)) {
        this.askedMediaAt = now;
        this.send({ type: "call.media", publish: this.maySpeak });
      }
    }
  }

  onServerVideo(feed, track, on) {
    this.serverViews = this.serverViews || new Map();
    let view = this.serverViews.get(feed);
    if (!on || !track) {
      if (view) view.remove();
      this.serverViews.delete(feed);
      return;
    }
    if (!view) {
      view = el("video", { autoplay: true, playsinline: true, muted: true, "aria-label": this.text.video_of_someone });
      view.muted = true;
      this.serverViews.set(feed, view);
      this.$("call-videos").append(view);
    }
    view.srcObject = new MediaStream([track]);
  }

  // Camera or screen through the media server: its client captures and publishes.
  async setServerVideo(kind, on) {
    try {
      if (on) await (kind === "screen" ? this.janus.publishScreen() : this.janus.publishCamera());
      else this.janus.unpublishVideo();
    } catch {
      this.status(kind === "screen" ? this.text.screen_failed : this.text.camera_failed);
      on = false;
    }
    this.serverVideo = on ? kind : null;
    for (const [id, which] of [["call-camera", "camera"], ["call-screen", "screen"]]) {
      const button = this.$(id);
      if (!button) continue;
      const pressed = this.serverVideo === which;
      button.setAttribute("aria-pressed", pressed ? "true" : "false");
      button.textContent = which === "camera"
        ? (pressed ? this.text.camera_off : this.text.camera_on)
        : (pressed ? this.text.screen_off : this.text.screen_on);
    }
  }

  onMediaServerLevel(level) {
    const meter = this.$("call-level");
    if (meter && typeof level === "number") meter.value = Math.min(1, level * 4);
  }

  setMuted(muted) {
    this.micMuted = muted;
    const track = this.micTrack();
    if (track) track.enabled = !muted;
    if (this.janus && this.janus.mute) this.janus.mute(muted);
    const button = this.$("call-mute");
    button.setAttribute("aria-pressed", muted ? "true" : "false");
    button.textContent = muted ? this.text.unmute : this.text.mute;
  }

  async setCamera(on) {
    if (this.janus) return this.setServerVideo("camera", on && this.maySpeak);
    const button = this.$("call-camera");
    if (on && this.maySpeak) {
      const chosen = this.$("call-cam").value;
      try {
        const video = await navigator.mediaDevices.getUserMedia({
          video: chosen ? { deviceId: { exact: chosen } } : true,
        });
        if (!this.stream) this.stream = new MediaStream();
        for (const track of video.getVideoTracks()) this.stream.addTrack(track);
        this.cameraOn = true;
      } catch {
        this.status(this.text.camera_failed);
        return;
      }
    } else if (this.stream) {
      for (const track of this.stream.getVideoTracks()) {
        track.stop();
        this.stream.removeTrack(track);
      }
      this.cameraOn = false;
    }
    button.setAttribute("aria-pressed", this.cameraOn ? "true" : "false");
    button.textContent = this.cameraOn ? this.text.camera_off : this.text.camera_on;
    const preview = this.$("call-self");
    preview.hidden = !this.cameraOn;
    preview.srcObject = this.cameraOn ? this.stream : null;
    for (const peer of this.peers.values()) {
      if (peer.video) peer.video.sender.replaceTrack(this.cameraTrack()).catch(() => {});
    }
  }

  toggleHand() {
    const mine = this.state.participants.find((p) => p.id === this.me);
    this.send({ type: "call.hand", raised: !(mine && mine.hand) });
  }

  onMuted(frame) {
    if (!this.callId || frame.by === this.me) return;
    if (frame.user !== null && frame.user !== this.me) return;
    this.setMuted(true);
    const by = this.state.participants.find((p) => p.id === frame.by);
    this.announce(fill(this.text.muted_by, { name: by ? by.name : "" }));
    this.status(fill(this.text.muted_by, { name: by ? by.name : "" }));
  }

  leave() {
    this.send({ type: "call.leave" });
    this.onEnded(this.text.you_left);
    this.$("call-start").focus();
  }

  onEnded(message) {
    if (!this.callId && !this.joining) return;
    this.callId = null;
    this.joining = false;
    this.moving = false;
    this.target = null;
    if (this.breakout && this.breakout.inside) this.stopCountdown();
    this.room = this.home;
    window.clearInterval(this.heartbeat);
    window.clearInterval(this.statsTimer);
    for (const id of [...this.peers.keys()]) this.dropPeer(id);
    if (this.janus && this.janus.leave) this.janus.leave();
    this.janus = null;
    this.serverVideo = null;
    for (const view of (this.serverViews || new Map()).values()) view.remove();
    this.serverViews = new Map();
    if (this.screen) for (const track of this.screen.getTracks()) track.stop();
    this.screen = null;
    this.stopMedia();
    this.maySpeak = false;
    this.speaker = null;
    this.show("idle");
    this.$("call-self").hidden = true;
    this.status(message);
    this.announce(message);
  }

  // --- Mesh: one connection per other participant (perfect negotiation) ------------------

  makePeer(id, initiator) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const peer = { id, pc, polite: this.me > id, makingOffer: false, ignoreOffer: false,
      audio: null, video: null, el: null, view: null, describing: false };
    this.peers.set(id, peer);
    pc.addEventListener("icecandidate", ({ candidate }) => {
      // While a description waits for its addresses, they go with it.
      if (candidate && !peer.describing) this.send({ type: "call.signal", to: id, candidate: candidate.toJSON() });
    });
    pc.addEventListener("negotiationneeded", async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        await this.sendDescription(peer);
      } catch (error) {
        console.warn("call: offer failed", error);
      } finally {
        peer.makingOffer = false;
      }
    });
    pc.addEventListener("track", ({ track }) => this.mediaElement(peer, track));
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed") pc.restartIce();
    });
    if (initiator) {
      const direction = this.maySpeak ? "sendrecv" : "recvonly";
      peer.audio = pc.addTransceiver(this.maySpeak && this.micTrack() ? this.micTrack() : "audio", { direction });
      peer.video = pc.addTransceiver(this.cameraTrack() || "video", { direction });
    }
    return peer;
  }

  dropPeer(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    this.peers.delete(id);
    peer.pc.close();
    if (peer.el) peer.el.remove();
    if (peer.view) peer.view.remove();
  }

  // Sound always plays from an <audio> element; a <video> (muted: its sound is the audio
  // element's) shows only while the camera's images actually arrive.
  mediaElement(peer, track) {
    const person = this.state.participants.find((p) => p.id === peer.id);
    const name = person ? person.name : "";
    if (track.kind === "audio") {
      if (!peer.el) {
        peer.el = el("audio", { autoplay: true, "data-user": peer.id, "aria-label": name });
        peer.el.hidden = true;
        this.$("call-videos").append(peer.el);
      }
      peer.el.srcObject = new MediaStream([track]);
      peer.el.muted = !(person && person.may_speak);
      peer.el.play().catch(() => this.status(this.text.autoplay_blocked));
      return;
    }
    if (!peer.view) {
      peer.view = el("video", { autoplay: true, playsinline: true, muted: true,
        "data-user": peer.id, "aria-label": name });
      peer.view.muted = true;
      peer.view.hidden = true;
      this.$("call-videos").append(peer.view);
    }
    peer.view.srcObject = new MediaStream([track]);
    const shown = () => { peer.view.hidden = track.muted || track.readyState === "ended"; };
    track.addEventListener("mute", shown);
    track.addEventListener("unmute", shown);
    track.addEventListener("ended", shown);
    shown();
  }

  async applyDirection(peer) {
    const direction = this.maySpeak ? "sendrecv" : "recvonly";
    if (peer.audio) {
      peer.audio.direction = direction;
      await peer.audio.sender.replaceTrack(this.maySpeak ? this.micTrack() : null).catch(() => {});
    }
    if (peer.video) {
      peer.video.direction = direction;
      await peer.video.sender.replaceTrack(this.maySpeak ? this.cameraTrack() : null).catch(() => {});
    }
  }

  bindTransceivers(peer) {
    for (const transceiver of peer.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if (kind === "audio" && !peer.audio) peer.audio = transceiver;
      if (kind === "video" && !peer.video) peer.video = transceiver;
    }
  }

  async onSignal(frame) {
    if (!this.callId || frame.call !== this.callId) return;
    let peer = this.peers.get(frame.sender);
    if (!peer) {
      if (!frame.sdp || frame.sdp.type !== "offer") return;
      peer = this.makePeer(frame.sender, false);
    }
    try {
      if (frame.sdp) {
        await this.onDescription(peer, frame.sdp);
      } else if (frame.candidate) {
        try {
          await peer.pc.addIceCandidate(frame.candidate);
        } catch (error) {
          if (!peer.ignoreOffer) console.warn("call: candidate refused", error);
        }
      }
    } catch (error) {
      // A fresh offer from someone who reconnected: a new connection, not a renegotiation.
      if (frame.sdp && frame.sdp.type === "offer") {
        this.dropPeer(frame.sender);
        await this.onDescription(this.makePeer(frame.sender, false), frame.sdp);
      } else {
        console.warn("call: description refused", error);
      }
    }
  }

  async onDescription(peer, description) {
    const { pc } = peer;
    const collision = description.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    await pc.setRemoteDescription(description);
    if (description.type !== "offer") return;
    this.bindTransceivers(peer);
    await this.applyDirection(peer);
    await pc.setLocalDescription();
    await this.sendDescription(peer);
  }

  async sendDescription(peer) {
    const { pc } = peer;
    peer.describing = true;
    try {
      await gathered(pc, GATHER_WAIT_MS);
    } finally {
      peer.describing = false;
    }
    this.send({ type: "call.signal", to: peer.id, sdp: { type: pc.localDescription.type, sdp: pc.localDescription.sdp } });
  }

  // --- Who is speaking --------------------------------------------------------------------

  async readLevels() {
    const levels = new Map();
    levels.set(this.me, this.micMuted ? 0 : this.localLevel || 0);
    for (const peer of this.peers.values()) {
      try {
        const stats = await peer.pc.getStats();
        stats.forEach((report) => {
          if (report.type === "inbound-rtp" && report.kind === "audio" && typeof report.audioLevel === "number") {
            levels.set(peer.id, Math.max(levels.get(peer.id) || 0, report.audioLevel));
          }
        });
      } catch {
        // a closed connection: nothing to read
      }
    }
    const now = Date.now();
    for (const item of this.$("call-people").querySelectorAll("li[data-user]")) {
      const id = item.dataset.user;
      const speaking = (levels.get(id) || 0) > LEVEL_SPEAKING;
      const was = item.classList.contains("call__person--speaking");
      item.classList.toggle("call__person--speaking", speaking);
      const badge = item.querySelector(".call__speaking");
      if (badge) badge.hidden = !speaking;
      if (speaking && !was && id !== this.me && now - (this.speaking.get(id) || 0) > ANNOUNCE_AGAIN_MS) {
        this.speaking.set(id, now);
        const person = this.state.participants.find((p) => p.id === id);
        if (person) this.announce(fill(this.text.speaking, { name: person.name }));
      }
    }
    this.tickTimer();
  }

  // --- Lists ------------------------------------------------------------------------------

  renderSummary() {
    const node = this.$("call-summary");
    const people = this.state.participants || [];
    if (!this.state.live || !people.length) {
      node.textContent = this.text.no_call;
      this.$("call-start").textContent = this.text.start;
      return;
    }
    const names = people.map((p) => p.name).join(", ");
    node.textContent = fill(people.length === 1 ? this.text.in_call_one : this.text.in_call_many,
      { count: people.length, names });
    this.$("call-start").textContent = this.text.start;
  }

  renderPeople() {
    const list = this.$("call-people");
    list.replaceChildren();
    for (const person of this.state.participants) {
      const item = el("li", { class: "call__person", "data-user": person.id });
      const name = el("span", { class: "call__name" }, person.id === this.me ? fill(this.text.you, { name: person.name }) : person.name);
      item.append(name);
      if (!person.may_speak) item.append(el("span", { class: "badge" }, this.text.listener));
      if (person.hand) {
        const rank = this.state.hands.indexOf(person.id) + 1;
        item.append(el("span", { class: "badge badge--hand" }, fill(this.text.hand_raised, { rank })));
      }
      const speaking = el("span", { class: "badge call__speaking", hidden: true }, this.text.speaking_badge);
      item.append(speaking);
      if (this.moderate && person.id !== this.me) {
        const actions = el("span", { class: "call__person-actions" });
        const mute = el("button", { type: "button", class: "button button--small button--secondary" }, fill(this.text.mute_person, { name: person.name }));
        mute.addEventListener("click", () => this.send({ type: "call.mute", user: person.id }));
        actions.append(mute);
        const floor = el("button", { type: "button", class: "button button--small button--secondary" },
          fill(person.may_speak ? this.text.take_floor : this.text.give_floor, { name: person.name }));
        floor.addEventListener("click", () => this.giveFloor(person.id, !person.may_speak));
        if (!person.may_speak || this.root.dataset.write !== "true" || person.hand) actions.append(floor);
        item.append(actions);
      }
      list.append(item);
    }
  }

  giveFloor(id, give) {
    this.send({ type: "call.floor", user: id, give });
    if (give) this.speaker = { id, since: Date.now(), alarmed: false };
    else if (this.speaker && this.speaker.id === id) this.speaker = null;
    this.tickTimer();
  }

  renderQueue() {
    const list = this.$("call-hands");
    list.replaceChildren();
    for (const id of this.state.hands) {
      const person = this.state.participants.find((p) => p.id === id);
      if (!person) continue;
      const item = el("li", {}, person.name);
      const give = el("button", { type: "button", class: "button button--small" }, fill(this.text.give_floor, { name: person.name }));
      give.addEventListener("click", () => this.giveFloor(id, true));
      const lower = el("button", { type: "button", class: "button button--small button--secondary" }, fill(this.text.lower_hand_of, { name: person.name }));
      lower.addEventListener("click", () => this.send({ type: "call.hand", raised: false, user: id }));
      item.append(" ", give, " ", lower);
      list.append(item);
    }
    this.$("call-hands-empty").hidden = this.state.hands.length > 0;
  }

  tickTimer() {
    if (!this.moderate) return;
    const node = this.$("call-timer");
    if (!this.speaker) {
      node.textContent = "";
      node.classList.remove("call__timer--over");
      return;
    }
    const person = this.state.participants.find((p) => p.id === this.speaker.id);
    if (!person) {
      this.speaker = null;
      return;
    }
    const spent = Date.now() - this.speaker.since;
    node.textContent = fill(this.text.timer, { name: person.name, time: minutes(spent) });
    if (spent > this.alarmAfter && !this.speaker.alarmed) {
      this.speaker.alarmed = true;
      node.classList.add("call__timer--over");
      this.announce(fill(this.text.time_over, { name: person.name }));
      this.chime();
    }
  }

  chime() {
    // A soft tone for the facilitator only: never heard by the others (not sent).
    try {
      this.audioContext = this.audioContext || new AudioContext();
      const ctx = this.audioContext;
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.frequency.value = 660;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.08, ctx.currentTime + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.8);
      tone.connect(gain).connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.85);
    } catch {
      // no audio output: the visual mark and the announcement remain
    }
  }
}

const root = document.getElementById("call");
if (root) new CallPanel(root);
