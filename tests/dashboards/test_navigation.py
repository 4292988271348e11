"""The main menu: its entries per role, the current page, and that every page behind login
can be reached from it (a crawl from each role's home with the Django test client)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.dashboards.conftest import ROLES, client_for

pytestmark = pytest.mark.django_db


class Links(HTMLParser):
    """Every <a href> (with its aria-current) and every GET form's action of a page."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.links: list[tuple[str, str | None]] = []
        self.buttons: list[str] = []  # POST forms' actions: reached by a button, not crawled
        self.in_nav = 0
        self.nav_links: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav" and values.get("id") == "site-menu":
            self.in_nav = 1
        if tag == "a" and values.get("href"):
            link = (urljoin(self.base, values["href"] or ""), values.get("aria-current"))
            self.links.append(link)
            if self.in_nav:
                self.nav_links.append(link)
        if tag == "form":
            action = urljoin(self.base, values.get("action") or self.base)
            if (values.get("method") or "get").lower() == "get":
                self.links.append((action, None))
            else:
                self.buttons.append(action)

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.in_nav:
            self.in_nav = 0


def _links(client: Any, url: str) -> Links:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = Links(url)
    parser.feed(response.content.decode())
    return parser


def _current(parser: Links) -> list[str]:
    return [urlsplit(href).path for href, current in parser.nav_links if current == "page"]


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/", ["/"]),
        ("/mes-donnees/", ["/mes-donnees/"]),  # « Mes données » is not « Accueil »
        ("/mes-donnees/profil/", ["/mes-donnees/profil/"]),
        # The per-kind choices, and the discussions' email switch under them: not « Discussions »
        ("/notifications/preferences/", ["/notifications/preferences/"]),
        ("/discussions/preferences/", ["/notifications/preferences/"]),
        ("/discussions/", ["/discussions/"]),
        ("/propositions/", ["/propositions/"]),
        ("/ateliers/", ["/ateliers/"]),
        ("/bibliotheque/parcours/", ["/bibliotheque/"]),
        ("/aide/", ["/aide/"]),
        ("/comptes/password/change/", ["/comptes/password/change/"]),
        ("/confidentialite/choix/", ["/confidentialite/choix/"]),
    ],
)
def test_the_menu_marks_exactly_the_current_page(
    url: str, current: list[str], world: dict[str, Any]
) -> None:
    parser = _links(client_for(world["people"]["titulaire"]), url)
    assert _current(parser) == current


def test_the_account_menu_links_every_account_page(world: dict[str, Any]) -> None:
    client = client_for(world["people"]["titulaire"])
    response = client.get("/")
    html = response.content.decode()
    parser = Links("/")
    parser.feed(html)
    menu = {urlsplit(href).path for href, _ in parser.nav_links}
    for page in [
        "/mes-donnees/profil/",
        "/comptes/password/change/",
        "/comptes/2fa/",
        "/notifications/preferences/",  # the per-kind choices, not the email switch alone
        "/comptes/confort-de-lecture/",
        "/mes-donnees/",
        "/confidentialite/choix/",
        "/propositions/",
        "/aide/",
    ]:
        assert page in menu, page
    assert 'id="menu-language"' in html  # the language, in the account menu too
    assert 'action="/comptes/logout/"' in html
    assert 'action="/comptes/visite-guidee/revoir/"' in html  # « Revoir la visite guidée »
    assert "Mon compte" in html and 'aria-controls="site-menu"' in html


@pytest.mark.parametrize(
    ("role", "tools"),
    [
        ("titulaire", set()),
        ("remplacant", set()),
        ("agent", set()),
        ("comite_suivi", set()),
        ("facilitateur", {"/animation/"}),
        (
            "dccu",
            {"/pilotage/", "/animation/", "/invitations/", "/demandes-rgpd/", "/dpd/", "/admin/"},
        ),
        ("dpd", {"/demandes-rgpd/", "/dpd/", "/admin/"}),
    ],
)
def test_staff_tools_are_listed_by_role(role: str, tools: set[str], world: dict[str, Any]) -> None:
    parser = _links(client_for(world["people"][role]), "/")
    menu = {urlsplit(href).path for href, _ in parser.nav_links}
    staff_pages = {
        "/animation/",
        "/pilotage/",
        "/invitations/",
        "/demandes-rgpd/",
        "/dpd/",
        "/admin/",
    }
    assert menu & staff_pages == tools


# --- Every page behind login is reachable from the menu ------------------------------------

# Pages without parameters that need no link from the menu, and why.
NOT_NAVIGATED = {
    # Gates the middleware sends people to, and the account flows allauth leads through.
    "consent:welcome",
    "consent:exit",
    "accounts:two_factor_required",
    "account_login",
    "account_logout",
    "account_signup",
    "account_inactive",
    "account_reauthenticate",
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
    "account_email",
    "email_addresses_closed",
    "account_email_verification_sent",
    "account_set_password",
    "account_reset_password",
    "account_confirm_login_code",
    "account_reset_password_from_key_done",
    "account_reset_password_done",
    "account_request_login_code",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    # A button of the notifications page, shown only while some are unread (the crawled
    # world has none); tests/notifications/test_views.py presses it.
    "notifications:mark_all",
    # Web push: the service worker and the device endpoints are reached by static/js/push.js
    # (fetch, registration), never by a link; off without VAPID keys (tests/notifications).
    "notifications:push_add",
    "notifications:push_remove",
    "push_service_worker",
    # The erasure request's short address (the exit page's link): the same view as
    # « rights:request_new », which « Mes données » links.
    "rights:request_erasure",
    # The follow-up's public page: for visitors, off until the DCCU turns it on (then /suivi/
    # links it); its Word état des lieux is a download the état des lieux page links
    # (tests/deliberation/test_followup.py opens both).
    "followup_public",
    "followup_report_docx",
    # A redirect to the shared training room (a forums:room), which the practice space
    # page links (tests/learning/test_sandbox.py follows it).
    "learning:training_room",
    # POST only, or not a page.
    "forums:upload_refused",
    "set_language",
    "healthz",
    # Prometheus' endpoint: for the allowed networks or a token, never a person's page
    # (tests/config/test_metrics.py).
    "metrics",
}
# Pages with an object that the crawl must reach too (the world has one of each).
WITH_OBJECTS = {"forums:room", "proposal", "library_document", "library_path", "forums:message"}
SKIPPED_PREFIXES = ("/admin/", "/comptes/logout/", "/static/", "/media/", "/i18n/")
PER_VIEW = 1  # follow one address per view (one room, one proposal…): enough to go on


def _pages_without_parameters() -> set[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(resolver: Any, namespace: str, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                route = prefix + str(pattern.pattern)
                if "<" in route or route.startswith("admin/"):
                    continue
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), "", "")
    return names


def _public(view_name: str) -> bool:
    return view_name in {"consent:privacy_notice", "consent:legal_notice", "consent:accessibility"}


def _crawl(client: Any) -> set[str]:
    """View names reached by following links (and GET forms) from the home page."""
    seen_urls: set[str] = set()
    per_view: dict[str, int] = {}
    reached: set[str] = set()
    queue = ["/"]
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or parts.path.startswith(SKIPPED_PREFIXES):
            continue
        key = parts.path + ("?" + parts.query if parts.query else "")
        if key in seen_urls:
            continue
        seen_urls.add(key)
        try:
            match = resolve(parts.path)
        except Resolver404:
            continue
        view = match.view_name
        if per_view.get(view, 0) >= PER_VIEW or "export" in view or "download" in view:
            continue
        per_view[view] = per_view.get(view, 0) + 1
        response = client.get(key)
        if response.status_code != 200:
            continue
        reached.add(view)  # a file linked from a page (the help's PDFs) is reached too
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = Links(key)
        parser.feed(response.content.decode())
        queue.extend(href.split("#")[0] for href, _ in parser.links)
        for action in parser.buttons:
            try:
                reached.add(resolve(urlsplit(action).path).view_name)
            except Resolver404:
                pass
    return reached


def test_every_page_behind_login_is_reachable_from_the_menu(world: dict[str, Any]) -> None:
    reached: set[str] = set()
    for role in ROLES:
        from_home = _crawl(client_for(world["people"][role]))
        assert "help" in from_home and "rights:home" in from_home, role
        reached |= from_home
    required = {
        name
        for name in _pages_without_parameters()
        if name not in NOT_NAVIGATED and not _public(name)
    } | WITH_OBJECTS
    missing = sorted(required - reached)
    assert not missing, f"pages behind login no menu path leads to: {missing}"
