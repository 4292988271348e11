// The main menu: a disclosure button on narrow screens, and the « Mon compte » and
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

if (button && menu) {
  root.classList.add("menu-js");
  button.hidden = false;
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
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
