"""The stylesheet keeps what people rely on to read the page (static checks of static/css)."""

from __future__ import annotations

import re
from pathlib import Path

SOURCE = (Path(__file__).resolve().parents[2] / "static/css/agora.css").read_text()
CSS = re.sub(r"/\*.*?\*/", "", SOURCE, flags=re.S)


def _rules(selector_pattern: str) -> list[str]:
    return [
        m.group(2)
        for m in re.finditer(r"([^{}]+)\{([^}]*)\}", CSS)
        if re.search(selector_pattern, m.group(1))
    ]


def test_a_flex_disclosure_still_shows_that_it_opens() -> None:
    # display: flex on a <summary> drops the browser's triangle (« 18 membres » read as a
    # stray bold word): the stylesheet draws one, closed and open.
    assert any("display: flex" in body for body in _rules(r"\.disclosure > summary\s*$"))
    closed = _rules(r"\.disclosure > summary::before")
    opened = _rules(r"\.disclosure\[open\] > summary::before")
    assert closed and "content:" in closed[0] and opened and "content:" in opened[0]


def test_hidden_beats_any_class_display() -> None:
    assert any("display: none !important" in body for body in _rules(r"^\s*\[hidden\]\s*$"))


def test_a_stacked_cell_without_label_gets_no_stray_colon() -> None:
    # An empty state (« Aucune invitation pour le moment. ») spans the row, unlabelled.
    assert any("content: none" in body for body in _rules(r"td:not\(\[data-label\]\)::before"))
