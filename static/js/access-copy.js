// Access copy page: poll the copy's status and show its progress, then the download link.
// Works without it too: the page has a "refresh" link.
const POLL_MS = 1500;

const root = document.getElementById("access-copy");
if (root && root.dataset.finished !== "true") {
  const url = root.dataset.statusUrl;
  const progress = document.getElementById("copy-progress");
  const label = root.querySelector('[data-role="label"]');
  const count = root.querySelector('[data-role="count"]');
  const ready = root.querySelector('[data-role="ready"]');
  const refresh = root.querySelector('[data-role="refresh"]');
  const countTemplate = count ? count.dataset.template : "";
  let lastLabel = label ? label.textContent : "";

  const update = (state) => {
    if (progress) {
      progress.max = Math.max(state.total, 1);
      progress.value = state.done;
      progress.textContent = `${state.percent} %`;
    }
    // Only a change of status is announced (the live region), not every step.
    const text = state.label.charAt(0).toUpperCase() + state.label.slice(1);
    if (label && text !== lastLabel) {
      label.textContent = text;
      lastLabel = text;
    }
    if (count && countTemplate) {
      count.textContent = countTemplate
        .replace("__DONE__", String(state.done))
        .replace("__TOTAL__", String(state.total));
    }
    if (state.finished) {
      if (progress) progress.closest(".copy-progress")?.setAttribute("hidden", "");
      if (count) count.setAttribute("hidden", "");
      if (refresh) refresh.setAttribute("hidden", "");
      if (state.ready && ready) {
        ready.hidden = false;
      } else if (!state.ready) {
        window.location.reload();
      }
    }
  };

  const poll = async () => {
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!response.ok) return;
      const state = await response.json();
      update(state);
      if (state.finished) return;
    } catch (error) {
      // A network hiccup: try again at the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}
