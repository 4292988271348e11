"""The accessibility statement: drawn from docs/accessibility/audit.toml in the legal form,
with the RGAA status rule, and a public feedback form that mails the DCCU."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from gdpr.accessibility import AUDIT_FILE, NOT, PARTIALLY, TOTALLY, load_audit, parse_audit

pytestmark = pytest.mark.django_db

URL = "/accessibilite/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    """The feedback's per-address counter lives in the cache, shared by all the tests."""
    cache.clear()
    yield
    cache.clear()


def _audit(statuses: list[str], total: int | None = None) -> dict[str, Any]:
    criteria = [{"number": f"1.{i + 1}", "title": "t", "status": s, "how": "axe"}
                for i, s in enumerate(statuses)]
    return {
        "audit": {"referential": "RGAA 4.1", "total_criteria": total or len(statuses),
                  "kind": "k", "date": dt.date(2026, 12, 7),
                  "statement_date": dt.date(2026, 12, 7), "auditor": "a",
                  "technologies": [], "tools": [], "environment": [], "pages": "p"},
        "criteria": criteria,
    }


@pytest.mark.parametrize(("statuses", "expected"), [
    (["conforme", "conforme", "non applicable"], TOTALLY),
    (["conforme", "non conforme"], PARTIALLY),  # 50 %
    (["conforme", "non conforme", "non conforme"], NOT),  # 33 %
    (["non applicable"], NOT),  # nothing applicable: no measured rate
])
def test_status_follows_the_rgaa_rate_of_a_complete_audit(
    statuses: list[str], expected: str
) -> None:
    assert parse_audit(_audit(statuses)).status == expected


def test_an_incomplete_audit_is_never_more_than_non_conforme() -> None:
    """The law measures the rate on every criterion: tested ones alone do not count."""
    audit = parse_audit(_audit(["conforme"] * 20, total=106))
    assert audit.rate == 100
    assert audit.status == NOT


def test_an_unknown_status_or_a_criterion_twice_is_refused() -> None:
    data = _audit(["conforme"])
    data["criteria"][0]["status"] = "presque"
    with pytest.raises(ValueError, match="presque"):
        parse_audit(data)
    data = _audit(["conforme", "conforme"])
    data["criteria"][1]["number"] = "1.1"
    with pytest.raises(ValueError, match="twice"):
        parse_audit(data)


def test_the_checked_in_audit_file_is_valid_and_honest() -> None:
    with AUDIT_FILE.open("rb") as source:
        audit = parse_audit(tomllib.load(source))
    assert audit.criteria and audit.total_criteria == 106
    # Every criterion says how it was tested; the non-accessible content has alternatives.
    assert all(c.how for c in audit.criteria)
    assert audit.noncompliant and all(item["alternative"] for item in audit.noncompliant)


def test_statement_page_has_the_legal_sections_from_the_audit(client: Client) -> None:
    content = client.get(URL).content.decode()
    audit = load_audit()
    for heading in ["État de conformité", "Résultats des tests", "Contenus non accessibles",
                    "Établissement de cette déclaration", "Technologies utilisées",
                    "Environnement de test", "Retour d'information et contact",
                    "Voies de recours"]:
        assert heading in content, heading
    assert "Agora est non conforme avec le RGAA 4.1" in content
    assert f"{audit.rate} %" in content
    for criterion in audit.criteria:
        assert f"<th scope=\"row\">{criterion.number} " in content
    assert "09 69 39 00 00" in content
    assert "Libre réponse 71120, 75342 Paris CEDEX 07" in content
    assert 'href="https://formulaire.defenseurdesdroits.fr/"' in content
    assert 'href="mailto:assemblee.citoyenne@cd31.fr"' in content


def test_anyone_can_send_feedback_and_it_reaches_the_dccu(client: Client) -> None:
    response = client.post(URL, {"message": "Le lecteur d'écran ne lit pas le vote.",
                                 "page": "/decisions/", "email": "lea@example.org"})
    assert response.status_code == 302 and response["Location"] == URL + "#feedback"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["assemblee.citoyenne@cd31.fr"]
    assert sent.reply_to == ["lea@example.org"]
    assert "Le lecteur d'écran ne lit pas le vote." in sent.body and "/decisions/" in sent.body
    assert "Merci" in client.get(URL).content.decode()


def test_an_empty_message_is_refused_with_its_error(client: Client) -> None:
    response = client.post(URL, {"message": "", "email": "pas-une-adresse"})
    assert response.status_code == 400
    assert not mail.outbox
    assert 'aria-invalid="true"' in response.content.decode()


def test_feedback_from_one_address_is_rate_limited(client: Client, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "accessibility_feedback": "2/h/ip"}
    for _ in range(2):
        assert client.post(URL, {"message": "Bonjour"}).status_code == 302
    response = client.post(URL, {"message": "Bonjour"})
    assert response.status_code == 429
    assert "429.html" in [t.name for t in response.templates]
    assert len(mail.outbox) == 2


def test_every_page_links_to_the_statement_error_pages_included(
    client: Client, member_client: Client
) -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    pages = {
        "login": client.get("/comptes/login/").content.decode(),
        "home": member_client.get("/").content.decode(),
        "404": client.get("/cette-page-n-existe-pas/").content.decode(),
        "403": member_client.get("/pilotage/").content.decode(),
        "429": render_to_string("429.html", request=RequestFactory().get("/")),
        "500": render_to_string("500.html"),
    }
    for name, content in pages.items():
        footer = content.split('class="site-footer"', 1)[1]
        assert f'href="{URL}"' in footer, name
