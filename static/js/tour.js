// The guided first visit (templates/accounts/_tour.html, steps from accounts/tours.py): a
// native modal <dialog>, so the browser keeps focus inside it, Escape closes it (= skip)
// and focus comes back where it was. Each step outlines a real element of the page; on a
// phone, an entry of the folded menu is shown by the « Menu » button, with a word on where
// it is. The outcome (done or skipped) is posted once, with the form's CSRF token.

const data = JSON.parse(document.getElementById("tour-data").textContent);
const dialog = document.getElementById("tour");
const invite = document.querySelector("[data-tour-invite]");
const start = invite && invite.querySelector("[data-tour-start]");
const after = invite && invite.querySelector("[data-tour-after]");
const form = dialog.querySelector("[data-tour-form]");
const count = dialog.querySelector("#tour-count");
const title = dialog.querySelector("#tour-title");
const text = dialog.querySelector("[data-tour-text]");
const foldedHint = dialog.querySelector("[data-tour-folded]");
const foldedMenuHint = dialog.querySelector("[data-tour-folded-menu]");
const previous = dialog.querySelector("[data-tour-previous]");
const next = dialog.querySelector("[data-tour-next]");
const skip = dialog.querySelector("[data-tour-skip]");
const stepInput = dialog.querySelector("[data-tour-step]");
const steps = data.steps;
const stillness = window.matchMedia("(prefers-reduced-motion: reduce)");

let index = 0;
let highlighted = null;
let opener = null;
let saved = false;

function shown(element) {
  return element.getClientRects().length > 0;
}

// The element a step points at: the first one shown; an entry of the folded menu (or the
// menu itself) is pointed at by its « Menu » button.
function targetOf(step) {
  const candidates = Array.from(document.querySelectorAll(step.target));
  const element = candidates.find(shown) || candidates[0] || null;
  const menu = document.getElementById("site-menu");
  const button = document.querySelector(".menu-button");
  const folded = button !== null && !button.hidden && shown(button)
    && menu !== null && !menu.classList.contains("is-open");
  if (element && folded && menu.contains(element)) {
    return { element: button, folded: element === menu ? "menu" : "entry" };
  }
  return { element: element && shown(element) ? element : null, folded: "" };
}

function unhighlight() {
  if (highlighted) highlighted.classList.remove("tour-target");
  highlighted = null;
}

function render() {
  const step = steps[index];
  const last = index === steps.length - 1;
  count.textContent = count.dataset.pattern
    .replace("{current}", String(index + 1))
    .replace("{total}", String(steps.length));
  title.textContent = step.title;
  text.textContent = step.text;
  previous.hidden = index === 0;
  next.textContent = last ? next.dataset.labelFinish : next.dataset.labelNext;
  stepInput.value = String(index + 1);

  unhighlight();
  const { element, folded } = targetOf(step);
  foldedHint.hidden = folded !== "entry";
  foldedMenuHint.hidden = folded !== "menu";
  dialog.classList.remove("tour--top");
  if (element) {
    highlighted = element;
    element.classList.add("tour-target");
    const still = stillness.matches || document.documentElement.classList.contains("comfort-still");
    element.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
    // Keep the dialog off the element: at the top when the element is low in the window.
    const rect = element.getBoundingClientRect();
    if (rect.top > window.innerHeight / 2) dialog.classList.add("tour--top");
  }
  // A button that disappears (« Previous » on the first step) must not take focus away.
  if (!dialog.contains(document.activeElement) || document.activeElement.hidden) next.focus();
}

function save(outcome) {
  if (saved) return;
  saved = true;
  const body = new FormData(form);
  body.set("outcome", outcome);
  fetch(data.progress_url, {
    method: "POST",
    body,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    keepalive: true,
  }).catch(() => {
    saved = false; // offered again on the next visit of the home page
  });
}

function open(from) {
  opener = from;
  index = 0;
  dialog.showModal();
  render();
  next.focus();
}

function finish(outcome) {
  save(outcome);
  dialog.close(outcome);
}

previous.addEventListener("click", () => {
  if (index > 0) {
    index -= 1;
    render();
  }
});

next.addEventListener("click", () => {
  if (index < steps.length - 1) {
    index += 1;
    render();
  } else {
    finish("done");
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  finish("skipped");
});

skip.addEventListener("click", (event) => {
  event.preventDefault();
  finish("skipped");
});

dialog.addEventListener("close", () => {
  // Closed another way than « Finish »: Escape (the browser's « cancel », which Chromium
  // may skip for a dialog opened without a click) is « Skip the visit ».
  if (!saved) save("skipped");
  unhighlight();
  if (invite) {
    invite.querySelector("[data-tour-invite-actions]").hidden = true;
    after.hidden = false;
  }
  const back = opener && opener.isConnected && shown(opener) ? opener : after;
  if (back) back.focus();
});

if (start) {
  start.hidden = false;
  start.addEventListener("click", () => open(start));
}
if (data.autostart) open(null);
