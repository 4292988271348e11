"""The follow-up of adopted proposals (docs/permissions.md, « Suivi des propositions »):
rights role by role, late milestones, the état des lieux (page, SVG charts, .docx), the
public page, hostile attachments, and the questions of the committee."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from deliberation import followup, followup_report
from deliberation.models import (
    LATE,
    CommitteeQuestion,
    Milestone,
    MilestoneStatus,
    ProgressAttachment,
    Proposal,
    ProposalStatus,
)
from deliberation.proposals import do_create_proposal
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "titulaire", "remplacant", "facilitateur", "agent", "dccu", "dpd",
         "comite_suivi", "no_role"]
READERS = {"titulaire", "remplacant", "facilitateur", "agent", "dccu", "comite_suivi"}
AGENT_NAME = ("Zoé", "Vermeersch-Altıntaş")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(assembly: Any) -> dict[str, Any]:
    people: dict[str, User | None] = {"anonymous": None}
    people["titulaire"] = factories.make_titulaire(assembly)
    people["remplacant"] = factories.make_substitute(assembly, factories.seat(assembly))
    for role in ("facilitateur", "dccu", "dpd", "comite_suivi"):
        user = factories.UserFactory(roles=[Role(role)])
        if role in {"dccu", "dpd"}:
            enrol_demo_totp(user)
        people[role] = user
    people["agent"] = factories.UserFactory(roles=[Role.AGENT], first_name=AGENT_NAME[0],
                                            last_name=AGENT_NAME[1],
                                            display_name=" ".join(AGENT_NAME))
    people["no_role"] = factories.UserFactory()
    subgroup = factories.make_subgroup(assembly)
    proposal = do_create_proposal(None, subgroup, "Un minibus le mardi")
    Proposal.objects.filter(pk=proposal.pk).update(status=ProposalStatus.TRANSMITTED)
    proposal.refresh_from_db()
    followup.do_answer_proposal(people["agent"], proposal, decision="partielle",
                                reasons="Retenue sur les zones rurales.")
    commitment = followup.do_add_commitment(
        people["agent"], proposal, title="Expérimenter un minibus",
        service="Direction des mobilités", owner=people["agent"],
    )
    today = timezone.localdate()
    milestone = followup.do_add_milestone(people["agent"], commitment, title="Étude",
                                          due_date=today - dt.timedelta(days=3),
                                          status=MilestoneStatus.IN_PROGRESS)
    followup.do_add_milestone(people["agent"], commitment, title="Lancement",
                              due_date=today + dt.timedelta(days=30))
    update = followup.do_post_update(
        people["agent"], proposal, body="Étude confiée au bureau d'études.",
        uploads=[SimpleUploadedFile("note.txt", b"Compte rendu de la reunion.\n")],
    )
    question = followup.do_ask_question(people["comite_suivi"], proposal,
                                        body="Quel calendrier ?",
                                        service="Direction des mobilités")
    return {"people": people, "proposal": proposal, "commitment": commitment,
            "milestone": milestone, "update": update, "question": question,
            "attachment": update.attachments.get()}


def client_for(world: dict[str, Any], role: str) -> Client:
    client = Client()
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    return client


# --- Rights, role by role ------------------------------------------------------------------

# (method, url, data, roles that may, answer when they may). Readers without the ability
# get 403; people who do not read the follow-up get 404 (pages with an id).
OBJECT_PAGES: list[tuple[str, str, dict[str, str], set[str], int]] = [
    ("get", "/suivi/proposition/{proposal}/", {}, READERS, 200),
    ("get", "/suivi/fichier/{attachment}/", {}, READERS, 200),
    ("post", "/suivi/proposition/{proposal}/reponse/",
     {"decision": "retenue", "reasons": "Oui."}, {"agent", "dccu"}, 302),
    ("post", "/suivi/proposition/{proposal}/engagements/",
     {"title": "Un bus", "service": "Mobilités"}, {"agent", "dccu"}, 302),
    ("post", "/suivi/engagement/{commitment}/jalons/",
     {"title": "Étape", "due_date": "2030-01-01"}, {"agent", "dccu"}, 302),
    ("post", "/suivi/jalon/{milestone}/statut/", {"status": "fait"}, {"agent", "dccu"}, 302),
    ("post", "/suivi/proposition/{proposal}/avancement/", {"body": "Avancée."},
     {"agent", "dccu"}, 302),
    ("post", "/suivi/proposition/{proposal}/questions/",
     {"body": "Et alors ?", "service": "Mobilités"}, {"comite_suivi", "dccu"}, 302),
    ("post", "/suivi/question/{question}/reponse/", {"answer": "Bientôt."},
     {"agent", "dccu"}, 302),
]
LIST_PAGES: list[tuple[str, str, set[str], int]] = [
    ("get", "/suivi/", READERS, 200),
    ("get", "/suivi/comite/", {"agent", "dccu", "comite_suivi"}, 200),
    ("get", "/suivi/etat-des-lieux/", READERS, 200),
    ("get", "/suivi/etat-des-lieux.docx", READERS, 200),
    ("post", "/suivi/publication/", {"dccu"}, 302),
]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_documented_answer_on_every_followup_page(
    role: str, world: dict[str, Any]
) -> None:
    client = client_for(world, role)
    ids = {key: world[key].pk for key in
           ("proposal", "commitment", "milestone", "question", "attachment")}
    for method, template, data, allowed, ok in OBJECT_PAGES:
        url = template.format(**ids)
        response = getattr(client, method)(url, data)
        if role == "anonymous":
            expected = 302
        elif role not in READERS:
            expected = 404
        else:
            expected = ok if role in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)
        if role == "anonymous":
            assert response["Location"].startswith("/comptes/login/")
    for method, url, allowed, ok in LIST_PAGES:
        response = getattr(client, method)(url, {"enabled": "0"} if method == "post" else {})
        expected = 302 if role == "anonymous" else ok if role in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)


def test_a_proposal_not_adopted_has_no_followup_page(world: dict[str, Any]) -> None:
    draft = do_create_proposal(None, world["proposal"].subgroup, "Encore en brouillon")
    client = client_for(world, "dccu")
    assert client.get(f"/suivi/proposition/{draft.pk}/").status_code == 404
    assert client.get(f"/suivi/proposition/{world['proposal'].pk}/").status_code == 200


@pytest.mark.parametrize("role", ["comite_suivi", "agent", "dccu"])
def test_the_suivi_menu_entry_shows_for_the_roles_that_follow_the_answers(
    role: str, world: dict[str, Any]
) -> None:
    page = client_for(world, role).get("/").content.decode()
    assert 'href="/suivi/"' in page


def test_a_member_reaches_the_followup_from_the_proposals_page(world: dict[str, Any]) -> None:
    client = client_for(world, "titulaire")
    assert 'href="/suivi/"' in client.get("/propositions/").content.decode()
    assert client.get("/suivi/").status_code == 200


def test_the_dpd_has_no_suivi_menu_entry(world: dict[str, Any]) -> None:
    page = client_for(world, "dpd").get("/").content.decode()
    assert 'href="/suivi/"' not in page


def test_a_member_cannot_post_a_progress_update_through_the_operation(
    world: dict[str, Any],
) -> None:
    with pytest.raises(Exception) as refused:
        followup.do_post_update(world["people"]["titulaire"], world["proposal"], body="Hop")
    assert type(refused.value).__name__ == "PermissionDenied"


# --- Late milestones ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days", "shown"),
    [
        (MilestoneStatus.UPCOMING, -1, LATE),
        (MilestoneStatus.IN_PROGRESS, -1, LATE),
        (MilestoneStatus.UPCOMING, 0, MilestoneStatus.UPCOMING),  # due today: not yet late
        (MilestoneStatus.IN_PROGRESS, 5, MilestoneStatus.IN_PROGRESS),
        (MilestoneStatus.DONE, -10, MilestoneStatus.DONE),
        (MilestoneStatus.ABANDONED, -10, MilestoneStatus.ABANDONED),
    ],
)
def test_a_milestone_is_late_only_when_open_past_its_due_date(
    status: str, days: int, shown: str
) -> None:
    today = dt.date(2026, 12, 7)
    milestone = Milestone(title="x", status=status, due_date=today + dt.timedelta(days=days))
    assert milestone.shown_status(today) == shown


def test_the_late_milestone_is_counted_late_and_shown_so(world: dict[str, Any]) -> None:
    (group,) = followup.progress()
    assert group.counts[LATE] == 1
    assert group.counts[MilestoneStatus.UPCOMING] == 1
    page = client_for(world, "titulaire").get(f"/suivi/proposition/{world['proposal'].pk}/")
    assert "followup-status--en_retard" in page.content.decode()
    assert "en retard" in page.content.decode()


# --- The état des lieux ---------------------------------------------------------------------


class _Chart(HTMLParser):
    """Values of the SVG bars and of the table rows, by status."""

    def __init__(self) -> None:
        super().__init__()
        self.svg: dict[str, int] = {}
        self.table: dict[str, int] = {}
        self.titles: list[str] = []
        self._row: str | None = None
        self._in_td = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "g" and a.get("data-status"):
            self.svg[str(a["data-status"])] = int(str(a["data-value"]))
        if tag == "tr" and a.get("data-status"):
            self._row = a["data-status"]
        self._in_td = tag == "td" and self._row is not None
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        self._in_td = self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_td and self._row is not None:
            self.table[self._row] = int(data)
        if self._in_title:
            self.titles.append(data)


def test_the_chart_and_its_table_show_the_same_numbers(world: dict[str, Any]) -> None:
    Milestone.objects.create(commitment=world["commitment"], title="Fini",
                             due_date=dt.date(2026, 1, 1), status=MilestoneStatus.DONE)
    html = client_for(world, "comite_suivi").get("/suivi/etat-des-lieux/").content.decode()
    chart = _Chart()
    chart.feed(html)
    expected = {"fait": 1, "en_cours": 0, "a_venir": 1, "en_retard": 1, "abandonne": 0}
    assert chart.svg == expected
    assert chart.table == expected
    assert any("Jalons par statut" in t for t in chart.titles)  # the SVG's accessible title
    assert re.search(r'<svg[^>]+role="img"[^>]+aria-labelledby="chart-1-title chart-1-desc"',
                     html)
    assert '<desc id="chart-1-desc">' in html


def _docx_text(content: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_etat_des_lieux_docx_opens_and_names_no_agent(world: dict[str, Any],
                                                          tmp_path: Any) -> None:
    followup.do_answer_question(world["people"]["agent"], world["question"],
                                answer="Au printemps.")
    response = client_for(world, "comite_suivi").get("/suivi/etat-des-lieux.docx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = _docx_text(response.content)
    assert "Un minibus le mardi" in text
    assert "Direction des mobilités" in text
    assert "en retard" in text
    assert "partiellement retenue" in text
    for name in AGENT_NAME:
        assert name not in text
    author = world["people"]["comite_suivi"]
    assert author.last_name not in text
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office:  # the file opens in LibreOffice too (converted to PDF, headless)
        source = tmp_path / "etat.docx"
        source.write_bytes(response.content)
        subprocess.run(  # noqa: S603 - a fixed command on our own file
            [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
             str(source)], check=True, timeout=120, capture_output=True,
        )
        assert (tmp_path / "etat.pdf").stat().st_size > 1000


# --- The public page -------------------------------------------------------------------------


def test_the_public_page_is_off_by_default_and_404s(world: dict[str, Any]) -> None:
    assert Client().get("/suivi/public/").status_code == 404
    assert client_for(world, "dccu").get("/suivi/public/").status_code == 404


def test_the_dccu_turns_the_public_page_on_and_off(world: dict[str, Any]) -> None:
    dccu = client_for(world, "dccu")
    assert dccu.post("/suivi/publication/", {"enabled": "1"}).status_code == 302
    response = Client().get("/suivi/public/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    dccu.post("/suivi/publication/", {"enabled": "0"})
    assert Client().get("/suivi/public/").status_code == 404


def test_the_public_page_shows_progress_and_no_personal_data(world: dict[str, Any]) -> None:
    followup.do_answer_question(world["people"]["agent"], world["question"],
                                answer="Au printemps.")
    followup.do_set_public(world["people"]["dccu"], world["proposal"].mandate.assembly,
                           enabled=True)
    page = html.unescape(Client().get("/suivi/public/").content.decode())
    assert "Un minibus le mardi" in page
    assert "Retenue sur les zones rurales." in page
    assert "Direction des mobilités" in page
    assert "Étude confiée au bureau d'études." in page
    assert "/suivi/fichier/" not in page  # attachments stay inside
    people = [p for p in world["people"].values() if p is not None]
    for person in people:
        for value in (person.first_name, person.last_name, person.email, person.public_name):
            if value:
                assert value not in page, value
    assert "Quel calendrier" not in page  # the committee's questions name their authors


# --- Attachments ---------------------------------------------------------------------------

HOSTILE = {
    "executable_named_pdf": ("rapport.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 200),
    "html_named_pdf": ("rapport.pdf", b"<html><script>alert(1)</script></html>"),
    "svg_with_script": ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg">'
                                    b"<script>alert(1)</script></svg>"),
    "empty": ("vide.pdf", b""),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_attachment_is_refused_and_nothing_is_kept(
    case: str, world: dict[str, Any]
) -> None:
    name, content = HOSTILE[case]
    before = ProgressAttachment.objects.count()
    client = client_for(world, "agent")
    response = client.post(
        f"/suivi/proposition/{world['proposal'].pk}/avancement/",
        {"body": "Voici le rapport", "files": [SimpleUploadedFile(name, content)]},
        follow=True,
    )
    assert ProgressAttachment.objects.count() == before
    assert "Voici le rapport" not in response.content.decode()
    assert "notice--error" in response.content.decode() or "error" in response.content.decode()


def test_a_file_the_antivirus_flags_is_refused(world: dict[str, Any], monkeypatch: Any) -> None:
    from documents import files
    from documents.models import ScanStatus

    monkeypatch.setattr(files, "scan_local", lambda path: (ScanStatus.INFECTED, "Eicar"))
    with pytest.raises(ValidationError, match="antivirus"):
        followup.do_post_update(world["people"]["agent"], world["proposal"], body="Rapport",
                                uploads=[SimpleUploadedFile("a.txt", b"Bonjour.\n")])


def test_a_file_is_served_as_a_download(world: dict[str, Any]) -> None:
    response = client_for(world, "remplacant").get(
        f"/suivi/fichier/{world['attachment'].pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"Compte rendu de la reunion.\n"


# --- The committee's questions -----------------------------------------------------------------


def test_a_question_tells_the_agents_and_its_answer_tells_the_asker(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    agent, member = world["people"]["agent"], world["people"]["comite_suivi"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        question = followup.do_ask_question(member, world["proposal"], body="Et le budget ?",
                                            service="Finances", addressee=agent)
    assert [m.to for m in mail.outbox] == [[agent.email]]
    assert f"/suivi/proposition/{world['proposal'].pk}/" in mail.outbox[0].body
    assert Notification.objects.filter(recipient=agent, verb=followup.VERB_QUESTION).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        followup.do_answer_question(agent, question, answer="Voté en décembre.")
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert Notification.objects.filter(recipient=member, verb=followup.VERB_ANSWER).exists()
    page = client_for(world, "comite_suivi").get("/suivi/comite/").content.decode()
    assert "Voté en décembre." in page
    inbox = client_for(world, "comite_suivi").get("/notifications/").content.decode()
    assert "a répondu à votre question" in inbox
    question.refresh_from_db()
    assert question.answered_by == agent and question.answered_at is not None


def test_the_history_records_every_change(world: dict[str, Any]) -> None:
    actions = list(world["proposal"].followup_events.values_list("action", flat=True))
    assert sorted(actions) == sorted(
        ["answer", "commitment", "milestone", "milestone", "update", "question"])
    world["proposal"].refresh_from_db()
    assert world["proposal"].status == ProposalStatus.FOLLOW_UP


def test_erasure_pseudonymises_the_authors(world: dict[str, Any]) -> None:
    from gdpr.erasure import erase_person

    agent = world["people"]["agent"]
    erase_person(agent)
    update = world["update"]
    update.refresh_from_db()
    agent.refresh_from_db()
    assert update.author_id == agent.pk and agent.pseudonym_number is not None
    page = client_for(world, "titulaire").get(
        f"/suivi/proposition/{world['proposal'].pk}/").content.decode()
    for name in AGENT_NAME:
        assert name not in page
    assert CommitteeQuestion.objects.filter(pk=world["question"].pk).exists()


def test_chart_svg_escapes_the_mandate_title(world: dict[str, Any]) -> None:
    mandate = world["proposal"].mandate
    mandate.title = "<script>x</script>"
    mandate.save()
    (group,) = followup.progress()
    assert "<script>" not in followup_report.chart_svg(group, "c")
