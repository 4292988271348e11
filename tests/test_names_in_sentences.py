"""A person's name never ends a sentence: shown names end with a full stop of their own
(« Marc L. »), so « … par %(who)s. » would read « Marc L.. » (issue 13, « Consistency »)."""

from __future__ import annotations

import re
from pathlib import Path

import polib  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
NAME_PLACEHOLDERS = ("name", "who", "author", "person", "sender", "by")
# « %(who)s. » at the end of a text, or before a space: a name then the sentence's stop.
AFTER_NAME = re.compile(r"%\((?:" + "|".join(NAME_PLACEHOLDERS) + r")\)s\.(?:\s|$)")
TEMPLATE_AFTER_NAME = re.compile(
    r"(\{% person [^%]+%\}|\|person_name \}\}|\{\{ (?:who|author) \}\})\."
)


def test_no_translated_sentence_ends_with_a_name() -> None:
    catalogue = polib.pofile(str(ROOT / "locale/fr/LC_MESSAGES/django.po"))
    ending = [
        entry.msgid
        for entry in catalogue
        if not entry.obsolete
        and (AFTER_NAME.search(entry.msgid) or AFTER_NAME.search(entry.msgstr))
    ]
    assert not ending, ending


def test_no_template_puts_a_full_stop_after_a_name() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "templates").rglob("*.*")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TEMPLATE_AFTER_NAME.search(line)
    ]
    assert not found, found
