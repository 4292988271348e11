"""Breakout rooms (calls/actions.py « Breakouts »): who goes where, who may, coming back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from calls import actions
from calls.models import Call, CallParticipation
from gdpr.models import AuditEntry
from tests.calls.world import CallWorld, make_call_world

pytestmark = pytest.mark.django_db

EVERYONE = ("fanny", "alice", "bob", "carol", "sam", "agnes")


@pytest.fixture
def world() -> CallWorld:
    return make_call_world()


def plenary_call(world: CallWorld, names: tuple[str, ...] = EVERYONE) -> Call:
    call = None
    for name in names:
        call, _mine = actions.do_join_call(getattr(world, name), world.plenary, channel=name)
    assert call is not None
    return call


def ids(world: CallWorld, *names: str) -> list[str]:
    return [str(getattr(world, name).pk) for name in names]


def test_subgroups_send_each_member_to_their_subgroup_and_the_others_stay(
    world: CallWorld,
) -> None:
    call = plenary_call(world)
    before = timezone.now()
    children = actions.do_start_breakouts(world.fanny, call, groups="subgroups", minutes=10)
    assert {child.room_id for child in children} == {world.mobility.pk, world.health.pk}
    for child in children:
        assert child.parent_id == call.pk and child.label == "" and child.is_live
        assert child.ends_at is not None
        assert timedelta(minutes=10) <= child.ends_at - before < timedelta(minutes=10, seconds=5)
    # Breakouts are only created: people move when their page joins the breakout call.
    mobility = next(c for c in children if c.room_id == world.mobility.pk)
    assert CallParticipation.objects.get(user=world.alice, left_at__isnull=True).call == call
    actions.do_join_call(world.alice, world.mobility, channel="alice")
    # One person, one call: joining the breakout left the plenary.
    assert CallParticipation.objects.get(user=world.alice, left_at__isnull=True).call == mobility
    # Sam (a substitute, no subgroup) and Agnès (an agent) were sent nowhere.
    assert AuditEntry.objects.filter(action="calls.breakouts.start").count() == 1


def test_subgroup_room_with_a_call_going_on_turns_it_into_the_breakout(
    world: CallWorld,
) -> None:
    going_on, _ = actions.do_join_call(world.bob, world.mobility, channel="bob-2")
    call = plenary_call(world, ("fanny", "alice"))
    children = actions.do_start_breakouts(world.fanny, call, groups="subgroups", minutes=5)
    assert [child.pk for child in children] == [going_on.pk]
    going_on.refresh_from_db()
    assert going_on.parent_id == call.pk and going_on.ends_at is not None


def test_ad_hoc_groups_are_labelled_calls_in_the_plenary_room(world: CallWorld) -> None:
    call = plenary_call(world)
    groups = [ids(world, "alice", "sam"), ids(world, "bob", "carol", "agnes")]
    children = actions.do_start_breakouts(world.fanny, call, groups=groups, minutes=3)
    assert [(c.room_id, c.label) for c in children] == [
        (world.plenary.pk, "Groupe 1"),
        (world.plenary.pk, "Groupe 2"),
    ]
    # The room's own call is still the plenary; each group is joined by its id.
    assert actions.live_call(world.plenary) == call
    joined, mine = actions.do_join_call(
        world.sam, world.plenary, channel="sam", call_id=children[0].pk
    )
    assert joined == children[0] and not mine.may_speak  # a substitute still listens
    assert not CallParticipation.objects.filter(
        call=call, user=world.sam, left_at__isnull=True
    ).exists()
    # Back in the plenary: the group is left, and ends when its last person is out.
    actions.do_join_call(world.sam, world.plenary, channel="sam")
    assert CallParticipation.objects.get(user=world.sam, left_at__isnull=True).call == call
    children[0].refresh_from_db()
    assert children[0].is_live is False


def test_plenary_that_empties_waits_for_its_breakouts(world: CallWorld) -> None:
    call = plenary_call(world, ("fanny", "alice"))
    actions.do_start_breakouts(world.fanny, call, groups=[ids(world, "alice")], minutes=5)
    actions.do_leave_call(world.alice, call)
    actions.do_leave_call(world.fanny, call)
    call.refresh_from_db()
    assert call.is_live  # people come back to it


@pytest.mark.parametrize("who", ["alice", "sam", "agnes"])
def test_only_the_plenary_facilitators_run_breakouts(world: CallWorld, who: str) -> None:
    call = plenary_call(world)
    person = getattr(world, who)
    with pytest.raises(PermissionDenied):
        actions.do_start_breakouts(person, call, groups="subgroups", minutes=5)
    with pytest.raises(PermissionDenied):
        actions.do_broadcast(person, call, "Bonjour")
    with pytest.raises(PermissionDenied):
        actions.do_recall(person, call)
    assert not Call.objects.filter(parent=call).exists()


def test_outsider_of_the_room_gets_the_answer_of_a_missing_call(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="alice")
    with pytest.raises(Http404):
        actions.do_start_breakouts(world.carol, call, groups="subgroups", minutes=5)


@pytest.mark.parametrize(
    ("groups", "minutes", "code"),
    [
        ("subgroups", 0, "invalid_minutes"),
        ("subgroups", 121, "invalid_minutes"),
        ("subgroups", "5", "invalid_minutes"),
        ("subgroups", True, "invalid_minutes"),
        ([], 5, "invalid_groups"),
        ([[]], 5, "invalid_groups"),
        ("everyone", 5, "invalid_groups"),
        ([["00000000-0000-0000-0000-000000000000"]], 5, "not_in_call"),
    ],
)
def test_bad_breakouts_are_refused_with_a_code(
    world: CallWorld, groups: Any, minutes: Any, code: str
) -> None:
    call = plenary_call(world)
    with pytest.raises(ValidationError) as refused:
        actions.do_start_breakouts(world.fanny, call, groups=groups, minutes=minutes)
    assert refused.value.code == code
    assert not Call.objects.filter(parent=call).exists()


def test_one_person_in_two_groups_is_refused(world: CallWorld) -> None:
    call = plenary_call(world)
    groups = [ids(world, "alice"), ids(world, "alice", "bob")]
    with pytest.raises(ValidationError) as refused:
        actions.do_start_breakouts(world.fanny, call, groups=groups, minutes=5)
    assert refused.value.code == "duplicate_person"


def test_nobody_to_send_and_breakouts_twice_and_nested_are_refused(world: CallWorld) -> None:
    lonely = plenary_call(world, ("fanny", "sam"))
    with pytest.raises(ValidationError) as refused:
        actions.do_start_breakouts(world.fanny, lonely, groups="subgroups", minutes=5)
    assert refused.value.code == "nobody_to_send"
    actions.do_join_call(world.alice, world.plenary, channel="alice")
    children = actions.do_start_breakouts(world.fanny, lonely, groups="subgroups", minutes=5)
    with pytest.raises(ValidationError) as refused:
        actions.do_start_breakouts(world.fanny, lonely, groups="subgroups", minutes=5)
    assert refused.value.code == "breakouts_running"
    actions.do_join_call(world.fanny, world.mobility, channel="fanny-2")
    with pytest.raises(ValidationError) as refused:
        actions.do_start_breakouts(world.fanny, children[0], groups="subgroups", minutes=5)
    assert refused.value.code == "nested"


def test_broadcast_is_cleaned_limited_and_audited_without_its_text(world: CallWorld) -> None:
    call = plenary_call(world)
    text = actions.do_broadcast(world.fanny, call, "  <b>Plus que\x00 2 minutes</b>\n  merci ")
    assert text == "<b>Plus que 2 minutes</b>\nmerci"  # shown as text by the page
    entry = AuditEntry.objects.get(action="calls.breakouts.broadcast")
    assert "minutes" not in str(entry.__dict__)
    for bad, code in (("   ", "invalid"), ("x" * 501, "too_large"), (None, "invalid")):
        with pytest.raises(ValidationError) as refused:
            actions.do_broadcast(world.fanny, call, bad)
        assert refused.value.code == code


def test_recall_ends_the_breakouts_and_people_join_the_plenary_again(
    world: CallWorld,
) -> None:
    call = plenary_call(world)
    children = actions.do_start_breakouts(world.fanny, call, groups="subgroups", minutes=10)
    for name, room in (("alice", world.mobility), ("bob", world.mobility)):
        actions.do_leave_call(getattr(world, name), call)
        actions.do_join_call(getattr(world, name), room, channel=name)
    assert actions.do_recall(world.fanny, call) == 2
    for child in children:
        child.refresh_from_db()
        assert not child.is_live
        assert not child.participations.filter(left_at__isnull=True).exists()
    back, _ = actions.do_join_call(world.alice, world.plenary, channel="alice")
    assert back == call
    with pytest.raises(ValidationError) as refused:
        actions.do_recall(world.fanny, call)
    assert refused.value.code == "no_breakouts"
    assert AuditEntry.objects.filter(action="calls.breakouts.recall").count() == 1


def test_countdown_end_brings_everyone_back_at_the_next_heartbeat(world: CallWorld) -> None:
    call = plenary_call(world, ("fanny", "alice", "bob"))
    children = actions.do_start_breakouts(
        world.fanny, call, groups=[ids(world, "alice", "bob")], minutes=1
    )
    actions.do_join_call(world.alice, world.plenary, channel="alice", call_id=children[0].pk)
    actions.do_heartbeat(world.alice, children[0], channel="alice")
    children[0].refresh_from_db()
    assert children[0].is_live  # not yet
    Call.objects.filter(pk=children[0].pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    actions.do_heartbeat(world.alice, children[0], channel="alice")
    children[0].refresh_from_db()
    assert not children[0].is_live
    assert actions.breakout_info(call) is None


def test_ending_the_plenary_ends_its_breakouts(world: CallWorld) -> None:
    call = plenary_call(world)
    children = actions.do_start_breakouts(world.fanny, call, groups="subgroups", minutes=10)
    actions.do_end_call(world.fanny, call)
    assert not Call.objects.filter(pk__in=[c.pk for c in children], ended_at__isnull=True).exists()
