"""A tiny, safe text format for policy texts, so the DCCU and the DPD write them without HTML.

The format, one block per paragraph (blocks are separated by a blank line):

- ``## Title`` and ``### Subtitle`` are headings;
- lines starting with ``- `` make a bulleted list;
- any other block is a paragraph;
- inline, ``**words**`` is bold and ``[words](/path)`` a link.

Everything is escaped first, so a text can never inject markup; links may only
point inside the platform (``/…``, ``#…``), to an email address or a phone
number, or be ``https://`` links a person clicks — nothing is ever *loaded*
from elsewhere, so no text can break the no-external-resource rule.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ALLOWED_LINK_PREFIXES = ("/", "#", "mailto:", "tel:", "https://")
_OFFSITE_PATHS = ("//", "/\\")


def _inline(text: str) -> str:
    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        # Escaping already happened; "&amp;" in a query string is what HTML wants.
        # "//host" and "/\host" (which browsers read as "//host") leave the platform
        # while looking like a path inside it.
        if not target.startswith(_ALLOWED_LINK_PREFIXES) or target.startswith(_OFFSITE_PATHS):
            return match.group(0)
        return f'<a href="{target}">{label}</a>'

    return _BOLD.sub(r"<strong>\1</strong>", _LINK.sub(link, escape(text)))


def render(body: str, *, top_heading: int = 2) -> SafeString:
    """HTML for a policy text; ``##`` becomes ``<h{top_heading}>`` to fit the page's outline."""
    html: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith(("## ", "### ")):
            flush()
            level = min(top_heading + (1 if line.startswith("### ") else 0), 6)
            html.append(f"<h{level}>{_inline(line.split(' ', 1)[1].strip())}</h{level}>")
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(line[2:].strip())
        elif items and raw[:1].isspace():
            items[-1] += " " + line  # an indented line continues the list item
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return mark_safe("\n".join(html))  # noqa: S308 - every piece was escaped by _inline
