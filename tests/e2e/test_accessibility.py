"""axe-core (WCAG 2.0/2.1 A and AA rules) on the pages people meet, and the login page by keyboard.

axe-core comes bundled in axe-playwright-python; it runs inside the page, so the pages are
checked as Chromium renders them (real CSS, real contrast). A "serious" or "critical"
violation fails the test; lesser ones are printed (pytest -s) but do not fail.

Every page of the permission matrix is swept for every role by tests/e2e/test_axe_sweep.py
(desktop and 320 px); this module keeps what the sweep cannot reach: pages outside the
matrix (the code and reset requests, the welcome page, a ballot, the draft editor and its
versions) and checks axe does not make (input purpose, tab order, the folded menu).

Closed <details> are opened first so that their content is checked too.

Demo accounts used here and nowhere else: membre050 (welcome page), membre051 (member pages),
membre052 (the editor on a 320 px phone), membre053 (code and reset requests). The DCCU logs
in once per test session (tests/e2e/login.py's staff_page): a TOTP code is refused a second
time by the server (replay protection).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.login import staff_page

pytestmark = pytest.mark.e2e

def _password_login(page: Any, live_url: str, email: str) -> None:
    page.goto(live_url + "/comptes/login/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(email)
    form.locator('input[type="password"]').fill(DEMO_PASSWORD)
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()


def _accept_charter_if_asked(page: Any, live_url: str) -> None:
    if "/bienvenue/" in page.url:
        page.locator('button[name="decision"][value="accept"]').click()
        page.wait_for_url(live_url + "/")


def _new_page(browser: Any, width: int = 1280, height: int = 900, **kwargs: Any) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height},
                                  **kwargs)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture(scope="module")
def member_page(browser: Any, live_url: str) -> Iterator[Any]:
    page = _new_page(browser)
    _password_login(page, live_url, "membre051@example.org")
    _accept_charter_if_asked(page, live_url)
    yield page
    page.context.close()


def test_the_checker_reports_a_violation(page: Any) -> None:
    """Guard against a silently disabled axe: a broken page must fail with the rule id."""
    page.set_content('<!DOCTYPE html><html lang="fr"><head><title>t</title></head><body>'
                     '<main><h1>t</h1><a href="/x"><img src="x.png"></a></main></body></html>')
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "broken page")
    assert "image-alt" in str(failure.value) and "img" in str(failure.value)


@pytest.mark.parametrize("path", ["/comptes/login/code/", "/comptes/password/reset/"])
def test_public_pages_have_no_serious_violation(page: Any, live_url: str, path: str) -> None:
    page.goto(live_url + path)
    assert_accessible(page, path)


def test_the_pages_after_asking_for_a_code_or_a_reset_have_no_serious_violation(
    page: Any, live_url: str
) -> None:
    page.goto(live_url + "/comptes/login/code/")
    page.locator('main input[type="email"]').fill("membre053@example.org")
    page.locator('main button[type="submit"]').first.click()
    page.wait_for_url("**/comptes/login/code/confirm/**")
    assert_accessible(page, "type the emailed code")
    page.goto(live_url + "/comptes/password/reset/")
    page.locator('main input[type="email"]').fill("membre053@example.org")
    page.locator('main button[type="submit"]').first.click()
    page.wait_for_url("**/comptes/password/reset/done/**")
    assert_accessible(page, "reset link sent")


def test_the_welcome_page_has_no_serious_violation(page: Any, live_url: str) -> None:
    _password_login(page, live_url, "membre050@example.org")
    page.wait_for_url("**/bienvenue/**")
    assert_accessible(page, "welcome and charter")


def test_a_ballot_has_no_serious_violation(
    member_page: Any, live_url: str
) -> None:
    member_page.goto(live_url + "/decisions/")
    member_page.get_by_role("link", name="Quelle version de « Des navettes").click()
    assert_accessible(member_page, "a vote (the demo's majority judgment)")


def test_profile_fields_declare_their_purpose(member_page: Any, live_url: str) -> None:
    """WCAG 1.3.5, which axe does not check: the person's own details carry autocomplete."""
    member_page.goto(live_url + "/mes-donnees/profil/")
    expected = {"display_name": "nickname", "first_name": "given-name",
                "last_name": "family-name", "postal_code": "postal-code"}
    for name, purpose in expected.items():
        field = member_page.locator(f'main input[name="{name}"]')
        assert field.get_attribute("autocomplete") == purpose, name


def test_dccu_reaches_the_dashboard_from_the_folded_menu_on_a_phone(
    browser: Any, live_url: str
) -> None:
    """Staff with many entries get the same compact menu: a button, then « Gestion »."""
    dccu_page = staff_page(browser, live_url, "dccu@example.org")
    dccu_page.set_viewport_size({"width": 390, "height": 844})
    try:
        dccu_page.goto(live_url + "/")
        header = dccu_page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] <= 64
        button = dccu_page.get_by_role("button", name="Menu")
        assert button.get_attribute("aria-expanded") == "false"
        assert not dccu_page.locator("#site-menu").is_visible()
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert dccu_page.locator("#site-menu").is_visible()
        assert_accessible(dccu_page, "the open menu at 390 px")
        # assert_accessible opened every <details>: close them, as a person finds them.
        dccu_page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = false; })")
        dccu_page.locator(".menu-group:not(.menu-group--account) > summary").click()
        dccu_page.locator("#site-menu").get_by_role("link", name="Pilotage DCCU").click()
        dccu_page.wait_for_url(live_url + "/pilotage/")
        assert dccu_page.get_by_role("heading", level=1).inner_text() == "Pilotage DCCU"
        assert dccu_page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        dccu_page.set_viewport_size({"width": 1280, "height": 900})


def test_login_page_tab_order(page: Any, live_url: str) -> None:
    """Tab goes through the code form, then the password form, each in reading order."""
    page.goto(live_url + "/comptes/login/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    seen: list[str] = []
    for _ in range(20):
        page.keyboard.press("Tab")
        stop, outlined = page.evaluate("""() => {
            const el = document.activeElement;
            const form = el.closest('form');
            const where = form ? form.getAttribute('action') : '';
            return [`${where}|${el.tagName.toLowerCase()}|${el.getAttribute('type') || ''}`,
                    getComputedStyle(el).outlineStyle !== 'none'];
        }""")
        if stop.startswith("/comptes/login/"):
            assert outlined, f"no visible focus on {stop}"  # WCAG 2.4.7
        seen.append(stop)
    code_url = "/comptes/login/code/"
    login_url = "/comptes/login/"
    expected = [
        f"{code_url}|input|email",
        f"{code_url}|button|submit",
        f"{login_url}|input|email",
        f"{login_url}|input|password",
        f"{login_url}|button|submit",
    ]
    for stop in expected:
        assert stop in seen, f"Tab never reaches {stop}: {seen}"
    positions = [seen.index(stop) for stop in expected]
    assert positions == sorted(positions), f"tab order is not the reading order: {seen}"
    # After the skip link, only the site name's link comes before the code field.
    assert seen.index(f"{code_url}|input|email") == 1, seen


def _own_draft_url(page: Any, live_url: str) -> str:
    page.goto(live_url + "/")
    link = page.get_by_role("main").locator('a[href^="/propositions/"][href$="/"]').filter(
        has_text="Proposition du sous-groupe"
    ).first
    return live_url + str(link.get_attribute("href"))


def test_proposal_pages_and_the_live_editor_have_no_serious_violation(
    member_page: Any, live_url: str
) -> None:
    draft_url = _own_draft_url(member_page, live_url)
    member_page.goto(draft_url)
    deadline = time.monotonic() + 15
    while member_page.evaluate("document.documentElement.dataset.draftSynced") != "true":
        assert time.monotonic() < deadline, "the editor never synced"
        member_page.wait_for_timeout(100)
    assert_accessible(member_page, "draft editor")
    member_page.goto(draft_url + "versions/")
    assert_accessible(member_page, "versions")


def test_the_editor_on_a_320px_phone_has_no_serious_violation(browser: Any, live_url: str) -> None:
    page = _new_page(browser, 320, 640, is_mobile=True, has_touch=True)
    _password_login(page, live_url, "membre052@example.org")
    _accept_charter_if_asked(page, live_url)
    page.goto(_own_draft_url(page, live_url))
    page.locator("#draft-editor .ProseMirror").wait_for()
    assert_accessible(page, "draft editor, 320 px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page scrolls sideways ({width} px)"
    page.context.close()
