"""A draft's content as safe, read-only HTML (pages without JavaScript, versions, projection).

Everything is escaped; only the block types and marks of the editor's schema become tags,
anything else renders its children only. Links keep http(s) and mailto targets only.
"""

from __future__ import annotations

import difflib
import re
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
    # Pending suggestions (deliberation/suggestions.py) show as the editor shows them.
    for mark, tag in (("insertion", "ins"), ("deletion", "del")):
        if isinstance(marks.get(mark), dict):
            text = f'<{tag} class="suggestion suggestion--{mark}">{text}</{tag}>'
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


# --- A rendered, word-level change view (« suivi des modifications ») ---------------------------
# The two versions' block trees are compared block by block; a block whose text changed
# shows its words, with their formatting, as kept, <del>eted or <ins>erted; a whole block
# added or removed shows inside one <ins> or <del> wrapper (class diff-block--…).

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_TEXT_BLOCKS = {"paragraph", "heading", "figureCaption", "tableHeader", "tableCell"}


def _tokens(block: Block) -> list[tuple[str, dict[str, Any]]]:
    """The words and spaces of a block's text, each with the marks it is written with."""
    tokens: list[tuple[str, dict[str, Any]]] = []
    for child in block.children if block.type != "#text" else [block]:
        if child.type == "#text":
            for run in child.runs:
                marks = {k: v for k, v in (run.marks or {}).items() if k != "comment"}
                tokens += [(piece, marks) for piece in _TOKEN.findall(run.text)]
        elif child.type == "hardBreak":
            tokens.append(("\n", {}))
        else:
            tokens += _tokens(child)
    return tokens


def _marks_key(marks: dict[str, Any]) -> tuple[Any, ...]:
    link = marks.get("link")
    href = link.get("href") if isinstance(link, dict) else None
    # A suggestion made, accepted or rejected between two versions is a change too.
    suggested = tuple(
        str(marks[m].get("author")) if isinstance(marks.get(m), dict) else ""
        for m in ("insertion", "deletion")
    )
    return (bool(marks.get("bold")), bool(marks.get("italic")), href, suggested)


def _render_tokens(tokens: list[tuple[str, dict[str, Any]]]) -> str:
    """The tokens as runs, neighbours written alike joined into one."""
    runs: list[Run] = []
    for text, marks in tokens:
        if runs and _marks_key(runs[-1].marks) == _marks_key(marks):
            runs[-1] = Run(runs[-1].text + text, runs[-1].marks)
        else:
            runs.append(Run(text, marks))
    return "".join(_run(run) for run in runs)


def _words_in_block(old: Block, new: Block) -> str:
    a, b = _tokens(old), _tokens(new)
    keys_a = [(text, _marks_key(marks)) for text, marks in a]
    keys_b = [(text, _marks_key(marks)) for text, marks in b]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(_render_tokens(b[j1:j2]))
            continue
        if i2 > i1:
            out.append(f"<del>{_render_tokens(a[i1:i2])}</del>")
        if j2 > j1:
            out.append(f"<ins>{_render_tokens(b[j1:j2])}</ins>")
    return "".join(out)


def _signature(block: Block) -> tuple[Any, ...]:
    level = str(block.attrs.get("level", "")) if block.type == "heading" else ""
    return (block.type, level, tuple((text, _marks_key(marks)) for text, marks in _tokens(block)))


def _open_close(block: Block, inner: str) -> str:
    """``block``'s own tag around ``inner`` (as _block renders it)."""
    rendered = _block(Block(block.type, block.attrs, [Block("#text", runs=[Run("\x00")])]))
    return rendered.replace(escape("\x00"), inner).replace("\x00", inner)


def _whole_block(tag: str, block: Block) -> str:
    """A block added or removed whole: its content inside <ins>/<del> (inside its cells and
    items, where a list or a table allows no other child)."""
    if block.type in ("table", "tableRow", "bulletList", "orderedList"):
        return _open_close(block, "".join(_whole_block(tag, child) for child in block.children))
    if block.type in ("hardBreak", "horizontalRule"):
        return _block(block)
    inner = _block(block) if block.type == "#text" else "".join(map(_block, block.children))
    return _open_close(block, f'<{tag} class="diff-block">{inner}</{tag}>')


def _diff_children(old: list[Block], new: list[Block]) -> str:
    out: list[str] = []
    matcher = difflib.SequenceMatcher(
        a=[_signature(b) for b in old], b=[_signature(b) for b in new], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += [_block(block) for block in new[j1:j2]]
            continue
        removed, added = old[i1:i2], new[j1:j2]
        # Within a changed stretch, blocks of the same type in the same order are one
        # block edited (its words compared); the others were removed or added whole.
        by_type = difflib.SequenceMatcher(
            a=[b.type for b in removed], b=[b.type for b in added], autojunk=False
        )
        for kind, k1, k2, m1, m2 in by_type.get_opcodes():
            if kind == "equal":
                out += [_diff_pair(x, y) for x, y in zip(removed[k1:k2], added[m1:m2], strict=True)]
                continue
            out += [_whole_block("del", block) for block in removed[k1:k2]]
            out += [_whole_block("ins", block) for block in added[m1:m2]]
    return "".join(out)


def _diff_pair(old: Block, new: Block) -> str:
    """Two blocks of the same type in the same place: their differences inside."""
    if new.type in _TEXT_BLOCKS or new.type == "#text":
        if new.type == "heading" and old.attrs.get("level") != new.attrs.get("level"):
            return _whole_block("del", old) + _whole_block("ins", new)
        return _open_close(new, _words_in_block(old, new))
    if not new.children and not old.children:
        return _block(new)
    return _open_close(new, _diff_children(old.children, new.children))


def changes_html(old_doc: Any, new_doc: Any) -> tuple[SafeString, bool]:
    """The new version rendered with the changes from the old one marked in it, and
    whether anything changed. Every text and attribute is escaped (by _block and _run)."""
    from deliberation.drafts import to_blocks

    old, new = to_blocks(old_doc), to_blocks(new_doc)
    changed = [_signature(b) for b in old] != [_signature(b) for b in new]
    return mark_safe(_diff_children(old, new)), changed  # noqa: S308 - escaped above
