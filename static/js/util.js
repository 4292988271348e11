// Small helpers shared by chat.js and voice.js.

export function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function fill(template, values) {
  return template.replace(/%\((\w+)\)(0?\d*)([ds])/g, (_m, key, pad, _kind) => {
    const value = String(values[key] ?? "");
    return pad ? value.padStart(Number(pad), "0") : value;
  });
}

export function formatDuration(seconds, text) {
  const total = Math.max(1, Math.round(seconds || 0));
  const min = Math.floor(total / 60);
  const sec = total % 60;
  return min ? fill(text.minutes, { min, sec }) : fill(text.seconds, { sec });
}
