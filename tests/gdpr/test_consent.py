"""Information and consent: the welcome gate, optional purposes, paper consent, the texts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from gdpr import consent
from gdpr.consent import has_consent
from gdpr.markup import render
from gdpr.models import (
    AuditEntry,
    ConsentDecision,
    ConsentMethod,
    ConsentRecord,
    OptionalPurpose,
    PolicyText,
    TextKind,
)
from tests import factories

pytestmark = pytest.mark.django_db

WELCOME = "/bienvenue/"
EXIT = "/bienvenue/sortie/"
CHOICES = "/confidentialite/choix/"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def newcomer(assembly: Assembly) -> User:
    """A member at their very first login: nothing read, nothing accepted."""
    return factories.make_titulaire(assembly, accepted_policies=False)


@pytest.fixture
def dpd(db: Any) -> User:
    user = factories.UserFactory(roles=[Role.DPD])
    enrol_demo_totp(user)
    return user


def answer_welcome(client: Client, decision: str = "accept", next_url: str = "/") -> Any:
    gate = client.get(WELCOME).context["gate"]
    data = {"decision": decision, "next": next_url}
    if gate.notice:
        data["notice"] = str(gate.notice.pk)
    if gate.charter:
        data["charter"] = str(gate.charter.pk)
    return client.post(WELCOME, data)


def publish_new_version(actor: User, kind: str, purpose: str = "", **kwargs: Any) -> PolicyText:
    current = PolicyText.current(kind, purpose)
    assert current is not None
    draft = consent.do_create_policy_draft(
        actor, kind=kind, purpose=purpose, title=current.title + " (révisé)",
        body=current.body + "\nUn paragraphe de plus.",
    )
    return consent.do_publish_policy_text(actor, draft, **kwargs)


# --- The welcome gate ---------------------------------------------------------------------


def test_first_versions_of_every_text_are_published_by_the_migration() -> None:
    for kind in (TextKind.NOTICE, TextKind.CHARTER):
        text = PolicyText.current(kind)
        assert text is not None and text.version == 1 and text.is_published
    for purpose in OptionalPurpose:
        assert PolicyText.current(TextKind.PURPOSE, purpose) is not None
    notice = PolicyText.current(TextKind.NOTICE)
    assert notice is not None
    for needed in ("Conseil départemental de la Haute-Garonne", "/mes-donnees/", "CNIL"):
        assert needed in notice.body


def test_first_login_is_sent_to_welcome_until_notice_read_and_charter_accepted(
    newcomer: User,
) -> None:
    client = logged_in(newcomer)
    for url in ["/", CHOICES, "/confidentialite/choix/?x=1"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(WELCOME + "?next=")

    page = client.get(WELCOME)
    assert page.status_code == 200
    notice = PolicyText.current(TextKind.NOTICE)
    charter = PolicyText.current(TextKind.CHARTER)
    assert notice is not None and charter is not None
    content = page.content.decode()
    assert escape(notice.title) in content and escape(charter.title) in content
    assert "dpd.haute-garonne@cd31.fr" in content  # the notice shows the DPO's contact

    response = answer_welcome(client, next_url=CHOICES)
    assert response.status_code == 302 and response["Location"] == CHOICES
    assert client.get("/").status_code == 200
    records = ConsentRecord.objects.filter(user=newcomer)
    assert {(r.text_id, r.decision, r.method) for r in records} == {
        (notice.pk, ConsentDecision.READ, ConsentMethod.WEB),
        (charter.pk, ConsentDecision.ACCEPTED, ConsentMethod.WEB),
    }
    actions = set(AuditEntry.objects.filter(subject=newcomer).values_list("action", flat=True))
    assert {"gdpr.notice.read", "gdpr.charter.accept"} <= actions


def test_welcome_leaves_the_way_out_and_the_public_pages_open(newcomer: User) -> None:
    client = logged_in(newcomer)
    for url in [WELCOME, "/donnees-personnelles/", "/mentions-legales/", "/accessibilite/",
                "/comptes/logout/", "/healthz"]:
        assert client.get(url).status_code == 200, url
    # The person's own rights stay open: « Mes données » and the erasure request.
    for url in [reverse("rights:home"), reverse("rights:request_erasure")]:
        response = client.get(url)
        assert not response.get("Location", "").startswith(WELCOME), url
    assert client.post("/comptes/logout/").status_code == 302
    assert client.get("/").status_code == 302  # logged out: the login page now


def test_staff_work_is_behind_the_welcome_too(db: Any) -> None:
    staff = factories.UserFactory(roles=[Role.DPD], accepted_policies=False)
    enrol_demo_totp(staff)
    client = logged_in(staff)
    for url in [reverse("rights:requests"), "/confidentialite/textes/", "/dpd/"]:
        assert client.get(url)["Location"].startswith(WELCOME), url


def test_welcome_ignores_a_next_address_on_another_site(newcomer: User) -> None:
    client = logged_in(newcomer)
    response = answer_welcome(client, next_url="https://evil.example.org/")
    assert response["Location"] == "/"


def test_someone_who_has_accepted_is_not_shown_welcome_again(member_client: Client) -> None:
    assert member_client.get("/").status_code == 200
    assert member_client.get(WELCOME)["Location"] == "/"


def test_a_new_notice_version_is_read_again_but_the_charter_is_not_asked_again(
    member: User, member_client: Client, dpd: User
) -> None:
    new = publish_new_version(dpd, TextKind.NOTICE)
    response = member_client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(WELCOME)
    gate = member_client.get(WELCOME).context["gate"]
    assert gate.notice == new and gate.charter is None

    answer_welcome(member_client)
    assert member_client.get("/").status_code == 200
    assert ConsentRecord.objects.filter(user=member, text=new,
                                        decision=ConsentDecision.READ).exists()


def test_a_new_charter_version_must_be_accepted_again(
    member: User, member_client: Client, dpd: User
) -> None:
    new = publish_new_version(dpd, TextKind.CHARTER, asks_again=False)
    assert new.asks_again  # the charter is always asked again, whatever is passed
    gate = member_client.get(WELCOME).context["gate"]
    assert gate.notice is None and gate.charter == new
    answer_welcome(member_client)
    assert member_client.get("/").status_code == 200


def test_a_draft_changes_nothing_for_anyone(member_client: Client, dpd: User) -> None:
    current = PolicyText.current(TextKind.CHARTER)
    assert current is not None
    consent.do_create_policy_draft(dpd, kind=TextKind.CHARTER, title="Brouillon", body="Texte")
    assert member_client.get("/").status_code == 200
    assert PolicyText.current(TextKind.CHARTER) == current


def test_refusing_the_charter_shows_the_exit_and_keeps_the_platform_closed(
    newcomer: User,
) -> None:
    client = logged_in(newcomer)
    response = answer_welcome(client, decision="refuse")
    assert response.status_code == 302 and response["Location"] == EXIT

    assert client.get("/")["Location"] == EXIT
    assert client.get(CHOICES)["Location"] == EXIT
    exit_page = client.get(EXIT)
    assert exit_page.status_code == 200
    content = exit_page.content.decode()
    assert "mailto:assemblee.citoyenne@cd31.fr" in content  # contact the DCCU
    assert "/mes-donnees/" in content  # request erasure
    assert 'action="/comptes/logout/"' in content  # log out
    charter = PolicyText.current(TextKind.CHARTER)
    assert ConsentRecord.objects.filter(
        user=newcomer, text=charter, decision=ConsentDecision.REFUSED
    ).exists()
    assert AuditEntry.objects.filter(subject=newcomer, action="gdpr.charter.refuse").exists()

    # Changing one's mind is always possible, and the refusal stays in the history.
    assert client.get(WELCOME).status_code == 200
    answer_welcome(client)
    assert client.get("/").status_code == 200
    decisions = list(
        ConsentRecord.objects.filter(user=newcomer, text=charter)
        .order_by("recorded_at", "id").values_list("decision", flat=True)
    )
    assert decisions == [ConsentDecision.REFUSED, ConsentDecision.ACCEPTED]


def test_staff_without_two_factor_are_sent_to_enrol_before_the_welcome(db: Any) -> None:
    # Both middlewares ask something: the second factor comes first, without a loop.
    staff = factories.UserFactory(roles=[Role.DCCU], accepted_policies=False)
    client = logged_in(staff)
    response = client.get("/")
    assert response["Location"] == "/comptes/double-authentification/"
    assert client.get("/comptes/double-authentification/").status_code == 200
    enrol_demo_totp(staff)
    assert client.get("/")["Location"].startswith(WELCOME)


# --- Optional purposes --------------------------------------------------------------------


def test_optional_purposes_are_off_by_default_and_their_boxes_unticked(
    member: User, member_client: Client
) -> None:
    for purpose in OptionalPurpose:
        assert has_consent(member, purpose) is False
    page = member_client.get(CHOICES)
    assert page.status_code == 200
    content = page.content.decode()
    # Web push is offered only with VAPID keys (tests/notifications/test_webpush.py).
    offered = [p for p in OptionalPurpose if consent.is_offered(p)]
    assert OptionalPurpose.WEB_PUSH not in offered
    assert content.count('type="checkbox" name="agree"') == len(offered)
    assert "checked" not in content


def test_giving_then_withdrawing_a_consent_is_recorded_with_the_text_version(
    member: User, member_client: Client
) -> None:
    purpose = OptionalPurpose.EMAIL_DIGEST
    text = PolicyText.current(TextKind.PURPOSE, purpose)

    response = member_client.post(f"{CHOICES}{purpose}/donner/", {"agree": "yes"})
    assert response.status_code == 302
    assert has_consent(member, purpose) is True
    assert has_consent(member, OptionalPurpose.RECORDINGS) is False
    page = member_client.get(CHOICES).content.decode()
    assert f'action="{CHOICES}{purpose}/retirer/"' in page

    member_client.post(f"{CHOICES}{purpose}/retirer/")  # one click, no reason asked
    assert has_consent(member, purpose) is False

    records = list(ConsentRecord.objects.filter(user=member, text__kind=TextKind.PURPOSE)
                   .order_by("recorded_at", "id"))
    assert [(r.text, r.decision, r.method, r.recorded_by) for r in records] == [
        (text, ConsentDecision.GRANTED, ConsentMethod.WEB, None),
        (text, ConsentDecision.WITHDRAWN, ConsentMethod.WEB, None),
    ]
    actions = list(AuditEntry.objects.filter(subject=member, action__startswith="gdpr.consent.")
                   .order_by("at", "id").values_list("action", flat=True))
    assert actions == ["gdpr.consent.give", "gdpr.consent.withdraw"]


def test_a_consent_needs_the_box_ticked(member: User, member_client: Client) -> None:
    response = member_client.post(f"{CHOICES}{OptionalPurpose.RECORDINGS}/donner/", {})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ConsentRecord.objects.filter(user=member, text__kind=TextKind.PURPOSE).exists()
    assert has_consent(member, OptionalPurpose.RECORDINGS) is False


def test_giving_twice_or_withdrawing_nothing_adds_no_record(member: User) -> None:
    assert consent.do_withdraw_consent(member, OptionalPurpose.SHOW_CANTON) is None
    assert consent.do_give_consent(member, OptionalPurpose.SHOW_CANTON) is not None
    assert consent.do_give_consent(member, OptionalPurpose.SHOW_CANTON) is None
    assert ConsentRecord.objects.filter(user=member, text__kind=TextKind.PURPOSE).count() == 1


def test_an_unknown_purpose_is_a_404(member_client: Client) -> None:
    assert member_client.post(f"{CHOICES}publicite/donner/", {"agree": "yes"}).status_code == 404


def test_the_person_sees_their_whole_history_newest_first(
    member: User, member_client: Client
) -> None:
    consent.do_give_consent(member, OptionalPurpose.SHOW_CANTON)
    consent.do_withdraw_consent(member, OptionalPurpose.SHOW_CANTON)
    consent.do_give_consent(member, OptionalPurpose.RECORDINGS)
    history = list(member_client.get(CHOICES).context["history"])
    # Notice read and charter accepted (at "first login"), then the three choices.
    assert len(history) == 5
    assert [r.decision for r in history[:3]] == [
        ConsentDecision.GRANTED, ConsentDecision.WITHDRAWN, ConsentDecision.GRANTED,
    ]
    assert history == list(ConsentRecord.objects.filter(user=member))


def test_consent_history_is_append_only(member: User) -> None:
    record = consent.do_give_consent(member, OptionalPurpose.SHOW_CANTON)
    assert record is not None
    record.decision = ConsentDecision.WITHDRAWN
    with pytest.raises(PermissionError):
        record.save()
    with pytest.raises(PermissionError):
        record.delete()
    with pytest.raises(PermissionError):
        ConsentRecord.objects.filter(user=member).update(decision=ConsentDecision.WITHDRAWN)
    with pytest.raises(PermissionError):
        ConsentRecord.objects.filter(user=member).delete()
    assert ConsentRecord.objects.get(pk=record.pk).decision == ConsentDecision.GRANTED


def test_a_new_purpose_version_that_asks_again_lapses_earlier_consents(
    member: User, member_client: Client, dpd: User
) -> None:
    purpose = OptionalPurpose.RECORDINGS
    consent.do_give_consent(member, purpose)
    publish_new_version(dpd, TextKind.PURPOSE, purpose, asks_again=True)

    assert has_consent(member, purpose) is False
    state = next(s for s in consent.purpose_states(member) if s.purpose == purpose)
    assert state.lapsed and state.text is not None and state.text.version == 2
    assert 'name="agree"' in member_client.get(CHOICES).content.decode()

    consent.do_give_consent(member, purpose)
    assert has_consent(member, purpose) is True
    assert ConsentRecord.objects.filter(user=member, text__version=2).exists()


def test_a_new_purpose_version_that_does_not_ask_again_keeps_earlier_consents(
    member: User, dpd: User
) -> None:
    purpose = OptionalPurpose.SHOW_CANTON
    consent.do_give_consent(member, purpose)
    publish_new_version(dpd, TextKind.PURPOSE, purpose, asks_again=False)
    assert has_consent(member, purpose) is True
    # Withdrawing still works, on the current version.
    record = consent.do_withdraw_consent(member, purpose)
    assert record is not None and record.text.version == 2
    assert has_consent(member, purpose) is False


def test_nobody_has_consent_without_being_logged_in() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert has_consent(AnonymousUser(), OptionalPurpose.EMAIL_DIGEST) is False


# --- Paper consent ------------------------------------------------------------------------


def test_dccu_records_a_paper_consent_for_a_member(
    member: User, dccu: User, dccu_client: Client
) -> None:
    assert dccu_client.get("/confidentialite/papier/").status_code == 200
    response = dccu_client.post("/confidentialite/papier/", {
        "person": member.pk, "purpose": OptionalPurpose.RECORDINGS,
        "decision": ConsentDecision.GRANTED,
    })
    assert response.status_code == 302
    assert response["Location"] == f"/confidentialite/personnes/{member.pk}/"
    assert has_consent(member, OptionalPurpose.RECORDINGS) is True
    record = ConsentRecord.objects.get(user=member, text__kind=TextKind.PURPOSE)
    assert record.method == ConsentMethod.PAPER and record.recorded_by == dccu
    entry = AuditEntry.objects.get(action="gdpr.consent.give")
    assert entry.actor == dccu and entry.subject == member
    assert entry.details["method"] == ConsentMethod.PAPER

    # The member sees who typed it in, in their own history.
    member_page = logged_in(member).get(CHOICES).content.decode()
    assert dccu.public_name in member_page

    # And the DCCU sees the person's history (an access that is audited).
    page = dccu_client.get(f"/confidentialite/personnes/{member.pk}/")
    assert page.status_code == 200
    assert AuditEntry.objects.filter(action="gdpr.consent.view", subject=member,
                                     actor=dccu).exists()


def test_a_member_cannot_record_a_consent_for_someone_else(
    assembly: Assembly, member: User, member_client: Client
) -> None:
    other = factories.make_titulaire(assembly)
    response = member_client.post("/confidentialite/papier/", {
        "person": other.pk, "purpose": OptionalPurpose.RECORDINGS,
        "decision": ConsentDecision.GRANTED,
    })
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        consent.do_record_paper_consent(member, person=other,
                                        purpose=OptionalPurpose.RECORDINGS,
                                        decision=ConsentDecision.GRANTED)
    # The web form only ever records for the person logged in, whatever is posted.
    member_client.post(f"{CHOICES}{OptionalPurpose.RECORDINGS}/donner/",
                       {"agree": "yes", "user": other.pk, "person": other.pk})
    assert has_consent(other, OptionalPurpose.RECORDINGS) is False
    assert has_consent(member, OptionalPurpose.RECORDINGS) is True
    assert member_client.get(f"/confidentialite/personnes/{other.pk}/").status_code == 403


# --- The texts: written and published by the DCCU or the DPD ------------------------------


@pytest.mark.parametrize("role", ["dccu", "dpd"])
def test_dccu_and_dpd_write_and_publish_a_new_version(role: str, member: User) -> None:
    staff = factories.UserFactory(roles=[Role(role)])
    enrol_demo_totp(staff)
    client = logged_in(staff)
    assert client.get("/confidentialite/textes/").status_code == 200

    form = client.get("/confidentialite/textes/nouveau/charter/")
    assert form.status_code == 200
    response = client.post("/confidentialite/textes/nouveau/charter/",
                           {"title": "Règles de vie", "body": "## Respect\n\nSoyons courtois."})
    draft = PolicyText.objects.get(kind=TextKind.CHARTER, version=2)
    assert response["Location"] == f"/confidentialite/textes/{draft.pk}/"
    assert not draft.is_published

    client.post(f"/confidentialite/textes/{draft.pk}/",
                {"title": "Règles de vie", "body": "## Respect\n\nSoyons très courtois."})
    client.post(f"/confidentialite/textes/{draft.pk}/publier/")
    draft.refresh_from_db()
    assert draft.is_published and "très courtois" in draft.body
    assert PolicyText.current(TextKind.CHARTER) == draft
    assert logged_in(member).get("/")["Location"].startswith(WELCOME)
    assert AuditEntry.objects.filter(actor=staff, action="gdpr.text.publish").exists()


def test_a_published_text_never_changes(dpd: User) -> None:
    text = PolicyText.current(TextKind.NOTICE)
    assert text is not None
    text.body = "Autre chose"
    with pytest.raises(PermissionError):
        text.save()
    with pytest.raises(PermissionError):
        text.delete()
    client = logged_in(dpd)
    response = client.post(f"/confidentialite/textes/{text.pk}/",
                           {"title": "x", "body": "y"})
    assert response.status_code == 403
    client.post(f"/confidentialite/textes/{text.pk}/publier/")
    client.post(f"/confidentialite/textes/{text.pk}/abandonner/")
    assert PolicyText.objects.get(pk=text.pk).body != "Autre chose"


def test_a_draft_can_be_discarded(dpd: User) -> None:
    draft = consent.do_create_policy_draft(dpd, kind=TextKind.NOTICE, title="x", body="y")
    logged_in(dpd).post(f"/confidentialite/textes/{draft.pk}/abandonner/")
    assert not PolicyText.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("role", ["titulaire", "facilitateur", "agent", "comite_suivi"])
def test_only_dccu_and_dpd_reach_the_texts(role: str, assembly: Assembly) -> None:
    if role == "titulaire":
        person = factories.make_titulaire(assembly)
    else:
        person = factories.UserFactory(roles=[Role(role)])
    client = logged_in(person)
    text = PolicyText.current(TextKind.NOTICE)
    assert text is not None
    for url in ["/confidentialite/textes/", "/confidentialite/textes/nouveau/notice/",
                f"/confidentialite/textes/{text.pk}/", "/confidentialite/papier/"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/confidentialite/textes/{text.pk}/publier/").status_code == 403
    with pytest.raises(PermissionDenied):
        consent.do_create_policy_draft(person, kind=TextKind.NOTICE, title="x", body="y")


def test_dpd_cannot_record_paper_consent(dpd: User, member: User) -> None:
    # Typing in paper forms is the DCCU's job; the DPD reviews.
    assert logged_in(dpd).get("/confidentialite/papier/").status_code == 403


# --- The text format ----------------------------------------------------------------------


def test_policy_text_format_escapes_markup_and_refuses_unsafe_links() -> None:
    html = render(
        "## Titre\n\n<script>alert(1)</script> **gras** [ici](/mes-donnees/)\n"
        "[piège](javascript:alert(1)) [ailleurs](//evil.example.org/x)\n\n- un\n- deux",
        top_heading=3,
    )
    assert "<h3>Titre</h3>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="/mes-donnees/">ici</a>' in html
    assert "javascript:" not in html.split("[piège]")[0] and 'href="javascript' not in html
    assert 'href="//' not in html
    assert "<ul><li>un</li><li>deux</li></ul>" in html


# --- The same, in the admin ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["dccu", "dpd"])
def test_admin_writes_drafts_through_the_operations_and_publishes_them(
    role: str, member: User
) -> None:
    staff = factories.UserFactory(roles=[Role(role)])
    enrol_demo_totp(staff)
    client = logged_in(staff)
    assert client.get("/admin/gdpr/policytext/").status_code == 200
    response = client.post("/admin/gdpr/policytext/add/", {
        "kind": TextKind.PURPOSE, "purpose": OptionalPurpose.SHOW_CANTON,
        "title": "Afficher mon canton", "body": "Nouveau texte.",
    })  # "asks_again" left unticked: earlier consents keep counting
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = PolicyText.objects.get(kind=TextKind.PURPOSE, purpose=OptionalPurpose.SHOW_CANTON,
                                   version=2)
    assert not draft.is_published and not draft.asks_again
    assert AuditEntry.objects.filter(actor=staff, action="gdpr.text.draft").exists()

    client.post("/admin/gdpr/policytext/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_published and not draft.asks_again

    # Published: shown read only, never changed nor deleted.
    assert client.get(f"/admin/gdpr/policytext/{draft.pk}/change/").status_code == 200
    response = client.post(f"/admin/gdpr/policytext/{draft.pk}/change/",
                           {"title": "Autre", "body": "Autre"})
    assert response.status_code == 403
    assert client.post(f"/admin/gdpr/policytext/{draft.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert PolicyText.objects.get(pk=draft.pk).title == "Afficher mon canton"


def test_admin_refuses_a_second_draft_of_the_same_text(dpd: User) -> None:
    consent.do_create_policy_draft(dpd, kind=TextKind.NOTICE, title="x", body="y")
    response = logged_in(dpd).post("/admin/gdpr/policytext/add/", {
        "kind": TextKind.NOTICE, "purpose": "", "title": "z", "body": "w", "asks_again": "on",
    })
    assert response.status_code == 200  # the form again, with the error
    assert PolicyText.objects.filter(kind=TextKind.NOTICE, version=3).exists() is False


@pytest.mark.parametrize("role", ["dccu", "dpd"])
def test_consent_records_are_read_only_in_the_admin(role: str, member: User) -> None:
    staff = factories.UserFactory(roles=[Role(role)])
    enrol_demo_totp(staff)
    record = consent.do_give_consent(member, OptionalPurpose.RECORDINGS)
    assert record is not None
    client = logged_in(staff)
    assert client.get("/admin/gdpr/consentrecord/").status_code == 200
    assert client.get(f"/admin/gdpr/consentrecord/{record.pk}/change/").status_code == 200
    assert client.get("/admin/gdpr/consentrecord/add/").status_code == 403
    assert client.post(f"/admin/gdpr/consentrecord/{record.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert ConsentRecord.objects.filter(pk=record.pk).exists()
