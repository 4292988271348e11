"""Call operations (calls/actions.py): who may join, speak, run and end a call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from calls import actions
from calls.models import Call, CallParticipation
from calls.sdp import sends_media
from gdpr.models import AuditEntry
from tests.calls.world import CallWorld, make_call_world

pytestmark = pytest.mark.django_db

SENDING_OFFER = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n"
LISTENING_OFFER = (
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\nm=application 9 DTLS/SCTP 5000\r\n"
)


@pytest.fixture
def world() -> CallWorld:
    return make_call_world()


def test_first_to_join_starts_the_call_and_writers_may_speak(world: CallWorld) -> None:
    call, mine = actions.do_join_call(world.alice, world.mobility, channel="a")
    assert call.started_by == world.alice and call.is_live and call.mode == "mesh"
    assert mine.may_speak
    again, bob = actions.do_join_call(world.bob, world.mobility, channel="b")
    assert again.pk == call.pk
    state = actions.call_state(world.mobility, call)
    assert [p["name"] for p in state.participants] == ["Alice", "Bob"]
    assert AuditEntry.objects.filter(action="calls.call.start").count() == 1


def test_outsider_joining_gets_the_answer_of_a_missing_room(world: CallWorld) -> None:
    with pytest.raises(Http404):
        actions.do_join_call(world.carol, world.mobility, channel="c")
    assert not Call.objects.exists()


def test_substitute_listens_in_the_plenary_until_given_the_floor(world: CallWorld) -> None:
    call, sam = actions.do_join_call(world.sam, world.plenary, channel="s")
    assert not sam.may_speak
    assert call.get_abilities(world.sam) == {
        "join": True,
        "speak": False,
        "moderate": False,
        "share_screen": False,
        "attendance": False,
    }
    actions.do_join_call(world.fanny, world.plenary, channel="f")
    actions.do_raise_hand(world.sam, call, raised=True)
    assert actions.call_state(world.plenary, call).hands == [str(world.sam.pk)]
    actions.do_give_floor(world.fanny, call, user_id=world.sam.pk, give=True)
    sam.refresh_from_db()
    assert sam.may_speak and sam.hand_raised_at is None
    assert call.get_abilities(world.sam)["speak"]
    actions.do_give_floor(world.fanny, call, user_id=world.sam.pk, give=False)
    assert not call.get_abilities(world.sam)["speak"]


def test_taking_the_floor_back_from_a_writer_leaves_them_speaking(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.plenary, channel="a")
    actions.do_join_call(world.fanny, world.plenary, channel="f")
    alice = actions.do_give_floor(world.fanny, call, user_id=world.alice.pk, give=False)
    assert alice.may_speak


@pytest.mark.parametrize("who", ["alice", "sam", "agnes"])
def test_only_moderators_give_the_floor_mute_and_end(world: CallWorld, who: str) -> None:
    call, _ = actions.do_join_call(world.sam, world.plenary, channel="s")
    person = getattr(world, who)
    actions.do_join_call(person, world.plenary, channel="p")
    with pytest.raises(PermissionDenied):
        actions.do_give_floor(person, call, user_id=world.sam.pk, give=True)
    with pytest.raises(PermissionDenied):
        actions.do_mute(person, call, user_id=world.sam.pk)
    with pytest.raises(PermissionDenied):
        actions.do_lower_hands(person, call)
    with pytest.raises(PermissionDenied):
        actions.do_end_call(person, call)
    call.refresh_from_db()
    assert call.is_live


def test_facilitator_ends_the_call_for_everyone(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    actions.do_join_call(world.bob, world.mobility, channel="b")
    actions.do_end_call(world.fanny, call)
    call.refresh_from_db()
    assert call.ended_at is not None
    assert not CallParticipation.objects.filter(left_at__isnull=True).exists()
    with pytest.raises(ValidationError) as error:
        actions.do_raise_hand(world.alice, call, raised=True)
    assert error.value.code == "call_ended"
    # The next arrival starts a new call: the attendance of the first one is kept.
    again, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    assert again.pk != call.pk
    assert CallParticipation.objects.filter(call=call).count() == 2


def test_last_one_out_ends_the_call(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    actions.do_join_call(world.bob, world.mobility, channel="b")
    assert actions.do_leave_call(world.alice, call)
    call.refresh_from_db()
    assert call.is_live
    assert not actions.do_leave_call(world.bob, call, channel="another tab")
    assert actions.do_leave_call(world.bob, call, channel="b")
    call.refresh_from_db()
    assert not call.is_live


def test_joining_from_another_tab_moves_the_person(world: CallWorld) -> None:
    call, first = actions.do_join_call(world.alice, world.mobility, channel="tab1")
    _, second = actions.do_join_call(world.alice, world.mobility, channel="tab2")
    assert first.pk == second.pk and second.channel == "tab2"
    # The first tab closing no longer takes her out.
    assert not actions.do_leave_call(world.alice, call, channel="tab1")
    assert CallParticipation.objects.get(pk=first.pk).left_at is None


def test_mesh_call_refuses_one_more_than_its_size(world: CallWorld, settings: Any) -> None:
    settings.CALLS_MESH_MAX = 2
    actions.do_join_call(world.alice, world.plenary, channel="a")
    actions.do_join_call(world.bob, world.plenary, channel="b")
    with pytest.raises(ValidationError) as error:
        actions.do_join_call(world.carol, world.plenary, channel="c")
    assert error.value.code == "call_too_large"
    assert "2" in error.value.messages[0]


def test_silent_socket_is_taken_out_of_the_call(world: CallWorld, settings: Any) -> None:
    settings.CALLS_HEARTBEAT_TIMEOUT = 15
    call, alice = actions.do_join_call(world.alice, world.mobility, channel="a")
    actions.do_join_call(world.bob, world.mobility, channel="b")
    CallParticipation.objects.filter(pk=alice.pk).update(
        seen_at=timezone.now() - timedelta(seconds=16)
    )
    actions.do_heartbeat(world.bob, call, channel="b")
    state = actions.call_state(world.mobility, call)
    assert [p["id"] for p in state.participants] == [str(world.bob.pk)]
    with pytest.raises(ValidationError):
        actions.do_heartbeat(world.alice, call, channel="a")


def test_listener_may_not_send_a_description_that_publishes(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.sam, world.plenary, channel="s")
    actions.do_join_call(world.alice, world.plenary, channel="a")
    with pytest.raises(ValidationError) as error:
        actions.signal_target(
            world.sam,
            call,
            to=str(world.alice.pk),
            channel="s",
            sdp={"type": "offer", "sdp": SENDING_OFFER},
            candidate=None,
        )
    assert error.value.code == "may_not_speak"
    channel, event = actions.signal_target(
        world.sam,
        call,
        to=str(world.alice.pk),
        channel="s",
        sdp={"type": "offer", "sdp": LISTENING_OFFER},
        candidate=None,
    )
    assert channel == "a" and event.sender == str(world.sam.pk)
    # A speaker publishes.
    channel, _ = actions.signal_target(
        world.alice,
        call,
        to=str(world.sam.pk),
        channel="a",
        sdp={"type": "answer", "sdp": SENDING_OFFER},
        candidate=None,
    )
    assert channel == "s"


def test_signal_goes_only_to_someone_in_the_same_call(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    actions.do_join_call(world.carol, world.health, channel="c")
    with pytest.raises(ValidationError) as error:
        actions.signal_target(
            world.alice,
            call,
            to=str(world.carol.pk),
            channel="a",
            sdp=None,
            candidate={"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host"},
        )
    assert error.value.code == "not_in_call"


@pytest.mark.parametrize(
    ("sdp", "sends"),
    [
        (SENDING_OFFER, True),
        (LISTENING_OFFER, False),
        ("v=0\r\nm=audio 9 RTP 0\r\n", True),  # no direction: sendrecv
        ("v=0\r\na=recvonly\r\nm=audio 9 RTP 0\r\n", False),  # the session's direction
        ("v=0\r\nm=audio 0 RTP 0\r\na=sendrecv\r\n", False),  # rejected section
        ("v=0\r\nm=audio 9 RTP 0\r\na=recvonly\r\nm=video 9 RTP 96\r\na=sendonly\r\n", True),
        ("v=0\r\nm=application 9 DTLS/SCTP 5000\r\n", False),
    ],
)
def test_sdp_direction_is_read_per_section(sdp: str, sends: bool) -> None:
    assert sends_media(sdp) is sends


def test_access_call_hides_calls_of_unreadable_rooms(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    assert actions.access_call(world.bob, call.pk) == call
    for bad in (world.carol, world.sam):
        with pytest.raises(Http404):
            actions.access_call(bad, call.pk)
    with pytest.raises(Http404):
        actions.access_call(world.bob, "not-a-uuid")


def test_live_calls_counts_people_per_room(world: CallWorld) -> None:
    actions.do_join_call(world.alice, world.mobility, channel="a")
    actions.do_join_call(world.bob, world.mobility, channel="b")
    counts = actions.live_call_counts([world.mobility, world.plenary])
    assert counts == {str(world.mobility.pk): 2}
