"""Turn what people type into safe HTML: plain chat text, or rich forum posts from CKEditor.

Everything ends in one nh3 pass with a short allow-list, so whatever the
rendering steps before it get wrong, no script, style or event handler
reaches a browser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import nh3

LINK_REL = "nofollow noopener noreferrer"

CHAT_TAGS = {"a", "strong", "em", "br", "span"}
POST_TAGS = CHAT_TAGS | {
    "p", "b", "i", "u", "s", "ul", "ol", "li", "blockquote", "h2", "h3", "h4", "code", "pre",
    "hr",
}
ATTRIBUTES = {"a": {"href", "target"}, "span": {"class"}}
URL_SCHEMES = {"http", "https", "mailto"}

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?)]}»"
BOLD_RE = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
ITALIC_RE = re.compile(r"(?<![\w*])_(?=\S)(.+?)(?<=\S)_(?!\w)")
# "@" at the start or after something that is not part of a word (not in e-mail addresses).
MENTION_START_RE = re.compile(r"(?<![\w@])@(?=\w)")
MENTION_MAX_WORDS = 4
MENTION_MAX_COUNT = 20


def clean(html_text: str, *, tags: set[str]) -> str:
    return nh3.clean(
        html_text,
        tags=tags,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def mention_candidates(text: str) -> list[tuple[int, list[str]]]:
    """For each « @ » in the text: its position and the names it may start, longest first.

    Names may have spaces and dots (« @Zoé M. »), so the words after the @ are
    tried from four down to one, with and without trailing punctuation.
    """
    found: list[tuple[int, list[str]]] = []
    for match in list(MENTION_START_RE.finditer(text))[:MENTION_MAX_COUNT]:
        rest = text[match.end():].split("\n", 1)[0]
        words = rest.split()[:MENTION_MAX_WORDS]
        names: list[str] = []
        for n in range(len(words), 0, -1):
            name = " ".join(words[:n])
            # « @Zoé M., » : try "Zoé M.," then "Zoé M." then "Zoé M" (the dot may be hers).
            while name:
                if name not in names:
                    names.append(name)
                if name[-1] not in TRAILING_PUNCTUATION:
                    break
                name = name[:-1]
        found.append((match.start(), names))
    return found


def candidate_names(text: str) -> set[str]:
    return {name for _pos, names in mention_candidates(text) for name in names}


@dataclass(frozen=True)
class Mention:
    start: int  # position of the « @ »
    end: int  # just after the name
    key: str  # the name, casefolded: the key into the resolved people


def find_mentions(text: str, known: Iterable[str]) -> list[Mention]:
    """Where ``text`` mentions one of the ``known`` names (casefolded), longest name first."""
    names = {n.casefold() for n in known}
    mentions: list[Mention] = []
    last_end = -1
    for start, candidates in mention_candidates(text):
        if start < last_end:
            continue
        for name in candidates:
            after = start + 1
            if text[after:after + len(name)].casefold() == name.casefold() and (
                name.casefold() in names
            ):
                mentions.append(Mention(start, after + len(name), name.casefold()))
                last_end = after + len(name)
                break
    return mentions


def _inline(escaped: str) -> str:
    escaped = BOLD_RE.sub(r"<strong>\1</strong>", escaped)
    return ITALIC_RE.sub(r"<em>\1</em>", escaped)


def _link(url: str) -> tuple[str, str]:
    """The link for a URL found in text, and the punctuation that followed it."""
    trail = ""
    while url and url[-1] in TRAILING_PUNCTUATION:
        # A closing parenthesis belongs to the URL when it opened one (Wikipedia links).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        trail = url[-1] + trail
        url = url[:-1]
    href = html.escape(url, quote=True)
    return f'<a href="{href}">{html.escape(url)}</a>', trail


def render_text(
    text: str, mentions: list[Mention], label: Callable[[str], str] | None = None
) -> str:
    """Plain text → HTML: escaped, links, **bold**, _italic_, line breaks, mentions.

    ``label(key)`` gives the name shown for a mention (defaults to the typed text).
    """
    parts: list[str] = []
    cursor = 0
    for mention in mentions:
        parts.append(_render_plain(text[cursor:mention.start]))
        shown = label(mention.key) if label else text[mention.start + 1:mention.end]
        parts.append(f'<span class="mention">@{html.escape(shown)}</span>')
        cursor = mention.end
    parts.append(_render_plain(text[cursor:]))
    return clean("".join(parts).replace("\r\n", "\n").replace("\n", "<br>"), tags=CHAT_TAGS)


def _render_plain(text: str) -> str:
    out: list[str] = []
    cursor = 0
    for match in URL_RE.finditer(text):
        out.append(_inline(html.escape(text[cursor:match.start()], quote=False)))
        link, trail = _link(match.group(0))
        out.append(link + html.escape(trail, quote=False))
        cursor = match.end()
    out.append(_inline(html.escape(text[cursor:], quote=False)))
    return "".join(out)


def render_html(body: str) -> str:
    """A rich forum post (CKEditor 5 output) → the allow-listed subset of HTML."""
    return clean(body, tags=POST_TAGS)


def text_of_html(body: str) -> str:
    """The text of an HTML post, for finding its mentions and for search."""
    return html.unescape(nh3.clean(re.sub(r"<(br|/p|/li|/h\d)\s*/?>", "\n", body), tags=set()))
