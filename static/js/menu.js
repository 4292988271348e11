// The main menu: a disclosure button on narrow screens and whenever the header's one row
// does not fit (html.menu-folded; staff have more entries), and the « Mon compte » and
// « Gestion » drop-downs (<details>, which work without this module) closed by Escape or a
// click elsewhere. Without JavaScript the menu simply stays open under the brand.

const root = document.documentElement;
const button = document.querySelector(".menu-button");
const menu = document.getElementById("site-menu");
const groups = Array.from(document.querySelectorAll(".menu-group"));

function setOpen(open) {
  button.setAttribute("aria-expanded", open ? "true" : "false");
  menu.classList.toggle("is-open", open);
}

// Narrow screens always fold; wider ones fold when the unwrapped row overflows.
const narrow = window.matchMedia("(max-width: 72rem)");
const row = document.querySelector(".site-header__inner");

function overflows() {
  return row !== null && row.scrollWidth > row.clientWidth + 1;
}

function fold() {
  // Widest first: the search box in the row, then a « Chercher » link, then the button.
  root.classList.remove("menu-folded", "menu-no-search");
  let folded = narrow.matches;
  if (!folded && overflows()) {
    root.classList.add("menu-no-search");
    folded = overflows();
  }
  root.classList.toggle("menu-folded", folded);
  if (!folded && button.getAttribute("aria-expanded") === "true") setOpen(false);
}

if (button && menu) {
  root.classList.add("menu-js");
  button.hidden = false;
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  fold();
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(fold);
  });
}

for (const group of groups) {
  group.addEventListener("toggle", () => {
    if (!group.open) return;
    for (const other of groups) {
      if (other !== group) other.open = false;
    }
  });
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const openGroup = groups.find((group) => group.open);
  if (openGroup) {
    openGroup.open = false;
    openGroup.querySelector("summary").focus();
    return;
  }
  if (button && button.getAttribute("aria-expanded") === "true") {
    setOpen(false);
    button.focus();
  }
});

document.addEventListener("click", (event) => {
  for (const group of groups) {
    if (group.open && !group.contains(event.target)) group.open = false;
  }
});
