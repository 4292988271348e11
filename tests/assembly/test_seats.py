"""Seats and replacements: a freed seat is offered to the substitutes of that same seat in
their order (decline or silence passes it on), resignations and « démissions d'office »
keep their reason, the substitute is told once, and the pages answer each role."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, has_role
from assembly import actions, seats
from assembly.models import (
    Assembly,
    EndReason,
    Membership,
    MembershipKind,
    OfferStatus,
    Seat,
    SeatCategory,
    SeatOffer,
)
from notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def titulaire_of(assembly: Assembly, seat: Seat) -> User:
    user = factories.UserFactory()
    actions.do_add_membership(
        None, user=user, seat=seat, kind=MembershipKind.TITULAIRE, start=assembly.mandate_start
    )
    return user


def open_of(user: User) -> Membership:
    return Membership.objects.open().get(user=user)


def resign(user: User, note: str = "") -> SeatOffer | None:
    return actions.do_resign(user, confirmed=True, note=note)


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def seat(assembly: Assembly) -> Seat:
    return factories.seat(assembly, "Muret", SeatCategory.FEMME_18_44)


# --- The replacement rule ----------------------------------------------------------------


def test_the_seat_goes_only_to_a_substitute_of_the_same_seat(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    # Same canton, other category; same category, other canton: neither is asked.
    factories.make_substitute(assembly, factories.seat(assembly, "Muret", SeatCategory.HOMME_45))
    factories.make_substitute(assembly, factories.seat(assembly, "Revel", SeatCategory.FEMME_18_44))
    own = factories.make_substitute(assembly, seat, rank=1)

    offer = resign(leaving)

    assert offer is not None and offer.user == own and offer.seat == seat
    assert SeatOffer.objects.count() == 1


def test_offers_follow_the_rank_and_the_seat_stays_vacant_until_acceptance(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    second = factories.make_substitute(assembly, seat, rank=2)
    first = factories.make_substitute(assembly, seat, rank=1)

    offer = resign(leaving)

    assert offer is not None and offer.user == first
    assert offer.expires_at - timezone.now() > dt.timedelta(days=14, hours=23)
    assert not Membership.objects.open().filter(seat=seat, kind="titulaire").exists()
    assert not has_role(first, Role.TITULAIRE) and has_role(first, Role.REMPLACANT)

    actions.do_accept_seat_offer(first, offer)

    assert open_of(first).kind == MembershipKind.TITULAIRE
    assert has_role(first, Role.TITULAIRE)
    assert open_of(second).substitute_rank == 1
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.became == open_of(first)


def test_an_ineligible_substitute_is_skipped(assembly: Assembly, seat: Seat) -> None:
    leaving = titulaire_of(assembly, seat)
    elected = factories.make_substitute(assembly, seat, rank=1)
    next_one = factories.make_substitute(assembly, seat, rank=2)
    User.objects.filter(pk=elected.pk).update(holds_elected_office=True)

    offer = resign(leaving)

    assert offer is not None and offer.user == next_one
    assert not SeatOffer.objects.filter(user=elected).exists()


def test_a_decline_passes_the_seat_to_the_next_rank(assembly: Assembly, seat: Seat) -> None:
    leaving = titulaire_of(assembly, seat)
    first = factories.make_substitute(assembly, seat, rank=1)
    second = factories.make_substitute(assembly, seat, rank=2)
    offer = resign(leaving)
    assert offer is not None

    following = actions.do_decline_seat_offer(first, offer, note="Pas cette année")

    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED and offer.answer_note == "Pas cette année"
    assert following is not None and following.user == second
    # The one who declined stays a substitute, at their rank; they cannot accept any more.
    assert open_of(first).kind == MembershipKind.REMPLACANT
    assert open_of(first).substitute_rank == 1
    with pytest.raises(ValidationError):
        actions.do_accept_seat_offer(first, offer)


def test_an_unanswered_offer_expires_and_passes_to_the_next_rank(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    first = factories.make_substitute(assembly, seat, rank=1)
    second = factories.make_substitute(assembly, seat, rank=2)
    offer = resign(leaving)
    assert offer is not None

    assert actions.do_expire_seat_offers(timezone.now() + dt.timedelta(days=14)) == []
    made = actions.do_expire_seat_offers(timezone.now() + dt.timedelta(days=16))

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    assert [o.user for o in made] == [second]
    with pytest.raises(ValidationError):
        actions.do_accept_seat_offer(first, offer)


def test_accepting_after_the_deadline_is_refused(assembly: Assembly, seat: Seat) -> None:
    leaving = titulaire_of(assembly, seat)
    first = factories.make_substitute(assembly, seat, rank=1)
    offer = resign(leaving)
    assert offer is not None
    SeatOffer.objects.filter(pk=offer.pk).update(expires_at=timezone.now())
    with pytest.raises(ValidationError):
        actions.do_accept_seat_offer(first, offer)
    assert open_of(first).kind == MembershipKind.REMPLACANT


def test_after_the_last_substitute_the_seat_is_to_be_filled_by_drawing_lots(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    only = factories.make_substitute(assembly, seat, rank=1)
    offer = resign(leaving)
    assert offer is not None

    assert actions.do_decline_seat_offer(only, offer) is None

    row = next(r for r in seats.seats_board(assembly) if r.seat == seat)
    assert row.state == seats.SeatState.TO_DRAW
    with pytest.raises(ValidationError):
        actions.do_offer_seat(None, seat)


def test_a_vacant_seat_with_a_substitute_can_be_offered_by_the_dccu(
    assembly: Assembly, seat: Seat, dccu: User
) -> None:
    leaving = titulaire_of(assembly, seat)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    actions.do_end_membership(
        None, open_of(leaving), reason=EndReason.OTHER, promote_substitute=False
    )
    row = next(r for r in seats.seats_board(assembly) if r.seat == seat)
    assert row.state == seats.SeatState.VACANT

    offer = actions.do_offer_seat(dccu, seat)

    assert offer.user == substitute
    row = next(r for r in seats.seats_board(assembly) if r.seat == seat)
    assert row.state == seats.SeatState.OFFERED and row.offer == offer


def test_a_substitute_leaving_with_a_pending_offer_passes_it_on(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    first = factories.make_substitute(assembly, seat, rank=1)
    second = factories.make_substitute(assembly, seat, rank=2)
    offer = resign(leaving)
    assert offer is not None

    following = resign(first)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert following is not None and following.user == second


def test_no_titulaire_can_be_added_while_the_seat_is_offered(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    factories.make_substitute(assembly, seat, rank=1)
    resign(leaving)
    with pytest.raises(ValidationError):
        titulaire_of(assembly, seat)


# --- Resignation and démission d'office --------------------------------------------------


def test_resigning_needs_the_confirmation(assembly: Assembly, seat: Seat) -> None:
    member = titulaire_of(assembly, seat)
    with pytest.raises(ValidationError):
        actions.do_resign(member, confirmed=False)
    assert open_of(member).kind == MembershipKind.TITULAIRE

    client = client_of(member)
    page = client.get("/mon-siege/demission/")
    assert page.status_code == 200
    assert "Confirmer ma démission" in page.content.decode()
    refused = client.post("/mon-siege/demission/", {"note": "Trop loin"})
    assert refused.status_code == 200
    assert open_of(member).kind == MembershipKind.TITULAIRE

    done = client.post("/mon-siege/demission/", {"note": "Trop loin", "confirm": "on"})

    assert done.status_code == 302 and done["Location"] == "/mon-siege/"
    ended = Membership.objects.get(user=member)
    assert (ended.end_reason, ended.end_note, ended.ended_by) == (
        EndReason.RESIGNATION, "Trop loin", member)
    assert not has_role(member, Role.TITULAIRE)


def test_someone_without_a_seat_has_no_resignation_page(db: Any) -> None:
    assert client_of(factories.UserFactory()).get("/mon-siege/demission/").status_code == 404


def test_the_dccu_records_a_demission_office_with_its_reason(
    assembly: Assembly, seat: Seat, dccu_client: Client
) -> None:
    member = titulaire_of(assembly, seat)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    url = f"/pilotage/sieges/fin/{open_of(member).pk}/"

    missing = dccu_client.post(url, {"reason": EndReason.INELIGIBLE, "note": ""})
    assert missing.status_code == 200
    assert open_of(member).kind == MembershipKind.TITULAIRE

    done = dccu_client.post(
        url, {"reason": EndReason.INELIGIBLE, "note": "Élue conseillère municipale à Muret"}
    )

    assert done.status_code == 302
    ended = Membership.objects.get(user=member)
    assert ended.end_reason == EndReason.INELIGIBLE
    assert ended.end_note == "Élue conseillère municipale à Muret"
    assert SeatOffer.objects.pending().get().user == substitute
    board = dccu_client.get("/pilotage/sieges/").content.decode()
    assert "Élue conseillère municipale à Muret" in board
    assert "démission d'office" in board


def test_the_dccu_must_say_why(assembly: Assembly, seat: Seat, dccu: User) -> None:
    member = titulaire_of(assembly, seat)
    with pytest.raises(ValidationError):
        actions.do_end_membership(dccu, open_of(member), reason=EndReason.RESIGNATION)
    assert open_of(member).kind == MembershipKind.TITULAIRE


# --- Telling the substitute --------------------------------------------------------------


def test_the_substitute_is_told_once_by_email_and_in_the_page(
    assembly: Assembly, seat: Seat, django_capture_on_commit_callbacks: Any
) -> None:
    leaving = titulaire_of(assembly, seat)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        offer = resign(leaving)
    assert offer is not None

    assert [m.to for m in mail.outbox] == [[substitute.email]]
    assert "/mon-siege/" in mail.outbox[0].body
    assert Notification.objects.filter(recipient=substitute, kind="seat_offer").count() == 1
    # Sending again, or the job passing by, tells nobody a second time.
    assert seats.send_offer_email(offer.pk) is False
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_expire_seat_offers()
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(kind="seat_offer").count() == 1
    inbox = client_of(substitute).get("/notifications/").content.decode()
    assert "Mon siège" in inbox


def test_the_offer_is_answered_on_my_seat_page(
    assembly: Assembly, seat: Seat
) -> None:
    leaving = titulaire_of(assembly, seat)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    offer = resign(leaving)
    assert offer is not None
    client = client_of(substitute)
    page = client.get("/mon-siege/").content.decode()
    assert "J'accepte le siège" in page

    response = client.post(f"/mon-siege/offres/{offer.pk}/accepter/")

    assert response.status_code == 302
    assert open_of(substitute).kind == MembershipKind.TITULAIRE
    welcome = client.get("/mon-siege/").content.decode()
    assert "/bibliotheque/parcours/bienvenue/" in welcome
    assert "séance d'accueil" in welcome


@pytest.mark.parametrize(
    "role", ["anonymous", "titulaire", "remplacant", "other_substitute", "facilitateur",
             "agent", "dccu", "dpd", "comite_suivi"]
)
def test_only_the_substitute_may_answer_their_offer(
    assembly: Assembly, seat: Seat, role: str
) -> None:
    leaving = titulaire_of(assembly, seat)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    offer = resign(leaving)
    assert offer is not None
    client = Client()
    if role == "titulaire":
        client.force_login(factories.make_titulaire(assembly))
    elif role == "remplacant":
        client.force_login(substitute)
    elif role == "other_substitute":
        client.force_login(factories.make_substitute(
            assembly, factories.seat(assembly, "Revel")))
    elif role != "anonymous":
        client.force_login(factories.UserFactory(roles=[Role(role)]))
        if role in {"dccu", "dpd"}:
            from accounts.demo import enrol_demo_totp

            enrol_demo_totp(User.objects.get(pk=client.session["_auth_user_id"]))

    for action in ("refuser", "accepter"):
        response = client.post(f"/mon-siege/offres/{offer.pk}/{action}/")
        if role == "anonymous":
            assert response.status_code == 302 and "/comptes/login/" in response["Location"]
        elif role == "remplacant":
            assert response.status_code == 302
        else:
            assert response.status_code == 404
    offer.refresh_from_db()
    assert offer.status == (OfferStatus.DECLINED if role == "remplacant" else "pending")


def test_the_dccu_seats_page_shows_seats_offers_and_history(
    assembly: Assembly, seat: Seat, dccu_client: Client
) -> None:
    leaving = titulaire_of(assembly, seat)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    resign(leaving, note="Raisons familiales")
    page = dccu_client.get("/pilotage/sieges/").content.decode()
    assert "La règle de remplacement" in page
    assert substitute.public_name in page and "Raisons familiales" in page
    assert 'data-state="offered"' in page
    assert 'data-state="to_draw"' in page  # the seats nobody holds nor can take
    dashboard = dccu_client.get("/pilotage/").content.decode()
    assert "/pilotage/sieges/" in dashboard
