// « Nouvelle conversation »: a box that narrows the list of people as one types (the
// plenary is long). Without it the page lists everyone, which still works.

const box = document.getElementById("people-filter");
if (box) {
  const field = box.closest(".people-filter");
  const count = document.getElementById("people-filter-count");
  const people = Array.from(document.querySelectorAll(".people-picker__person"));
  const fold = (text) => text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const names = people.map((row) => fold(row.textContent));
  field.hidden = false;
  const narrow = () => {
    const wanted = fold(box.value.trim());
    let shown = 0;
    people.forEach((row, index) => {
      // A ticked person stays visible: nobody loses a choice by typing.
      const keep = !wanted || names[index].includes(wanted) || row.querySelector("input").checked;
      row.hidden = !keep;
      if (keep) shown += 1;
    });
    count.textContent = wanted ? `${shown} / ${people.length}` : "";
    // « Mon sous-groupe » / « Tous les autres »: a heading with nobody left under it goes.
    for (const heading of document.querySelectorAll(".people-picker__group")) {
      let row = heading.nextElementSibling;
      let any = false;
      while (row && !row.classList.contains("people-picker__group")) {
        if (row.classList.contains("people-picker__person") && !row.hidden) any = true;
        row = row.nextElementSibling;
      }
      heading.hidden = !any;
    }
  };
  box.addEventListener("input", narrow);
  // Arrived from a person found by the search (?avec=…): the list starts narrowed to them.
  if (box.value) narrow();
}
