"""No page loads anything from another site, and no cookie but session, CSRF and language.

Every URL the resolver knows is opened — those without arguments, plus those
whose arguments can be built here — by an anonymous visitor, a member, the DCCU
and the DPD (both with their second factor). In the HTML, only ``<a href>`` may
point to another site (a link a person chooses to follow, like the CNIL's);
anything the browser would *load* or *send* — ``src``, ``srcset``, ``<link
href>``, ``action``, inline styles, CSS ``url()`` and ``@import``, URLs in
scripts — must stay on the platform. The stylesheets and scripts the pages
reference are read from the static files and checked the same way. This is
what lets the platform do without a cookie banner, and keeps people's
browsing to itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from gdpr.models import OptionalPurpose, PolicyText, TextKind
from tests import factories

pytestmark = pytest.mark.django_db

LOCAL_HOSTS = {"", "testserver"}
# XML namespace names are identifiers written as URLs, never fetched.
NAMESPACE_URIS = re.compile(r"^https?://www\.w3\.org/")
CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)", re.IGNORECASE)
CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*['\"]?([^'\")\s;]+)", re.IGNORECASE)
# A URL in a JS string literal: "https://host…", 'http://…', `//host…`, "wss://…".
JS_URL = re.compile(
    r"""["'`]((?:https?:|wss?:)?//[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}[^"'`\s]*)"""
)
# Attributes through which a page makes the browser fetch or send something.
LOADING_ATTRIBUTES = {"src", "srcset", "href", "action", "formaction", "poster", "data",
                      "background", "manifest", "cite", "longdesc", "ping", "content"}


def is_external(url: str) -> bool:
    url = url.strip()
    if url.startswith("//"):
        return True
    parts = urlsplit(url)
    if parts.scheme in {"", "data", "blob", "mailto", "tel", "javascript"}:
        return parts.scheme == "" and parts.netloc not in LOCAL_HOSTS
    return parts.netloc not in LOCAL_HOSTS


class ResourceParser(HTMLParser):
    """Collects what a page would load: (where, url) pairs, and inline CSS and JS."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loaded: list[tuple[str, str]] = []
        self.inline_css: list[str] = []
        self.inline_js: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name == "style":
                self.inline_css.append(value)
            elif name == "href" and tag == "a":
                continue  # a link a person clicks, not a resource the page loads
            elif name == "srcset":
                for candidate in value.split(","):
                    if candidate.strip():
                        self.loaded.append((f"<{tag} srcset>", candidate.split()[0]))
            elif name in LOADING_ATTRIBUTES or name.startswith("data-") and "://" in value:
                if name == "content" and "url=" not in value.lower():
                    continue  # <meta content> only loads with http-equiv refresh
                self.loaded.append((f"<{tag} {name}>", value.split("url=")[-1]))
        if tag in {"style", "script"}:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.inline_css.append(data)
        elif self._in == "script":
            self.inline_js.append(data)


def css_problems(css: str, where: str) -> list[str]:
    found = [m.group(2) for m in CSS_URL.finditer(css)] + [
        m.group(1) for m in CSS_IMPORT.finditer(css)
    ]
    return [f"{where}: {url}" for url in dict.fromkeys(found) if is_external(url)]


# URLs in the CKEditor 5 bundle (django-ckeditor-5) that no page loads, each for a reason
# checked here or in the test below. Anything else in that bundle still fails the test.
CKEDITOR_BUNDLE = "django_ckeditor_5/dist/bundle.js"
CKEDITOR_INERT_URLS = (
    # The « Powered by CKEditor » badge its GPL licence asks for: an <a href> the editor
    # draws, followed only if a person clicks it (like any link they choose to follow).
    re.compile(r"^https://ckeditor\.com/powered-by-ckeditor/"),
    # The placeholder shown in the image plugin's address field (no image upload here).
    re.compile(r"^https://example\.com/image\.png$"),
    # The media-embed plugin's player templates: the plugin is not in our configuration
    # (test_the_rich_text_editor_embeds_no_media), so no iframe is ever made from them.
    re.compile(
        r"^https://(open\.spotify\.com|player\.vimeo\.com|www\.dailymotion\.com|"
        r"www\.youtube\.com)/"
    ),
)


def js_problems(js: str, where: str) -> list[str]:
    inert = CKEDITOR_INERT_URLS if where.endswith(CKEDITOR_BUNDLE) else ()
    return [
        f"{where}: {m.group(1)}"
        for m in JS_URL.finditer(js)
        if not NAMESPACE_URIS.match(m.group(1))
        and not any(pattern.match(m.group(1)) for pattern in inert)
    ]


def test_the_rich_text_editor_embeds_no_media() -> None:
    """The player templates above stay inert only while no configuration enables media."""
    for config in settings.CKEDITOR_5_CONFIGS.values():
        assert "mediaEmbed" not in config.get("toolbar", [])
        assert "MediaEmbed" not in str(config.get("plugins", ""))
        assert "mediaEmbed" not in config


def static_problems(url: str, seen: set[str]) -> list[str]:
    """Check a referenced stylesheet or script, and what it imports in turn."""
    path = urlsplit(url).path
    if not path.startswith(settings.STATIC_URL) or path in seen:
        return []
    seen.add(path)
    found = finders.find(path[len(settings.STATIC_URL):])
    assert found, f"{url} is referenced but is not a static file"
    text = Path(str(found)).read_text(encoding="utf-8", errors="replace")
    if path.endswith(".css"):
        problems = css_problems(text, path)
        base = path.rsplit("/", 1)[0] + "/"
        for match in CSS_IMPORT.finditer(text):
            target = match.group(1)
            if not is_external(target):
                problems += static_problems(target if target.startswith("/") else base + target,
                                            seen)
        return problems
    if path.endswith((".js", ".mjs")):
        return js_problems(text, path)
    return []


# --- Walking the URLs ---------------------------------------------------------------------


def url_names(
    patterns: list[URLPattern | URLResolver] | None = None, namespace: str = ""
) -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield namespace + pattern.name


Builder = Callable[[], dict[str, Any]]


def argument_builders(member: User) -> dict[str, Builder]:
    """Pages with arguments that can be built from the data the test creates."""
    text = PolicyText.current(TextKind.NOTICE)
    assert text is not None
    builders: dict[str, Builder] = {
        "consent:text_detail": lambda: {"text_id": text.pk},
        "consent:text_new": lambda: {"kind": TextKind.NOTICE.value},
        "consent:text_new_purpose": lambda: {
            "kind": TextKind.PURPOSE.value, "purpose": OptionalPurpose.SHOW_CANTON.value,
        },
        "consent:person_consents": lambda: {"person_id": member.pk},
        "invitations:accept": lambda: {"token": "not-a-valid-link"},
        "dpo:register_export": lambda: {"fmt": "html"},
    }
    # Every model in the admin: the change, history and delete pages of its first object.
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is None:
            continue
        opts = model._meta
        for page in ("change", "history", "delete"):
            name = f"admin:{opts.app_label}_{opts.model_name}_{page}"
            builders[name] = lambda pk=first.pk: {"object_id": pk}
    return builders


def urls_to_visit(member: User) -> list[str]:
    builders = argument_builders(member)
    urls: set[str] = set()
    for name in set(url_names()):
        try:
            urls.add(reverse(name))
            continue
        except NoReverseMatch:
            pass
        if name in builders:
            try:
                urls.add(reverse(name, kwargs=builders[name]()))
            except NoReverseMatch:
                pass  # the page changed its arguments: nothing to build it with here
    return sorted(urls)


@pytest.fixture
def people(assembly: Assembly) -> dict[str, User | None]:
    member = factories.make_titulaire(assembly, email="membre@example.org")
    dccu = factories.UserFactory(roles=[Role.DCCU])
    dpd = factories.UserFactory(roles=[Role.DPD])
    for staff in (dccu, dpd):
        enrol_demo_totp(staff)
    factories.make_mandate(assembly)
    return {"anonymous": None, "member": member, "dccu": dccu, "dpd": dpd}


ALLOWED_COOKIES = {
    settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME,
}


def check_response(response: Any, url: str, problems: list[str], seen: set[str]) -> None:
    for name in response.cookies:
        if name not in ALLOWED_COOKIES:
            problems.append(f"{url}: sets the cookie {name!r}")
    location = response.headers.get("Location", "")
    if location and is_external(location):
        problems.append(f"{url}: redirects to another site ({location})")
    if not response.headers.get("Content-Type", "").startswith("text/html"):
        return
    parser = ResourceParser()
    parser.feed(response.content.decode("utf-8", errors="replace"))
    for where, value in parser.loaded:
        if is_external(value):
            problems.append(f"{url}: {where} {value}")
        else:
            problems.extend(static_problems(value, seen))
    for css in parser.inline_css:
        problems.extend(css_problems(css, f"{url} (inline style)"))
    for js in parser.inline_js:
        problems.extend(js_problems(js, f"{url} (inline script)"))


@pytest.mark.parametrize("who", ["anonymous", "member", "dccu", "dpd"])
def test_no_page_loads_anything_from_another_site_or_sets_another_cookie(
    who: str, people: dict[str, User | None]
) -> None:
    member = people["member"]
    assert member is not None
    person = people[who]
    urls = urls_to_visit(member)
    assert "/donnees-personnelles/" in urls and "/" in urls  # the walk found the pages
    problems: list[str] = []
    seen: set[str] = set()
    statuses: dict[int, int] = {}
    client = Client()
    for url in urls:
        if person is not None:
            client.force_login(person)  # again: a page visited before may log out
        response = client.get(url)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        check_response(response, url, problems, seen)
    assert problems == []
    assert statuses.get(500, 0) == 0
    assert statuses.get(200, 0) >= 5, statuses  # pages were really rendered, not just redirects
    assert f"{settings.STATIC_URL}css/agora.css" in seen
    unexpected = set(client.cookies) - ALLOWED_COOKIES
    assert unexpected == set()


def test_a_message_after_a_form_is_no_extra_cookie(member_client: Client) -> None:
    # Django keeps messages in a cookie by default; here they live in the session.
    response = member_client.post(
        f"/confidentialite/choix/{OptionalPurpose.EMAIL_DIGEST.value}/donner/", {"agree": "yes"}
    )
    assert set(response.cookies) <= ALLOWED_COOKIES
    page = member_client.get("/confidentialite/choix/")
    assert len(page.context["messages"]) == 1
    assert set(member_client.cookies) <= ALLOWED_COOKIES


def test_the_checks_catch_what_they_are_meant_to_catch() -> None:
    parser = ResourceParser()
    parser.feed(
        '<a href="https://www.cnil.fr/">CNIL</a>'
        '<link rel="stylesheet" href="https://cdn.example.org/x.css">'
        '<img src="//tracker.example.org/p.gif" srcset="/static/a.png 1x, https://x.org/b.png 2x">'
        '<form action="https://forms.example.org/"></form>'
        '<div style="background: url(https://img.example.org/bg.png)"></div>'
        "<style>@import url('https://fonts.example.org/font.css');</style>"
        '<script>fetch("https://api.example.org/collect")</script>'
    )
    external = [value for _where, value in parser.loaded if is_external(value)]
    assert external == [
        "https://cdn.example.org/x.css", "//tracker.example.org/p.gif", "https://x.org/b.png",
        "https://forms.example.org/",
    ]
    assert css_problems(" ".join(parser.inline_css), "inline")
    assert len(css_problems(" ".join(parser.inline_css), "inline")) == 2
    assert js_problems(" ".join(parser.inline_js), "inline")
    assert not js_problems('el = document.createElementNS("http://www.w3.org/2000/svg", "svg")',
                           "ns")
    assert not is_external("/static/css/agora.css") and not is_external("#contenu")
    assert not is_external("mailto:dpd@example.org") and is_external("http://evil.example/")
