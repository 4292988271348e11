"""The follow-up of proposals in the browser: an agent posts a progress update with a file, a
member of the follow-up committee asks a question from a 320 px phone, the agent is told and
answers, and the public page shows the progress to anyone."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import ROOT
from tests.e2e.login import log_in

pytestmark = pytest.mark.e2e
AGENT = "agent1@example.org"
COMMITTEE_MEMBER = "membre001@example.org"  # deliberation.demo_followup.COMMITTEE
PROPOSAL = "Du transport à la demande vers les bourgs-centres"
ENABLE_PUBLIC_PAGE = (
    "from assembly.models import Assembly; from deliberation import followup; "
    "followup.do_set_public(None, Assembly.current(), enabled=True)"
)


def test_agent_updates_committee_asks_agent_answers_public_page_shows_it(
    page: Any, phone_page: Any, browser: Any, live_url: str, server_env: dict[str, str]
) -> None:
    progress = f"Marché attribué au transporteur, lot {uuid.uuid4().hex[:6]}."
    question = f"Quelles communes seront desservies en premier ? ({uuid.uuid4().hex[:6]})"

    # The agent posts a progress update with a file.
    log_in(page, live_url, AGENT)
    page.get_by_role("link", name="Suivi", exact=True).first.click()
    page.get_by_role("link", name=PROPOSAL).click()
    proposal_url = page.url
    assert_accessible(page, "a proposal's follow-up, as an agent (forms open)")
    page.get_by_label("Qu'est-ce qui a avancé ?").fill(progress)
    page.get_by_label("Fichiers (facultatif)").set_input_files(
        files=[{"name": "attribution.txt", "mimeType": "text/plain",
                "buffer": "Décision d'attribution du marché.\n".encode()}]
    )
    page.get_by_role("button", name="Publier le point d'avancement").click()
    assert "Le point d'avancement est publié." in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name="attribution.txt").count() == 1

    # A committee member asks the service a question, on a phone.
    log_in(phone_page, live_url, COMMITTEE_MEMBER)
    phone_page.goto(proposal_url)
    phone_page.get_by_label("Service interrogé").fill("Direction des mobilités")
    phone_page.get_by_label("Votre question").fill(question)
    phone_page.get_by_role("button", name="Poser la question").click()
    assert "Votre question est envoyée au service." in phone_page.locator(
        ".messages").inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(phone_page, "a proposal's follow-up, committee member on a phone")

    # The agent is told in the page, and answers.
    page.goto(live_url + "/notifications/")
    page.get_by_text("Le comité de suivi pose une question").first.wait_for()
    page.goto(proposal_url)
    item = page.locator(".followup-question", has_text=question)
    item.get_by_label("Votre réponse").fill("D'abord Aspet et Salies-du-Salat, en mars.")
    item.get_by_role("button", name="Répondre").click()
    assert "Votre réponse est publiée." in page.locator(".messages").inner_text()

    # The committee member reads the answer in the committee's space.
    phone_page.goto(live_url + "/suivi/comite/")
    answered = phone_page.locator(".followup-question", has_text=question)
    assert "D'abord Aspet et Salies-du-Salat" in answered.inner_text()
    assert_accessible(phone_page, "the committee's space on a phone")
    phone_page.goto(live_url + "/suivi/etat-des-lieux/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(phone_page, "the état des lieux on a phone")

    # The DCCU turns the public page on (its button is tested in tests/deliberation); then
    # anyone, without an account, reads the progress, without anyone's name.
    subprocess.run(  # noqa: S603 - a fixed command
        [sys.executable, "manage.py", "shell", "-c", ENABLE_PUBLIC_PAGE],
        cwd=ROOT, env=server_env, check=True, capture_output=True, timeout=120,
    )
    visitor = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 640})
    try:
        public = visitor.new_page()
        public.goto(live_url + "/suivi/public/")
        text = public.locator("main").inner_text()
        assert PROPOSAL in text and progress in text
        assert "Direction des mobilités" in text
        assert question not in text
        assert "Hélène" not in text and "Maury" not in text  # agent1's names
        assert public.locator("svg[role=img] title").count() >= 1
        assert public.evaluate("document.documentElement.scrollWidth") <= 320
        assert_accessible(public, "the public follow-up page on a phone")
    finally:
        visitor.close()
