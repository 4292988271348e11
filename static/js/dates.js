// One way to write dates in the live client, the same as the server's (config/dates.py):
// « 6 déc. 2026, 19 h 08 » for a moment, « 1er octobre 2026 » for a day, in the assembly's
// time zone. Built from Intl's parts, so the month names are the browser's CLDR ones —
// the ones config/dates.py copies (tests/config/test_dates.py compares the two).

export const TIME_ZONE = "Europe/Paris"; // config/settings.py TIME_ZONE (a test checks)

function language() {
  const lang = (document.documentElement.lang || "fr").toLowerCase().split("-")[0];
  return lang === "en" ? "en" : "fr";
}

function parts(date, lang, options) {
  const locale = lang === "en" ? "en-GB" : "fr-FR";
  const found = {};
  for (const part of new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, ...options })
    .formatToParts(date)) {
    found[part.type] = part.value;
  }
  return found;
}

function toDate(value) {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function dayNumber(day, lang) {
  return lang === "fr" && day === "1" ? "1er" : day;
}

// « 6 déc. 2026, 19 h 08 »; "" for an invalid date.
export function formatWhen(value, lang = language()) {
  const date = toDate(value);
  if (!date) return "";
  const p = parts(date, lang, {
    day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
    hourCycle: "h23",
  });
  const hour = lang === "fr" ? String(Number(p.hour)) : p.hour.padStart(2, "0");
  const clock = lang === "fr" ? `${hour} h ${p.minute}` : `${hour}:${p.minute}`;
  return `${dayNumber(p.day, lang)} ${p.month} ${p.year}, ${clock}`;
}

// « 1er octobre 2026 » (withYear false: « 1er octobre »); "" for an invalid date.
export function formatDay(value, lang = language(), withYear = true) {
  const date = toDate(value);
  if (!date) return "";
  const p = parts(date, lang, { day: "numeric", month: "long", year: "numeric" });
  const text = `${dayNumber(p.day, lang)} ${p.month}`;
  return withYear ? `${text} ${p.year}` : text;
}

// Rewrite every <time data-format="when|day"> of `root` (server-rendered ones already
// read the same; this is for what the client adds).
export function formatTimes(root = document) {
  for (const el of root.querySelectorAll("time[datetime][data-format]")) {
    const text = el.dataset.format === "day"
      ? formatDay(el.getAttribute("datetime"))
      : formatWhen(el.getAttribute("datetime"));
    if (text) el.textContent = text;
  }
}
