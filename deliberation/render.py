"""A draft's content as safe, read-only HTML (pages without JavaScript, versions, projection).

Everything is escaped; only the block types and marks of the editor's schema become tags,
anything else renders its children only. Links keep http(s) and mailto targets only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from deliberation.drafts import Block, Run

# ProseMirror node → (tag, class attribute or "").
BLOCK_TAGS: dict[str, tuple[str, str]] = {
    "paragraph": ("p", ""),
    "bulletList": ("ul", ""),
    "orderedList": ("ol", ""),
    "listItem": ("li", ""),
    "blockquote": ("blockquote", ""),
    "callout": ("aside", "callout"),
    "tableRow": ("tr", ""),
    "tableHeader": ("th", ""),
    "tableCell": ("td", ""),
    "figureCaption": ("p", "caption"),
}
SAFE_SCHEMES = {"http", "https", "mailto"}


def _safe_href(href: Any) -> str | None:
    if not isinstance(href, str) or not href.strip():
        return None
    scheme = urlsplit(href.strip()).scheme.lower()
    return href.strip() if scheme in SAFE_SCHEMES else None


def _run(run: Run) -> str:
    text = escape(run.text).replace("\n", "<br>")
    marks = run.marks or {}
    if marks.get("bold"):
        text = f"<strong>{text}</strong>"
    if marks.get("italic"):
        text = f"<em>{text}</em>"
    link = marks.get("link")
    href = _safe_href(link.get("href") if isinstance(link, dict) else None)
    if href:
        text = f'<a href="{escape(href)}" rel="noopener noreferrer nofollow">{text}</a>'
    return text


def _heading_level(block: Block) -> int:
    try:
        level = int(float(block.attrs.get("level", 2)))
    except (TypeError, ValueError):
        level = 2
    # The page's own title is an h1: the draft's headings start one level below.
    return min(max(level, 1), 3) + 1


def _block(block: Block) -> str:
    if block.type == "#text":
        return "".join(_run(run) for run in block.runs)
    inner = "".join(_block(child) for child in block.children)
    if block.type == "heading":
        level = _heading_level(block)
        return f"<h{level}>{inner}</h{level}>"
    if block.type == "hardBreak":
        return "<br>"
    if block.type == "horizontalRule":
        return "<hr>"
    if block.type == "table":
        return f'<div class="table-wrap"><table><tbody>{inner}</tbody></table></div>'
    tag = BLOCK_TAGS.get(block.type)
    if tag is None:
        return inner  # unknown node: its text still shows, never its markup
    name, css = tag
    return f'<{name} class="{css}">{inner}</{name}>' if css else f"<{name}>{inner}</{name}>"


def blocks_html(blocks: Iterable[Block]) -> SafeString:
    """The blocks as HTML; every text and attribute is escaped."""
    return mark_safe("".join(_block(block) for block in blocks))  # noqa: S308 - escaped above


def doc_html(doc: Any) -> SafeString:
    from deliberation.drafts import to_blocks

    return blocks_html(to_blocks(doc))


# --- Differences between two versions --------------------------------------------------------


def _words_diff(old: str, new: str) -> tuple[SafeString, SafeString]:
    """The two lines with the words that changed wrapped in <del> and <ins>."""
    import difflib
    import re

    a, b = re.findall(r"\S+|\s+", old), re.findall(r"\S+|\s+", new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        removed, added = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(removed)
            right.append(added)
            continue
        if removed:
            left.append(f"<del>{removed}</del>")
        if added:
            right.append(f"<ins>{added}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 - escaped


def _whole(tag: str, line: str) -> SafeString:
    return mark_safe(f"<{tag}>{escape(line)}</{tag}>") if line else mark_safe("")  # noqa: S308


def line_diff(old_text: str, new_text: str) -> list[dict[str, Any]]:
    """Rows {"op": "equal"|"delete"|"insert", "html": …} from `old_text` to `new_text`,
    line by line; a changed line shows as a deletion then an insertion with the changed
    words marked."""
    import difflib

    old, new = old_text.splitlines(), new_text.splitlines()
    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [{"op": "equal", "html": escape(line)} for line in old[i1:i2]]
            continue
        removed, added = old[i1:i2], new[j1:j2]
        if op == "replace":
            pairs = min(len(removed), len(added))
            for k in range(pairs):
                left, right = _words_diff(removed[k], added[k])
                rows += [{"op": "delete", "html": left}, {"op": "insert", "html": right}]
            removed, added = removed[pairs:], added[pairs:]
        rows += [{"op": "delete", "html": _whole("del", line)} for line in removed]
        rows += [{"op": "insert", "html": _whole("ins", line)} for line in added]
    return rows
