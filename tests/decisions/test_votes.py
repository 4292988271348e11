"""Votes of the plenary: who votes, once; refusals in French; closing, counting, recount;
secrecy; a proposal's status following its vote; minority views."""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client

from decisions import counting
from decisions.actions import (
    do_cast_ballot,
    do_close_vote,
    do_create_vote,
    do_open_vote,
    do_record_show_of_hands,
    do_write_minority_view,
    recount,
)
from decisions.models import Participation, SecretBallot, Vote, VoteStatus
from deliberation.models import ProposalStatus
from notifications.models import Notification
from tests.decisions.world import Plenary, make_plenary


@pytest.fixture
def plenary(db: Any) -> Plenary:
    return make_plenary()


def option(vote: Vote, code: str) -> str:
    return str(vote.options.get(code=code).pk)


def open_majority(p: Plenary, *, secret: bool = True, **kwargs: Any) -> Vote:
    vote = do_create_vote(
        p.facilitator,
        p.mandate,
        "Adoptez-vous la proposition ?",
        "majorite",
        secret=secret,
        **kwargs,
    )
    return do_open_vote(p.facilitator, vote)


def test_full_members_only_may_vote_and_are_told(
    plenary: Plenary, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        vote = open_majority(plenary)
    voters = set(vote.voters.values_list("user_id", flat=True))
    assert voters == {m.pk for m in plenary.members}
    assert vote.eligible_count == 5
    assert plenary.substitute.pk not in voters and plenary.facilitator.pk not in voters
    told = Notification.objects.filter(kind="vote_opened", vote=vote)
    assert set(told.values_list("recipient_id", flat=True)) == voters


def test_present_only_takes_those_in_the_plenarys_live_call(plenary: Plenary) -> None:
    from calls.actions import do_join_call
    from decisions.actions import plenary_room

    room = plenary_room(plenary.mandate)
    do_join_call(plenary.members[0], room, channel="a")
    do_join_call(plenary.members[3], room, channel="b")
    do_join_call(plenary.substitute, room, channel="c")
    vote = open_majority(plenary, present_only=True)
    assert set(vote.voters.values_list("user_id", flat=True)) == {
        plenary.members[0].pk,
        plenary.members[3].pk,
    }


def test_present_only_without_a_call_cannot_open(plenary: Plenary) -> None:
    vote = do_create_vote(
        plenary.facilitator, plenary.mandate, "Q ?", "majorite", present_only=True
    )
    with pytest.raises(ValidationError, match="appel"):
        do_open_vote(plenary.facilitator, vote)


def test_members_cannot_prepare_open_or_close(plenary: Plenary) -> None:
    with pytest.raises(PermissionDenied):
        do_create_vote(plenary.members[0], plenary.mandate, "Q ?", "majorite")
    vote = do_create_vote(plenary.dccu, plenary.mandate, "Q ?", "majorite")
    with pytest.raises(PermissionDenied):
        do_open_vote(plenary.members[0], vote)
    do_open_vote(plenary.dccu, vote)
    with pytest.raises(PermissionDenied):
        do_close_vote(plenary.members[0], vote)


def test_a_double_submission_counts_once(plenary: Plenary) -> None:
    vote = open_majority(plenary)
    member = plenary.members[0]
    assert do_cast_ballot(member, vote, {"choice": option(vote, "pour")}) == 1
    with pytest.raises(ValidationError) as refused:
        do_cast_ballot(member, vote, {"choice": option(vote, "contre")})
    assert refused.value.error_list[0].code == "already_voted"
    assert "déjà enregistré" in refused.value.messages[0]
    assert Participation.objects.filter(vote=vote).count() == 1
    assert SecretBallot.objects.filter(vote=vote).count() == 1


def test_the_database_refuses_a_second_participation(plenary: Plenary) -> None:
    vote = open_majority(plenary)
    Participation.objects.create(vote=vote, user=plenary.members[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(vote=vote, user=plenary.members[0])


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_of_one_person_count_once() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL (REDIS/DATABASE_URL)")
    p = make_plenary()
    vote = open_majority(p)
    member, choice = p.members[0], {"choice": option(vote, "pour")}
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def cast() -> None:
        try:
            barrier.wait()
            do_cast_ballot(member, vote, choice)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.error_list[0].code or "")
        finally:
            connection.close()

    threads = [threading.Thread(target=cast) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_voted", "ok"]
    assert Participation.objects.filter(vote=vote).count() == 1
    assert SecretBallot.objects.filter(vote=vote).count() == 1


def test_ineligible_late_and_tampered_ballots_are_refused_in_french(plenary: Plenary) -> None:
    vote = open_majority(plenary)
    with pytest.raises(PermissionDenied, match="liste des votants"):
        do_cast_ballot(plenary.substitute, vote, {"choice": option(vote, "pour")})
    with pytest.raises(PermissionDenied, match="liste des votants"):
        do_cast_ballot(plenary.facilitator, vote, {"choice": option(vote, "pour")})
    other = open_majority(plenary)
    for tampered in (
        {"choice": option(other, "pour")},
        {"choice": str(uuid.uuid4())},
        {"choice": ["x"]},
        {"approved": "x"},
    ):
        with pytest.raises(ValidationError) as refused:
            do_cast_ballot(plenary.members[1], vote, tampered)
        assert refused.value.messages[0] in (
            "Ce choix ne fait pas partie des options de ce vote. Rechargez la page et votez "
            "à nouveau.",
            "Choisissez une réponse.",
        )
    do_close_vote(plenary.facilitator, vote)
    with pytest.raises(ValidationError, match="clos"):
        do_cast_ballot(plenary.members[2], vote, {"choice": option(vote, "pour")})
    assert Participation.objects.filter(vote=vote).count() == 0


def test_majority_judgment_ballot_must_grade_every_option_with_a_real_grade(
    plenary: Plenary,
) -> None:
    vote = do_open_vote(
        plenary.facilitator,
        do_create_vote(
            plenary.facilitator,
            plenary.mandate,
            "Quelle version ?",
            "jugement",
            options=["Version A", "Version B"],
        ),
    )
    a, b = (str(pk) for pk in vote.options.values_list("pk", flat=True))
    with pytest.raises(ValidationError, match="chaque option"):
        do_cast_ballot(plenary.members[0], vote, {"grades": {a: "bien"}})
    with pytest.raises(ValidationError, match="mention"):
        do_cast_ballot(plenary.members[0], vote, {"grades": {a: "bien", b: "genial"}})
    with pytest.raises(ValidationError, match="options de ce vote"):
        do_cast_ballot(
            plenary.members[0], vote, {"grades": {a: "bien", b: "bien", str(uuid.uuid4()): "bien"}}
        )
    assert do_cast_ballot(plenary.members[0], vote, {"grades": {a: "bien", b: "passable"}}) == 1


def test_results_only_after_closing(plenary: Plenary) -> None:
    vote = open_majority(plenary)
    do_cast_ballot(plenary.members[0], vote, {"choice": option(vote, "contre")})
    client = Client()
    client.force_login(plenary.members[1])
    page = client.get(f"/decisions/votes/{vote.pk}/resultats/").content.decode()
    assert "1 sur 5 votant·es ont voté" in page or "1 sur 5" in page
    assert "Contre" not in page and "Résultat" not in page.split("<main")[1]
    do_close_vote(plenary.facilitator, vote)
    page = client.get(f"/decisions/votes/{vote.pk}/resultats/").content.decode()
    assert "Contre" in page and "1 (100,0 %)" in page


def test_the_recount_command_equals_the_stored_result(plenary: Plenary) -> None:
    vote = do_open_vote(
        plenary.facilitator,
        do_create_vote(
            plenary.facilitator,
            plenary.mandate,
            "Quelle version ?",
            "jugement",
            options=["Version A", "Version B"],
        ),
    )
    a, b = (str(pk) for pk in vote.options.order_by("position").values_list("pk", flat=True))
    for member, (ga, gb) in zip(
        plenary.members,
        [
            ("bien", "passable"),
            ("tres_bien", "bien"),
            ("passable", "a_rejeter"),
            ("bien", "bien"),
            ("insuffisant", "assez_bien"),
        ],
        strict=True,
    ):
        do_cast_ballot(member, vote, {"grades": {a: ga, b: gb}})
    vote = do_close_vote(plenary.facilitator, vote)
    assert vote.result["winners"] == [a]  # A: Bien; B: [R, P, AB, B, B] → Assez bien
    out = io.StringIO()
    call_command("recount_vote", str(vote.pk), stdout=out)
    assert "equals the stored result" in out.getvalue()
    assert "Version A: majority grade bien, rank 1" in out.getvalue()
    assert recount(Vote.objects.get(pk=vote.pk)) == vote.result


def test_secret_ballots_cannot_be_joined_to_their_voters(plenary: Plenary) -> None:
    """Nothing in common but the vote: no key, no time, no order of arrival."""
    with connection.cursor() as cursor:
        ballot_columns = {
            c.name
            for c in connection.introspection.get_table_description(
                cursor, SecretBallot._meta.db_table
            )
        }
        participation_columns = {
            c.name
            for c in connection.introspection.get_table_description(
                cursor, Participation._meta.db_table
            )
        }
        relations = connection.introspection.get_relations(cursor, SecretBallot._meta.db_table)
    assert ballot_columns == {"id", "vote_id", "content"}
    assert ballot_columns & participation_columns == {"id", "vote_id", "content"}
    assert {target for _column, (_field, target) in relations.items()} == {"decisions_vote"}
    assert SecretBallot._meta.pk.get_internal_type() == "UUIDField"  # not an ordered counter
    assert Participation._meta.pk.get_internal_type() == "BigAutoField"
    assert not any(
        f.get_internal_type() in ("DateTimeField", "DateField")
        for f in (*SecretBallot._meta.fields, *Participation._meta.fields)
    )

    vote = do_open_vote(
        plenary.facilitator,
        do_create_vote(
            plenary.facilitator,
            plenary.mandate,
            "Quelle version ?",
            "jugement",
            options=["A", "B", "C"],
        ),
    )
    ids = [str(pk) for pk in vote.options.order_by("position").values_list("pk", flat=True)]
    grades = counting.GRADE_CODES
    cast = []
    for index, member in enumerate(plenary.members):  # five different ballots, in order
        ballot = {
            "grades": {
                ids[0]: grades[index],
                ids[1]: grades[(index + 2) % 6],
                ids[2]: grades[(index + 4) % 6],
            }
        }
        do_cast_ballot(member, vote, ballot)
        cast.append(ballot)
    assert (
        list(Participation.objects.filter(vote=vote).values_list("content", flat=True))
        == [None] * 5
    )
    orders = set()
    for _attempt in range(6):  # a shuffle may keep the order by chance (1 in 120)
        Vote.objects.filter(pk=vote.pk).update(status=VoteStatus.OPEN)
        do_close_vote(plenary.facilitator, vote)
        with connection.cursor() as cursor:  # the rows in the order the database keeps them
            table = SecretBallot._meta.db_table
            cursor.execute(
                f"SELECT content FROM {table} WHERE vote_id = %s",  # noqa: S608 - our table
                [vote.pk.hex if connection.vendor == "sqlite" else vote.pk],
            )
            stored = [row[0] for row in cursor.fetchall()]
        orders.add(tuple(stored))
        if len(orders) > 1 or stored != [c for c in map(_as_stored, cast)]:
            break
    assert len(orders) > 1 or next(iter(orders)) != tuple(map(_as_stored, cast))
    assert sorted(map(_as_loaded, stored)) == sorted(map(_as_loaded, map(_as_stored, cast)))


def _as_stored(ballot: dict[str, Any]) -> Any:
    import json

    return json.dumps(ballot)


def _as_loaded(value: Any) -> str:
    import json

    return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True)


def test_public_ballots_show_who_voted_what(plenary: Plenary) -> None:
    vote = open_majority(plenary, secret=False)
    do_cast_ballot(plenary.members[0], vote, {"choice": option(vote, "pour")})
    row = Participation.objects.get(vote=vote, user=plenary.members[0])
    assert row.content == {"choice": option(vote, "pour")}
    assert not SecretBallot.objects.filter(vote=vote).exists()


def test_the_proposal_follows_its_vote(plenary: Plenary) -> None:
    proposal = plenary.proposal
    vote = open_majority(plenary, proposal=proposal)
    for member, code in zip(
        plenary.members, ["pour", "pour", "pour", "contre", "abstention"], strict=True
    ):
        do_cast_ballot(member, vote, {"choice": option(vote, code)})
    do_close_vote(plenary.facilitator, vote)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ADOPTED
    step = proposal.transitions.latest("created_at")
    assert step.by == plenary.facilitator
    assert "Adoptée par un vote de la plénière (5 bulletins sur 5 votant·es)" in step.note


def test_without_quorum_the_proposal_is_not_retained(plenary: Plenary) -> None:
    proposal = plenary.proposal
    vote = open_majority(plenary, proposal=proposal)
    do_cast_ballot(plenary.members[0], vote, {"choice": option(vote, "pour")})
    do_close_vote(plenary.dccu, vote)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.NOT_RETAINED
    assert "quorum non atteint" in proposal.transitions.latest("created_at").note


def test_a_show_of_hands_is_recorded_as_such(plenary: Plenary) -> None:
    with pytest.raises(PermissionDenied):
        do_record_show_of_hands(
            plenary.members[0], plenary.proposal, True, pour=3, contre=None, abstention=None
        )
    do_record_show_of_hands(
        plenary.facilitator, plenary.proposal, True, pour=40, contre=12, abstention=3
    )
    plenary.proposal.refresh_from_db()
    assert plenary.proposal.status == ProposalStatus.ADOPTED
    note = plenary.proposal.transitions.latest("created_at").note
    assert note.startswith("Décision prise à main levée") and "pour : 40" in note


def test_minority_views_of_those_who_voted_against(plenary: Plenary) -> None:
    vote = open_majority(plenary, secret=False, proposal=plenary.proposal)
    for member, code in zip(
        plenary.members, ["pour", "pour", "pour", "contre", "abstention"], strict=True
    ):
        do_cast_ballot(member, vote, {"choice": option(vote, code)})
    with pytest.raises(PermissionDenied):  # not before closing
        do_write_minority_view(plenary.members[3], vote, "Trop cher.")
    do_close_vote(plenary.facilitator, vote)
    view = do_write_minority_view(plenary.members[3], vote, "Le coût n'est pas chiffré.")
    assert view.author == plenary.members[3]
    with pytest.raises(PermissionDenied, match="contre"):
        do_write_minority_view(plenary.members[0], vote, "Je voulais plus.")
    with pytest.raises(ValidationError):
        do_write_minority_view(plenary.members[3], vote, "x" * 1501)


def test_in_a_secret_vote_any_voter_may_write_a_minority_view(plenary: Plenary) -> None:
    vote = open_majority(plenary)
    do_cast_ballot(plenary.members[0], vote, {"choice": option(vote, "pour")})
    do_close_vote(plenary.facilitator, vote)
    assert do_write_minority_view(plenary.members[0], vote, "Réserve sur le calendrier.")
    with pytest.raises(PermissionDenied):
        do_write_minority_view(plenary.members[1], vote, "Je n'ai pas voté.")
