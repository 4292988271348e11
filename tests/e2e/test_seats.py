"""A member resigns in the browser; their substitute, with the plenary already open, gets
the offer, accepts it in another tab, and writes in the plenary over the socket the page
opened before — no reload.

Demo accounts used here and nowhere else: membre090 (resigns) and remplacant090 (the
substitute of the same seat).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
LEAVING, SUBSTITUTE = "membre090@example.org", "remplacant090@example.org"


def _context(browser: Any) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context


def test_a_member_resigns_and_the_substitute_takes_the_seat_live(
    browser: Any, live_url: str
) -> None:
    member_context, substitute_context = _context(browser), _context(browser)
    try:
        # The substitute reads the plenary: no composer, but a live socket.
        plenary = substitute_context.new_page()
        log_in(plenary, live_url, SUBSTITUTE)
        plenary.goto(live_url + "/discussions/")
        plenary.get_by_role("link", name=re.compile("Plénière")).first.click()
        wait_until(plenary, "() => Boolean(window.agoraChat && window.agoraChat.ready)")
        assert plenary.locator("#composer").count() == 0

        # The member resigns: an explanation, a box to tick, then the confirmation.
        member = member_context.new_page()
        log_in(member, live_url, LEAVING)
        member.goto(live_url + "/mon-siege/")
        member.get_by_role("link", name="Quitter l'assemblée (démissionner)").click()
        member.get_by_label("Pourquoi partez-vous ? (facultatif)").fill("Je déménage à Lyon")
        member.get_by_role("button", name="Confirmer ma démission").click()
        member.locator("#error-summary").wait_for()
        assert "/mon-siege/demission/" in member.url  # not confirmed: nothing ended
        member.get_by_label(re.compile("Je confirme que je quitte")).check()
        member.get_by_role("button", name="Confirmer ma démission").click()
        member.get_by_text("Votre démission est enregistrée").wait_for()

        # The substitute is offered the seat and accepts it in another tab.
        answer = substitute_context.new_page()
        answer.goto(live_url + "/mon-siege/")
        answer.get_by_role("heading", name="Un siège vous est proposé").wait_for()
        answer.get_by_role("button", name="J'accepte le siège").click()
        answer.get_by_role("heading", name="Bienvenue parmi les membres titulaires").wait_for()
        assert answer.get_by_role("link", name="Lire le parcours d'accueil de la bibliothèque")

        # The plenary tab, never reloaded, writes over its open socket; the message shows.
        text = "Bonjour à toutes et à tous, je rejoins l'assemblée"
        plenary.evaluate(
            """(body) => window.agoraChat.send({type: "message.send",
                 room: window.agoraChat.roomId, thread: window.agoraChat.threadId || null,
                 body, client_id: crypto.randomUUID()})""",
            text,
        )
        plenary.locator("#chat-log .msg", has_text=text).first.wait_for()
    finally:
        member_context.close()
        substitute_context.close()
