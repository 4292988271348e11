"""docs/permissions.md, walked: every role against every URL that exists so far."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import Invitation, User
from accounts.roles import Role
from assembly.indemnities import Rules, period_of
from assembly.invitations import do_invite_person
from assembly.models import Assembly, Membership
from forums.models import Room, RoomKind
from tests import factories

# The indemnity year the test assembly (begun 60 days ago) is in.
YEAR = period_of(timezone.localdate() - dt.timedelta(days=60), Rules())[0].year

ROLES = ["anonymous", "titulaire", "remplacant", "facilitateur", "agent", "dccu", "dpd",
         "comite_suivi", "no_role"]
OK, LOGIN, FORBIDDEN, ADMIN_LOGIN, HOME = "ok", "login", "forbidden", "admin_login", "home"
NOT_FOUND = "not_found"

# The admin: anonymous visitors are sent to its login page, anyone else without the role
# gets a 403 (never the login page: it would send them back, a redirect loop).
ADMIN_OUTSIDERS = {"anonymous": ADMIN_LOGIN, "*": FORBIDDEN}

# (method, url, expectation per role). An expectation is a code above, and the
# default when a role is missing from the dict is given by "*".
MATRIX: list[tuple[str, str, dict[str, str]]] = [
    ("get", "/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/healthz", {"*": OK}),
    # Operators' endpoints: access by network or bearer token, never by role (the test
    # client is 127.0.0.1, allowed by default; tests/config/test_metrics.py walks the
    # refusals, a 404 for anyone else).
    ("get", "/metrics", {"*": OK}),
    # Help and dashboards (dashboards/): docs/permissions.md, « Home pages and dashboards ».
    ("get", "/aide/", {"anonymous": LOGIN, "*": OK}),
    # The help centre (learning/): any guide for anyone logged in, docs/help.md.
    ("get", "/aide/glossaire/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/aide/aide-memoire.pdf", {"anonymous": LOGIN, "*": OK}),
    ("get", "/aide/repondre-demande-rgpd/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/aide/ecrire-discussion/pas-a-pas.pdf", {"anonymous": LOGIN, "*": OK}),
    # The practice space (learning/urls.py): everyone logged in has their own; someone
    # else's practice room, draft and wall answer 404 (tests/learning/test_sandbox.py).
    # The shared training room is open to all logged in; only the DCCU empties it.
    ("get", "/bac-a-sable/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/bac-a-sable/brouillon/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/bac-a-sable/effacer/", {"anonymous": LOGIN, "*": OK}),
    ("post", "/bac-a-sable/effacer/", {"anonymous": LOGIN, "*": HOME}),
    ("get", "/bac-a-sable/salle-commune/", {"anonymous": LOGIN, "*": HOME}),
    ("get", "/bac-a-sable/salle-commune/effacer/",
     {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("post", "/bac-a-sable/salle-commune/effacer/",
     {"anonymous": LOGIN, "dccu": HOME, "*": FORBIDDEN}),
    ("get", "/animation/", {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/pilotage/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    # Seats and replacements (assembly/urls_seats.py): docs/assembly.md. Offers are walked
    # role by role in tests/assembly/test_seats.py (someone else's offer: 404).
    ("get", "/pilotage/sieges/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/pilotage/sieges/fin/{membership}/",
     {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("post", "/pilotage/sieges/{seat}/proposer/",
     {"anonymous": LOGIN, "dccu": HOME, "*": FORBIDDEN}),
    ("get", "/mon-siege/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/mon-siege/demission/",
     {"anonymous": LOGIN, "titulaire": OK, "remplacant": OK, "*": NOT_FOUND}),
    ("get", "/comptes/login/", {"anonymous": OK, "*": HOME}),
    ("get", "/comptes/double-authentification/", {"anonymous": LOGIN, "*": HOME}),
    # Reading comfort and the guided first visits (accounts/urls.py): one's own only, for
    # everyone with an account; a visit that is not one (here, nothing posted) is refused.
    ("get", "/comptes/confort-de-lecture/", {"anonymous": LOGIN, "*": OK}),
    ("post", "/comptes/visite-guidee/", {"anonymous": LOGIN, "*": "invalid"}),
    ("post", "/comptes/visite-guidee/revoir/", {"anonymous": LOGIN, "*": HOME}),
    ("get", "/invitations/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/invitations/nouvelle/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/invitations/import/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("post", "/invitations/{invitation}/renvoyer/",
     {"anonymous": LOGIN, "dccu": HOME, "*": FORBIDDEN}),
    ("post", "/invitations/{invitation}/revoquer/",
     {"anonymous": LOGIN, "dccu": HOME, "*": FORBIDDEN}),
    # Draws (assembly/urls_draws.py): pages with an id, and the public verification page,
    # are walked role by role in tests/assembly/test_draws.py.
    ("get", "/tirages/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/tirages/nouveau/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    # The documents due for the sessions (assembly/urls_deadlines.py): the DCCU sees all,
    # facilitators theirs; each document's pages are walked role by role in
    # tests/assembly/test_session_documents.py.
    ("get", "/echeances/", {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/echeances/?statut=en_retard",
     {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/admin/", {"dccu": OK, "dpd": OK, **ADMIN_OUTSIDERS}),
    ("get", "/admin/assembly/membership/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/assembly/subgroup/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    # Conversations' admin (forums/admin.py): the DCCU only, never the DPD.
    ("get", "/admin/forums/room/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/forums/message/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/forums/report/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/forums/mute/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/accounts/user/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/accounts/invitation/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    # The privacy module's DPO pages (gdpr/urls_dpo.py).
    ("get", "/admin/gdpr/auditentry/", {"dpd": OK, "dccu": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/gdpr/retentionrun/", {"dpd": OK, "dccu": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/dpd/", {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/dpd/registre/", {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/dpd/registre/export.ods",
     {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/dpd/registre/export.csv",
     {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/dpd/conservation/", {"anonymous": LOGIN, "dpd": OK, "*": FORBIDDEN}),
    ("post", "/dpd/conservation/", {"anonymous": LOGIN, "dpd": HOME, "*": FORBIDDEN}),
    ("get", "/dpd/journal/", {"anonymous": LOGIN, "dpd": OK, "*": FORBIDDEN}),
    # Information and consent (gdpr/urls_consent.py); everyone here has accepted already.
    ("get", "/donnees-personnelles/", {"*": OK}),
    ("get", "/mentions-legales/", {"*": OK}),
    ("get", "/accessibilite/", {"*": OK}),
    # Its feedback form is public too (an empty message comes back with its error).
    ("post", "/accessibilite/", {"*": "invalid"}),
    ("get", "/bienvenue/", {"anonymous": LOGIN, "*": HOME}),
    ("get", "/confidentialite/choix/", {"anonymous": LOGIN, "*": OK}),
    ("post", "/confidentialite/choix/email_digest/retirer/", {"anonymous": LOGIN, "*": HOME}),
    ("get", "/confidentialite/textes/",
     {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/confidentialite/textes/nouveau/notice/",
     {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/confidentialite/papier/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/admin/gdpr/policytext/", {"dccu": OK, "dpd": OK, **ADMIN_OUTSIDERS}),
    ("get", "/admin/gdpr/consentrecord/", {"dccu": OK, "dpd": OK, **ADMIN_OUTSIDERS}),
    # The rights of the people (gdpr/urls_rights.py); a request or a copy of someone
    # else is a 404 for all but its person (and the DPD/DCCU for requests):
    # tests/gdpr/test_requests.py and tests/gdpr/test_access_copy.py walk those.
    ("get", "/mes-donnees/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/mes-donnees/profil/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/mes-donnees/demandes/effacement/", {"anonymous": LOGIN, "*": OK}),
    ("post", "/mes-donnees/copies/", {"anonymous": LOGIN, "*": HOME}),
    ("get", "/demandes-rgpd/", {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    ("get", "/demandes-rgpd/enregistrer/",
     {"anonymous": LOGIN, "dccu": OK, "dpd": OK, "*": FORBIDDEN}),
    # Proposals (deliberation/urls_proposals.py): the list shows what one may read (nothing
    # for the DPD); pages with an id are walked role by role in
    # tests/deliberation/test_proposals_access.py.
    ("get", "/propositions/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/admin/deliberation/proposal/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    # The follow-up of adopted proposals (deliberation/urls_followup.py): read by the
    # assembly and the staff, not the DPD; pages with an id, the public page (404 until the
    # DCCU turns it on) are walked role by role in tests/deliberation/test_followup.py.
    ("get", "/suivi/", {"anonymous": LOGIN, "dpd": FORBIDDEN, "no_role": FORBIDDEN, "*": OK}),
    ("get", "/suivi/comite/", {"anonymous": LOGIN, "agent": OK, "dccu": OK, "comite_suivi": OK,
                               "*": FORBIDDEN}),
    ("get", "/suivi/etat-des-lieux/",
     {"anonymous": LOGIN, "dpd": FORBIDDEN, "no_role": FORBIDDEN, "*": OK}),
    ("get", "/suivi/etat-des-lieux.docx",
     {"anonymous": LOGIN, "dpd": FORBIDDEN, "no_role": FORBIDDEN, "*": OK}),
    ("post", "/suivi/publication/", {"anonymous": LOGIN, "dccu": HOME, "*": FORBIDDEN}),
    # The plenary's votes (decisions/urls.py): the list shows what one may read; pages with
    # an id are walked role by role in tests/decisions/test_permissions.py.
    ("get", "/decisions/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/decisions/votes/nouveau/",
     {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN}),
    # Workshops (workshops/urls.py): the list shows the walls and boards of the rooms one
    # reads; pages with an id are walked role by role in tests/workshops/test_wall_access.py.
    ("get", "/ateliers/", {"anonymous": LOGIN, "*": OK}),
    # The agenda (assembly/urls_sessions.py): one's own sessions and calendar address; only
    # the DCCU and facilitators organise. Pages of a session are walked role by role in
    # tests/assembly/test_sessions.py; a wrong or revoked feed address is a 404 to all.
    ("get", "/agenda/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/agenda/?vue=mois", {"anonymous": LOGIN, "*": OK}),
    ("get", "/agenda/abonnement/", {"anonymous": LOGIN, "*": OK}),
    # A facilitator without a subgroup has no session to organise (403).
    ("get", "/agenda/nouvelle/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    # The library (documents/urls.py): browse and search are open to anonymous visitors
    # (public documents only); pages with an id are walked role by role in
    # tests/documents/test_pages.py, test_moderation.py and test_paths.py.
    ("get", "/bibliotheque/", {"*": OK}),
    ("get", "/bibliotheque/recherche/?q=assemblee", {"*": OK}),
    ("get", "/bibliotheque/proposer/",
     {"anonymous": LOGIN, "dpd": FORBIDDEN, "comite_suivi": FORBIDDEN, "no_role": FORBIDDEN,
      "*": OK}),
    ("get", "/bibliotheque/moderation/",
     {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/bibliotheque/parcours/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/admin/documents/document/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    ("get", "/admin/documents/readingpath/", {"dccu": OK, "dpd": FORBIDDEN, **ADMIN_OUTSIDERS}),
    # The notification centre (notifications/urls.py): one's own only; someone else's
    # notification is walked in tests/notifications/test_views.py (404).
    ("get", "/notifications/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/notifications/preferences/", {"anonymous": LOGIN, "*": OK}),
    ("post", "/notifications/tout-lu/", {"anonymous": LOGIN, "*": HOME}),
    # Attendance, indemnities and travel claims (assembly/urls_attendance.py): one's own
    # page for everyone; pages of one session or claim are walked role by role in
    # tests/assembly/test_attendance.py and test_travel_claims.py (404 for outsiders).
    ("get", "/presences/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/presences/seances/",
     {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/presences/indemnites/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/presences/indemnites/{year}/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("post", "/presences/indemnites/{year}/valider/",
     {"anonymous": LOGIN, "dccu": HOME, "*": FORBIDDEN}),
    ("post", "/presences/indemnites/{year}/corriger/",
     {"anonymous": LOGIN, "dccu": "not_found", "*": FORBIDDEN}),
    ("get", "/presences/indemnites/{year}/export.csv",
     {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/presences/indemnites/{year}/export.ods",
     {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/presences/frais/",
     {"anonymous": LOGIN, "titulaire": OK, "remplacant": OK, "*": FORBIDDEN}),
    ("get", "/presences/frais/a-traiter/", {"anonymous": LOGIN, "dccu": OK, "*": FORBIDDEN}),
    ("get", "/presences/code/faux-code/", {"anonymous": LOGIN, "*": "invalid"}),
]


def _person(role: str, assembly: Assembly) -> User | None:
    if role == "anonymous":
        return None
    if role == "titulaire":
        return factories.make_titulaire(assembly)
    if role == "remplacant":
        return factories.make_substitute(assembly, factories.seat(assembly))
    if role == "no_role":
        return factories.UserFactory()
    user = factories.UserFactory(roles=[Role(role)])
    if role in {"dccu", "dpd"}:
        enrol_demo_totp(user)
    return user


def _check(expect: str, response: Any, url: str) -> None:
    location = response.get("Location", "")
    if expect == OK:
        assert response.status_code == 200, (url, response.status_code, location)
    elif expect == LOGIN:
        assert response.status_code == 302 and location.startswith("/comptes/login/"), (
            url, response.status_code, location)
    elif expect == ADMIN_LOGIN:
        assert response.status_code == 302 and "login" in location, (url, location)
    elif expect == FORBIDDEN:
        assert response.status_code == 403, (url, response.status_code, location)
    elif expect == "not_found":
        assert response.status_code == 404, (url, response.status_code)
    elif expect == "invalid":
        assert response.status_code == 400, (url, response.status_code)
    elif expect == NOT_FOUND:
        assert response.status_code == 404, (url, response.status_code, location)
    elif expect == HOME:
        assert response.status_code == 302, (url, response.status_code)
        assert not location.startswith(("/comptes/login", "/admin/login")), (url, location)
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(expect)


@pytest.fixture
def invitation(db: Any, assembly: Assembly) -> Invitation:
    issuer = factories.UserFactory(roles=[Role.DCCU])
    return do_invite_person(issuer, email="invitee@example.org", first_name="Lou",
                            last_name="Martin", role=Role.AGENT, base_url="http://testserver")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_the_documented_answer_on_every_url(
    role: str, assembly: Assembly, invitation: Invitation
) -> None:
    person = _person(role, assembly)
    seated = Membership.objects.open().filter(kind="titulaire").first() or Membership.objects.get(
        user=factories.make_titulaire(assembly)
    )
    client = Client()
    if person is not None:
        client.force_login(person)
    for method, url_template, expectations in MATRIX:
        url = url_template.format(
            invitation=invitation.pk, year=YEAR, membership=seated.pk, seat=seated.seat_id
        )
        expect = expectations.get(role, expectations["*"])
        call: Callable[..., Any] = getattr(client, method)
        response = call(url)
        _check(expect, response, url)
        if person is not None:
            # Behind login, nothing may be kept by a browser or a proxy: pages, refusals,
            # redirects and exports alike.
            cache_control = response.get("Cache-Control", "")
            assert "no-store" in cache_control and "private" in cache_control, (
                url, cache_control)
        elif expect == OK and not url.startswith("/comptes/"):  # allauth's never_cache
            # Public pages stay cacheable.
            assert "no-store" not in response.get("Cache-Control", ""), url


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["dccu", "dpd"])
def test_staff_without_two_factor_are_sent_to_enrol_first(role: str, assembly: Assembly) -> None:
    person = factories.UserFactory(roles=[Role(role)])
    client = Client()
    client.force_login(person)
    for url in ["/", "/invitations/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "/comptes/double-authentification/"


@pytest.mark.django_db
def test_invitation_of_one_role_cannot_be_revoked_by_another(
    assembly: Assembly, invitation: Invitation
) -> None:
    member = factories.make_titulaire(assembly)
    client = Client()
    client.force_login(member)
    assert client.post(f"/invitations/{invitation.pk}/revoquer/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


@pytest.mark.django_db
def test_role_groups_cannot_be_renamed_in_the_admin(dccu_client: Client) -> None:
    assert dccu_client.get("/admin/auth/group/").status_code == 404


# --- Conversations: every URL under /discussions/ ------------------------------------------
# docs/permissions.md, « Conversations »: each role's abilities per kind of room, for a
# titulaire and a facilitator *of* the subgroup. Each page then answers by the ability it
# needs: none → 404 (nobody learns the room exists), read but not the ability → 403.
ROOM_ABILITIES: dict[str, dict[str, str]] = {
    # role: {kind: abilities, r = read, w = write, m = moderate}
    "titulaire": {"subgroup": "rw", "plenary": "rw", "direct": "", "staff": ""},
    "remplacant": {"subgroup": "", "plenary": "r", "direct": "", "staff": ""},
    "facilitateur": {"subgroup": "rwm", "plenary": "rwm", "direct": "", "staff": "rw"},
    "agent": {"subgroup": "", "plenary": "rw", "direct": "", "staff": "rw"},
    "dccu": {"subgroup": "rm", "plenary": "rwm", "direct": "", "staff": "rwm"},
    "dpd": {"subgroup": "", "plenary": "", "direct": "", "staff": ""},
    "comite_suivi": {"subgroup": "", "plenary": "rw", "direct": "", "staff": ""},
    "no_role": {"subgroup": "", "plenary": "", "direct": "", "staff": ""},
}
NOT_FOUND, INVALID = "not_found", "invalid"

# Pages without an object.
DISCUSSIONS: list[tuple[str, str, dict[str, str]]] = [
    ("get", "/discussions/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/discussions/nouvelle/", {"anonymous": LOGIN, "*": OK}),
    ("get", "/discussions/recherche/?q=bus", {"anonymous": LOGIN, "*": OK}),
    # The one search (config/search.py): each kind filtered by its app's own rule
    # (tests/config/test_search.py walks who finds what).
    ("get", "/recherche/?q=minibus", {"anonymous": LOGIN, "*": OK}),
    ("get", "/discussions/preferences/", {"anonymous": LOGIN, "*": OK}),
    # The rich-text editor's upload address refuses every upload, to everyone.
    ("post", "/discussions/televersement-refuse/", {"*": FORBIDDEN}),
]

# Pages of one room, its thread, one of its messages and its attachment: the ability each
# needs, and the answer once it has it (empty forms: only access is walked here).
ROOM_PAGES: list[tuple[str, str, str, str]] = [
    ("get", "/discussions/salle/{room}/", "r", OK),
    ("get", "/discussions/salle/{room}/anciens/", "r", OK),
    ("post", "/discussions/salle/{room}/envoyer/", "r", HOME),  # refused in a message
    ("post", "/discussions/salle/{room}/vocal/", "r", HOME),  # refused in a message
    # A recording uploaded for a proposed transcript (forums/transcription.py): writers (an
    # empty form is refused); a draft is only ever its author's (someone else's: 404).
    ("post", "/discussions/salle/{room}/vocal/brouillon/", "w", INVALID),
    ("get", "/discussions/vocal/{draft}/", "r", NOT_FOUND),
    ("get", "/discussions/salle/{room}/sujets/", "r", OK),
    ("get", "/discussions/salle/{room}/sujets/nouveau/", "w", OK),
    ("get", "/discussions/sujet/{thread}/", "r", OK),
    ("get", "/discussions/message/{message}/", "r", OK),
    ("post", "/discussions/message/{message}/signaler/", "r", INVALID),
    ("post", "/discussions/message/{message}/masquer/", "m", INVALID),
    ("post", "/discussions/message/{message}/silence/", "m", INVALID),
    ("get", "/discussions/fichier/{attachment}/", "r", OK),
    # The attendance lists of the room's calls (calls/urls.py): its moderators.
    ("get", "/appels/salle/{room}/", "m", OK),
    ("get", "/appels/{call}/presences.csv", "m", OK),
    # What one does to a message in the chat (forums/views_chat.py). "a": only its author
    # (never these roles here: the message is someone else's) edits it.
    ("get", "/discussions/message/{message}/lien/", "r", HOME),  # to the room, at the message
    ("get", "/discussions/message/{message}/modifier/", "a", OK),
    ("post", "/discussions/message/{message}/modifier/", "a", INVALID),
    ("post", "/discussions/message/{message}/reagir/", "w", INVALID),  # no emoji given
    ("post", "/discussions/message/{message}/non-lu/", "r", HOME),
    ("post", "/discussions/message/{message}/transcription/", "a", OK),  # its author only
    # Last: a moderator's delete removes the message (and its file) for the rows above.
    ("post", "/discussions/message/{message}/supprimer/", "m", HOME),
]


def _conversations(assembly: Assembly, person: User | None, role: str) -> dict[str, Any]:
    """One room of each kind, with a message and a file in each, written by others."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from calls.actions import do_join_call
    from forums.actions import default_thread, do_create_direct_room
    from forums.models import Attachment, VoiceDraft

    voice = factories.make_titulaire(assembly)  # writes in the subgroup and the plenary
    staff = factories.UserFactory(roles=[Role.AGENT])
    members = [voice] + ([person] if role == "titulaire" and person is not None else [])
    facilitators = [person] if role == "facilitateur" and person is not None else []
    subgroup = factories.make_subgroup(assembly, members=members, facilitators=facilitators)
    a, b = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    rooms = {
        "subgroup": (factories.room_of(subgroup), voice),
        "plenary": (factories.plenary_room(subgroup.mandate), voice),
        "direct": (do_create_direct_room(a, participants=[a, b]), a),
        "staff": (Room.objects.get(mandate=subgroup.mandate, kind=RoomKind.STAFF), staff),
    }
    objects: dict[str, Any] = {}
    for kind, (room, author) in rooms.items():
        message = factories.send(author, room, "Le bus de 7 h 12 ne passe plus")
        attachment = Attachment.objects.create(
            message=message, kind="file", name="horaires.pdf", content_type="application/pdf",
            size=4, file=SimpleUploadedFile("horaires.pdf", b"%PDF"),
        )
        call, _ = do_join_call(author, room, channel="matrix")
        draft = VoiceDraft.objects.create(
            author=author, room=room, content_type="audio/webm", size=4, duration_seconds=1,
            file=SimpleUploadedFile("voice.webm", b"\x1a\x45\xdf\xa3"),
        )
        objects[kind] = {"room": room.pk, "thread": default_thread(room).pk,
                         "message": message.pk, "attachment": attachment.pk, "call": call.pk,
                         "draft": draft.pk}
    return objects


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_the_documented_answer_under_discussions(
    role: str, assembly: Assembly, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    person = _person(role, assembly)
    objects = _conversations(assembly, person, role)
    client = Client()
    if person is not None:
        client.force_login(person)
    checked: list[tuple[str, str]] = []
    for method, url, expectations in DISCUSSIONS:
        response = getattr(client, method)(url)
        _check_discussion(expectations.get(role, expectations["*"]), response, url)
        checked.append((method, url))
    for kind, ids in objects.items():
        for method, template, needs, answer in ROOM_PAGES:
            url = template.format(**ids)
            if role == "anonymous":
                expect = LOGIN
            else:
                abilities = ROOM_ABILITIES[role][kind]
                expect = (NOT_FOUND if "r" not in abilities
                          else answer if needs in abilities else FORBIDDEN)
            response = getattr(client, method)(url)
            _check_discussion(expect, response, f"{kind}: {url}")
            checked.append((method, template))
    _every_discussions_url_is_walked(checked)


def _check_discussion(expect: str, response: Any, url: str) -> None:
    if expect == NOT_FOUND:
        assert response.status_code == 404, (url, response.status_code)
    elif expect == INVALID:  # the form comes back with its errors
        assert response.status_code == 400, (url, response.status_code)
    else:
        _check(expect, response, url)


def _every_discussions_url_is_walked(checked: list[tuple[str, str]]) -> None:
    """A new page under /discussions/ must be added above (this fails until it is)."""
    import re

    from forums.urls import urlpatterns

    walked = {re.sub(r"\{\w+\}|\?.*$", "", url) for _method, url in checked}
    for pattern in urlpatterns:
        route = "/discussions/" + re.sub(r"<[^>]+>", "", str(pattern.pattern))
        assert route in walked, f"{route} is not in the /discussions/ permission matrix"


# --- Web push (notifications/webpush.py): docs/permissions.md, « Notifications » -----------
# Off without VAPID keys: nothing answers but the login. With keys, every role may add and
# remove its own devices (an empty form is refused), and /sw.js is public.
WEB_PUSH_ON: list[tuple[str, str, dict[str, str]]] = [
    ("get", "/sw.js", {"*": OK}),
    ("post", "/notifications/appareils/ajouter/", {"anonymous": LOGIN, "*": INVALID}),
    ("post", "/notifications/appareils/retirer/", {"anonymous": LOGIN, "*": OK}),
]
WEB_PUSH_OFF: list[tuple[str, str, dict[str, str]]] = [
    ("get", "/sw.js", {"*": NOT_FOUND}),
    ("post", "/notifications/appareils/ajouter/", {"anonymous": LOGIN, "*": NOT_FOUND}),
    ("post", "/notifications/appareils/retirer/", {"anonymous": LOGIN, "*": NOT_FOUND}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no_keys"])
@pytest.mark.parametrize("role", ROLES)
def test_web_push_pages_answer_each_role_as_documented(
    role: str, keys: bool, assembly: Assembly, settings: Any
) -> None:
    from notifications.webpush import new_key_pair

    if keys:
        settings.WEBPUSH_VAPID_PUBLIC_KEY, settings.WEBPUSH_VAPID_PRIVATE_KEY = new_key_pair()
    person = _person(role, assembly)
    client = Client()
    if person is not None:
        client.force_login(person)
    for method, url, expectations in WEB_PUSH_ON if keys else WEB_PUSH_OFF:
        response = getattr(client, method)(url)
        _check_discussion(expectations.get(role, expectations["*"]), response, url)
