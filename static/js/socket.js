// The page's one /ws/ socket (docs/protocol.md): every page script that listens live
// (chat.js, rooms.js, library.js) goes through here, so reconnecting, backoff with jitter,
// keep-alive pings and the close codes behave the same everywhere. A page resyncs in its
// own `ready` listener, which runs after every `hello` (the first one and each reconnect).

// Close codes of /ws/ (docs/protocol.md, « Close codes »; realtime/bus.py, realtime/consumers.py).
// tests/realtime/test_browser_socket.py checks that each documented code is handled here.
export const CLOSE = {
  TOO_BIG: 1009, // a frame over 1 MB: that frame is not resent, the socket reconnects
  LOGGED_OUT: 4001,
  CREDENTIALS_CHANGED: 4002, // the session may still be valid: reconnect
  ACCESS_ENDED: 4003,
  UNAUTHENTICATED: 4401,
  TWO_FACTOR_REQUIRED: 4403,
  TOO_MANY_SOCKETS: 4409,
  TOO_MANY_FRAMES: 4429,
  WELCOME_REQUIRED: 4451,
};

// Never retried: reconnecting would be refused again, or must not happen at all.
const FINAL = new Set([
  CLOSE.LOGGED_OUT, CLOSE.ACCESS_ENDED, CLOSE.TOO_MANY_SOCKETS,
  CLOSE.UNAUTHENTICATED, CLOSE.TWO_FACTOR_REQUIRED, CLOSE.WELCOME_REQUIRED,
]);
// The page reloads for these: the server then sends the person to the login page, the
// authenticator enrolment or /bienvenue/ (with the page to come back to), as every page does.
const RELOAD = new Set([CLOSE.UNAUTHENTICATED, CLOSE.TWO_FACTOR_REQUIRED, CLOSE.WELCOME_REQUIRED]);
const RELOAD_GUARD_MS = 60000; // a page that keeps loading but whose socket is refused: no loop
const PING_EVERY_MS = 30000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30000;
const FLOODED_PAUSE_MS = 30000; // 4429: the server asked us to slow down

// Exponential backoff with jitter, so a restarted server is not stampeded by every tab.
export function backoff(attempts, floor = 0) {
  const base = Math.max(floor, Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempts));
  return base * (0.5 + Math.random() / 2);
}

function reloadOnce() {
  const key = "agora.socket.reloaded";
  try {
    const last = Number(window.sessionStorage.getItem(key)) || 0;
    if (Date.now() - last < RELOAD_GUARD_MS) return;
    window.sessionStorage.setItem(key, String(Date.now()));
  } catch {
    return; // no storage (private mode, blocked): better no reload than a reload loop
  }
  window.location.reload();
}

class LiveSocket {
  constructor(path) {
    this.path = path;
    this.socket = null;
    this.ready = false; // after `hello`, until the socket closes
    this.attempts = 0;
    this.pinger = null;
    this.listeners = [];
    this.connect();
  }

  // { frame(frame), ready(hello, reconnected), down({ code, final, wasReady, attempts }) },
  // each optional.
  listen(listener) {
    this.listeners.push(listener);
    if (this.ready && this.hello && listener.ready) listener.ready(this.hello, false);
  }

  emit(name, ...args) {
    for (const listener of this.listeners) {
      if (listener[name]) listener[name](...args);
    }
  }

  send(frame) {
    if (this.socket && this.ready && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}${this.path}`);
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "hello") {
        const reconnected = this.hello !== undefined;
        this.hello = frame;
        this.ready = true;
        this.attempts = 0;
        this.emit("ready", frame, reconnected);
        return;
      }
      this.emit("frame", frame);
    });
    socket.addEventListener("open", () => {
      window.clearInterval(this.pinger);
      this.pinger = window.setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
    });
    socket.addEventListener("close", (event) => this.onClose(socket, event.code));
  }

  onClose(socket, code) {
    if (socket !== this.socket) return;
    window.clearInterval(this.pinger);
    const wasReady = this.ready;
    this.ready = false;
    const final = FINAL.has(code);
    this.emit("down", { code, final, wasReady, attempts: this.attempts });
    if (final) {
      if (RELOAD.has(code)) reloadOnce();
      return;
    }
    const delay = backoff(this.attempts, code === CLOSE.TOO_MANY_FRAMES ? FLOODED_PAUSE_MS : 0);
    this.attempts += 1;
    window.setTimeout(() => this.connect(), delay);
  }
}

let shared = null;

// The page's socket, opened on first use and shared by every script of the page.
export function liveSocket() {
  if (!shared) shared = new LiveSocket("/ws/");
  return shared;
}
