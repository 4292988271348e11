// A vote's page, its results page and its projection (docs/protocol.md, « Votes »): the
// live count of who voted (never what) and the result pushed when the vote closes, over the
// page's one /ws/ socket. Without it the pages work as plain HTML (reload to see more).

import { liveSocket } from "./socket.js";

const box = document.getElementById("vote-count");
if (box) {
  const voteId = box.dataset.vote;
  const text = document.getElementById("vote-count-text");
  const bar = document.getElementById("vote-count-bar");
  const results = document.getElementById("vote-results");
  const showCount = (voted, eligible) => {
    text.textContent = box.dataset.textCount.replace("{voted}", String(voted)).replace("{eligible}", String(eligible));
    if (bar) {
      bar.max = eligible;
      bar.value = voted;
    }
  };
  const showResult = (html) => {
    if (!html || !results) return;
    // Rendered by the server (decisions/_results.html), the same as on a reload.
    results.innerHTML = html;
    for (const id of ["ballot", "vote-done", "vote-not-voter", "vote-no-result"]) {
      const element = document.getElementById(id);
      if (element) element.hidden = true;
    }
  };
  const live = liveSocket();
  // The layer may drop an event under load (docs/protocol.md): while the vote is not closed,
  // the page asks for the state again now and then, so a missed count or result arrives.
  const RESYNC_MS = 5000;
  window.setInterval(() => {
    if (box.dataset.status !== "clos") live.send({ type: "vote.watch", vote: voteId });
  }, RESYNC_MS);
  live.listen({
    ready: () => live.send({ type: "vote.watch", vote: voteId }),
    frame: (frame) => {
      if (frame.vote !== voteId) return;
      if (frame.type === "vote.state") {
        if (frame.status !== "preparation") showCount(frame.voted, frame.eligible);
        if (frame.status === "clos") {
          box.dataset.status = "clos";
          showResult(frame.html);
        }
        else if (frame.status !== box.dataset.status) window.location.reload();
      } else if (frame.type === "vote.count") {
        showCount(frame.voted, frame.eligible);
      } else if (frame.type === "vote.opened") {
        window.location.reload();
      } else if (frame.type === "vote.closed") {
        showCount(frame.voted, frame.eligible);
        box.dataset.status = "clos";
        showResult(frame.html);
      }
    },
  });
}
