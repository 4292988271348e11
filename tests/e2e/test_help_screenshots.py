"""The help centre's guides, step by step in a real browser on the demo data.

Each guide's steps are done here as the guide tells a person to do them; each step's
screenshot is taken where the guide shows it. With ``AGORA_UPDATE_SCREENSHOTS=1`` the
screenshots are written to ``learning/static/learning/screens/`` (commit them, docs/help.md);
otherwise the steps are only checked to still work, so a guide whose page changed fails
here. Then the help centre itself: axe at 1366 and 320 px, and the keyboard.

Demo accounts used here and nowhere else: membre080, facilitateur1 only reads, dpd reads.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from learning.guides import GUIDES, SCREENS_DIR
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e
UPDATE = os.environ.get("AGORA_UPDATE_SCREENSHOTS") == "1"
VIEWPORT = {"width": 1000, "height": 700}
MEMBER = "membre080@example.org"


class Shots:
    """Takes (or, when not updating, only names) each step's screenshot."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def __call__(self, page: Any, name: str, *, target: Any = None) -> None:
        (target or page.locator("main")).first.wait_for()
        self.taken.add(name)
        if not UPDATE:
            return
        from PIL import Image

        page.wait_for_timeout(300)  # let the focus ring and live lists settle
        png = page.screenshot(full_page=False, animations="disabled", caret="initial")
        image = Image.open(io.BytesIO(png)).convert("RGB")
        # A 256-colour palette: an interface has few colours, and the file is 3-4 times lighter.
        small = image.quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        small.save(SCREENS_DIR / name, optimize=True)


def _new_page(browser: Any) -> Any:
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _log_in(page: Any, live_url: str, email: str, *, totp: bool = False) -> None:
    page.goto(live_url + "/comptes/login/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(email)
    form.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    if totp:
        from accounts.demo import current_demo_code

        for attempt in range(2):
            if "/2fa/" not in page.url:
                break
            page.locator('input[name="code"]').fill(current_demo_code())
            page.locator('form button[type="submit"]').first.click()
            page.wait_for_load_state()
            if "/2fa/" in page.url and attempt == 0:
                time.sleep(31 - time.time() % 30)  # this code was used already: the next
    if "/bienvenue/" in page.url:
        page.locator('button[name="decision"][value="accept"]').click()
        page.wait_for_load_state()
    assert "/comptes/login/" not in page.url and "/2fa/" not in page.url, page.url


def _menu(page: Any, live_url: str, path: str) -> None:
    """Where the guide's first step goes through the menu (the menu itself is
    test_navigation.py's)."""
    page.goto(live_url + path)


def _room_of_kind(page: Any, kind: str) -> Any:
    kind_label = page.locator(".room-list__kind", has_text=kind)
    return page.locator(".room-list__link", has=kind_label).first


# --- Each guide, as its steps say ---------------------------------------------------------


def ecrire_discussion(page: Any, live_url: str, shot: Shots) -> None:
    _menu(page, live_url, "/discussions/")
    page.get_by_role("heading", name="Discussions", level=1).wait_for()
    shot(page, "ecrire-discussion-1.png")
    _room_of_kind(page, "Sous-groupe").click()
    page.locator("#chat-log").wait_for()
    shot(page, "ecrire-discussion-2.png")
    box = page.locator('#composer textarea[name="body"]')
    box.fill("Bonjour à toutes et à tous ! Je serai là mardi.")
    page.get_by_role("button", name="Envoyer", exact=True).scroll_into_view_if_needed()
    box.focus()
    shot(page, "ecrire-discussion-3.png", target=page.locator("#composer"))


def message_vocal(page: Any, live_url: str, shot: Shots) -> None:
    page.goto(live_url + "/discussions/")
    _room_of_kind(page, "Sous-groupe").click()
    record = page.locator("#voice-record")
    record.wait_for()
    record.scroll_into_view_if_needed()
    shot(page, "message-vocal-1.png", target=record)
    record.click()
    stop = page.get_by_role("button", name="Arrêter")
    stop.wait_for()
    page.wait_for_timeout(1200)
    shot(page, "message-vocal-2.png", target=stop)
    stop.click()
    send = page.get_by_role("button", name="Envoyer le message vocal")
    send.wait_for()
    shot(page, "message-vocal-3.png", target=send)


def co_ecrire_proposition(page: Any, live_url: str, shot: Shots) -> None:
    _menu(page, live_url, "/propositions/")
    page.get_by_role("heading", name="Propositions", level=1).wait_for()
    shot(page, "co-ecrire-proposition-1.png")
    page.locator(".proposal-list__link").first.click()
    editor = page.locator("#draft-editor .ProseMirror")
    editor.wait_for()
    shot(page, "co-ecrire-proposition-2.png", target=editor)
    editor.click()
    comments = page.get_by_role("heading", name="Commentaires")
    comments.scroll_into_view_if_needed()
    shot(page, "co-ecrire-proposition-3.png", target=comments)


def pleniere_audio(page: Any, live_url: str, shot: Shots) -> None:
    page.goto(live_url + "/discussions/")
    plenary = _room_of_kind(page, "Plénière")
    plenary.scroll_into_view_if_needed()
    shot(page, "pleniere-audio-1.png", target=plenary)
    plenary.click()
    join = page.get_by_role("button", name="Rejoindre l'audio en direct")
    join.scroll_into_view_if_needed()
    shot(page, "pleniere-audio-2.png", target=join)
    join.click()
    check = page.locator("#call-check")
    check.wait_for()
    check.scroll_into_view_if_needed()
    shot(page, "pleniere-audio-3.png", target=check)


def proposer_document(page: Any, live_url: str, shot: Shots) -> None:
    _menu(page, live_url, "/bibliotheque/")
    page.get_by_role("heading", name="Bibliothèque", level=1).wait_for()
    shot(page, "proposer-document-1.png")
    page.locator("main a[href='/bibliotheque/proposer/']").first.click()
    page.locator(".ck-editor").first.wait_for(state="attached")
    shot(page, "proposer-document-2.png")
    page.get_by_label("Titre", exact=True).fill("Le covoiturage en Haute-Garonne")
    page.get_by_role("radio", name=re.compile(r"^lien$", re.I)).check()
    url = page.get_by_label(re.compile("^Adresse|^Lien", re.I)).first
    url.fill("https://www.example.org/covoiturage")
    page.get_by_role("button", name="Proposer", exact=True).wait_for()
    title = page.get_by_label("Titre", exact=True)
    title.evaluate("el => { el.scrollIntoView({block: 'start'}); window.scrollBy(0, -90); }")
    shot(page, "proposer-document-3.png", target=title)


def mes_donnees(page: Any, live_url: str, shot: Shots) -> None:
    page.goto(live_url + "/mes-donnees/")
    page.get_by_role("heading", name="Mes données", level=1).wait_for()
    shot(page, "mes-donnees-1.png")
    held = page.locator("#held-title")
    held.scroll_into_view_if_needed()
    shot(page, "mes-donnees-2.png", target=held)
    copy = page.locator("#request-copy")
    copy.scroll_into_view_if_needed()
    shot(page, "mes-donnees-3.png", target=copy)


def animer_sous_groupe(page: Any, live_url: str, shot: Shots) -> None:
    page.goto(live_url + "/animation/")
    page.get_by_role("heading", name="Animation", level=1).wait_for()
    shot(page, "animer-sous-groupe-1.png")
    moderate = page.locator("#fac-moderate")
    moderate.scroll_into_view_if_needed()
    shot(page, "animer-sous-groupe-2.png", target=moderate)
    activity = page.locator("#fac-activity")
    activity.scroll_into_view_if_needed()
    shot(page, "animer-sous-groupe-3.png", target=activity)


def valider_presences(page: Any, live_url: str, shot: Shots) -> None:
    page.goto(live_url + "/presences/seances/")
    sessions = page.locator("main a[href*='/presences/seance/']")
    sessions.first.wait_for()
    shot(page, "valider-presences-1.png")
    sessions.first.click()
    page.locator("#present-count").wait_for()
    shot(page, "valider-presences-2.png")
    # The list is open only around the session's time (the demo's are past or to come).
    page.get_by_role("link", name=re.compile("code de pointage")).click()
    shot(page, "valider-presences-3.png", target=page.locator("main svg, main img"))


def repondre_demande_rgpd(page: Any, live_url: str, shot: Shots) -> None:
    page.goto(live_url + "/dpd/")
    page.locator("#dpo-requests").wait_for()
    shot(page, "repondre-demande-rgpd-1.png")
    page.goto(live_url + "/demandes-rgpd/")
    shot(page, "repondre-demande-rgpd-2.png", target=page.locator("main h1"))
    page.get_by_role("link", name=re.compile("Enregistrer une demande")).click()
    page.wait_for_url("**/demandes-rgpd/enregistrer/")
    shot(page, "repondre-demande-rgpd-3.png", target=page.locator("main form"))


Scenario = Callable[[Any, str, Shots], None]
# Who does each guide: (account, two-factor?, the steps).
SCENARIOS: dict[str, tuple[str, bool, Scenario]] = {
    "ecrire-discussion": (MEMBER, False, ecrire_discussion),
    "message-vocal": (MEMBER, False, message_vocal),
    "co-ecrire-proposition": (MEMBER, False, co_ecrire_proposition),
    "pleniere-audio": (MEMBER, False, pleniere_audio),
    "proposer-document": (MEMBER, False, proposer_document),
    "mes-donnees": (MEMBER, False, mes_donnees),
    "animer-sous-groupe": ("facilitateur1@example.org", False, animer_sous_groupe),
    "valider-presences": ("facilitateur1@example.org", False, valider_presences),
    "repondre-demande-rgpd": ("dpd@example.org", True, repondre_demande_rgpd),
}


def run_scenarios(browser: Any, live_url: str) -> Shots:
    """Every guide's steps, one browser page per account (a TOTP code is used once)."""
    shot = Shots()
    pages: dict[str, Any] = {}
    try:
        for slug, (email, totp, scenario) in SCENARIOS.items():
            if email not in pages:
                pages[email] = _new_page(browser)
                _log_in(pages[email], live_url, email, totp=totp)
            scenario(pages[email], live_url, shot)
            assert slug in {guide.slug for guide in GUIDES}
    finally:
        for page in pages.values():
            page.context.close()
    return shot


def test_every_guide_step_still_works_and_has_its_screenshot(browser: Any, live_url: str) -> None:
    assert set(SCENARIOS) == {guide.slug for guide in GUIDES}, "a guide without its steps here"
    shot = run_scenarios(browser, live_url)
    shown = {step.image for guide in GUIDES for step in guide.steps}
    assert shown == shot.taken, f"steps shown but not done: {shown - shot.taken}"
    missing = sorted(name for name in shown if not (SCREENS_DIR / name).exists())
    assert not missing, f"AGORA_UPDATE_SCREENSHOTS=1 to make: {missing}"


@pytest.fixture(scope="module")
def member_page(browser: Any, live_url: str) -> Iterator[Any]:
    page = _new_page(browser)
    _log_in(page, live_url, "membre081@example.org")
    yield page
    page.context.close()


def test_help_centre_pages_are_accessible_at_1366_and_320_px(
    member_page: Any, live_url: str
) -> None:
    page = member_page
    for width, height in ((1366, 900), (320, 640)):
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/aide/", "/aide/ecrire-discussion/", "/aide/glossaire/"):
            page.goto(live_url + path)
            assert_accessible(page, f"{path} at {width} px")
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow, f"{path} scrolls sideways at {width} px"


def test_a_member_finds_a_guide_from_the_header_search_and_a_page_question_mark(
    member_page: Any, live_url: str
) -> None:
    page = member_page
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_url + "/recherche/?q=message+vocal")
    page.get_by_role("heading", name=re.compile("^Aide")).wait_for()
    page.get_by_role("link", name="Enregistrer un message vocal").click()
    page.get_by_role("heading", name="Enregistrer un message vocal", level=1).wait_for()
    # From « Mes données », the « ? » by keyboard.
    page.goto(live_url + "/mes-donnees/")
    link = page.get_by_role("link", name="Aide : Mes données")
    for _ in range(60):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the « ? » link of « Mes données » is not reachable by keyboard")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Mes données", level=1).wait_for()
    assert page.url.endswith("/aide/mes-donnees/")
    page.get_by_role("link", name="Imprimer le pas à pas (PDF)").wait_for()
