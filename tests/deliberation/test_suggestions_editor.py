"""The editor's « Suggérer » mode (frontend/src/suggest.js, through y-prosemirror) writes
exactly what the server accepts from a person who may only suggest
(deliberation/suggestions.py); the same edit typed outside the mode is refused."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pycrdt
import pytest
from django.conf import settings

from deliberation import drafts, suggestions
from realtime.yjs.hub import _collector
from realtime.yjs.store import Change

FRONTEND = Path(settings.BASE_DIR) / "frontend"
ME = "8d3c6c1e-6f5e-4a57-9b59-3f1c1f0c2a11"


def check(before: pycrdt.Doc, update: bytes) -> str:
    """The server's verdict on `update`, as the engine reaches it (a shadow copy)."""
    shadow = drafts.new_doc(before.get_update())
    changes: list[Change] = []
    root = shadow.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    subscription = root.observe_deep(_collector(drafts.FRAGMENT, changes))
    shadow.apply_update(update)
    root.unobserve(subscription)
    return suggestions.check_suggestion(before, shadow, changes, ME, drafts.FRAGMENT)


def test_the_editors_suggestions_pass_the_servers_check(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required under CI")
        pytest.skip("node is not installed")
    template = drafts.template_update()
    result = tmp_path / "updates.json"
    done = subprocess.run(  # noqa: S603 - our node and our test file
        [node, "--test", "--test-reporter=spec", "test/suggest.test.mjs"],
        env={
            **os.environ,
            "AGORA_TEMPLATE": base64.b64encode(template).decode(),
            "AGORA_ME": ME,
            "AGORA_RESULT": str(result),
        },
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    updates = [base64.b64decode(u) for u in json.loads(result.read_text())]
    assert len(updates) == 8
    doc = drafts.new_doc(template)
    verdicts = []
    for update in updates:
        verdicts.append(check(doc, update))
        doc.apply_update(update)
    # Typing, deleting, withdrawing, Enter, typing in the new paragraph, pasting, a
    # dropped bold: all accepted; plain typing outside the mode: refused.
    assert verdicts == [""] * 7 + [suggestions.REFUSED_UNMARKED]
    found = suggestions.suggestions_in(doc)
    assert {s.author for s in found} == {ME}
    assert [s.kind for s in found] == ["deletion", "insertion", "insertion", "insertion"]


def test_positions_count_as_the_deltas_do_with_accented_text() -> None:
    """pycrdt counts text positions in UTF-8 bytes: « é » is 2. A suggester may remove
    their own « àà » after « Égalité », never the « é » before it."""
    doc = drafts.new_doc()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    paragraph = fragment.children.append(pycrdt.XmlElement("paragraph"))
    text = paragraph.children.append(pycrdt.XmlText())
    text.insert(0, "Égalité")  # 9 bytes
    text.insert(9, "àà", {"insertion": {"author": ME, "at": "2026-12-07T02:00:00Z"}})

    def removal(start: int, end: int) -> bytes:
        copy = drafts.new_doc(doc.get_update())
        state = copy.get_state()
        target = copy.get(drafts.FRAGMENT, type=pycrdt.XmlFragment).children[0].children[0]
        del target[start:end]
        return copy.get_update(state)

    assert check(doc, removal(9, 13)) == ""
    assert check(doc, removal(7, 9)) == suggestions.REFUSED_REMOVAL
    assert check(doc, removal(7, 13)) == suggestions.REFUSED_REMOVAL
