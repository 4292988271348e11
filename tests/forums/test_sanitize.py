"""Whatever people type, what reaches a browser is inert (forums/sanitize.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from forums import sanitize

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">clic</a>",
    "<svg/onload=alert(1)>",
    "<iframe src=https://evil.example></iframe>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "\"><script>alert(1)</script>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "**<script>alert(1)</script>**",
    "https://exemple.fr/\"onmouseover=\"alert(1)",
]
ALLOWED_ATTRIBUTES = {"href", "target", "rel", "class"}


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_inert(rendered: str, tags: set[str]) -> None:
    parser = Elements()
    parser.feed(rendered)
    for tag, attrs in parser.found:
        assert tag in tags, rendered
        assert set(attrs) <= ALLOWED_ATTRIBUTES, rendered
        href = attrs.get("href") or ""
        assert not href or href.startswith(("https://", "http://", "mailto:")), rendered


@pytest.mark.parametrize("payload", PAYLOADS)
def test_chat_text_renders_every_payload_inert(payload: str) -> None:
    assert_inert(sanitize.render_text(payload, []), sanitize.CHAT_TAGS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rich_posts_keep_no_payload(payload: str) -> None:
    assert_inert(sanitize.render_html(payload), sanitize.POST_TAGS)


@pytest.mark.parametrize(
    ("text", "names", "found"),
    [
        ("Merci @Zoé M. !", ["zoé m."], ["zoé m."]),
        ("Merci @Zoé M., à demain", ["zoé m."], ["zoé m."]),
        ("@Jean-Pierre Roux et @Zoé M.", ["jean-pierre roux", "zoé m."],
         ["jean-pierre roux", "zoé m."]),
        ("écrivez à zoe@exemple.fr", ["exemple.fr"], []),
        ("@Inconnu du groupe", ["zoé m."], []),
    ],
)
def test_mentions_are_found_by_the_longest_known_name(
    text: str, names: list[str], found: list[str]
) -> None:
    assert [m.key for m in sanitize.find_mentions(text, names)] == found


def test_a_link_keeps_its_closing_parenthesis_only_when_it_opened_one() -> None:
    rendered = sanitize.render_text(
        "(voir https://fr.wikipedia.org/wiki/Toulouse_(ville))", []
    )
    assert 'href="https://fr.wikipedia.org/wiki/Toulouse_(ville)"' in rendered
    assert rendered.endswith("</a>)")
