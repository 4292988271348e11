"""Calls through the media server (calls/media.py on a real Janus): every new call goes
through Janus when it is configured, the floor changes the rights on Janus itself, leaving
revokes, ending destroys; a Janus that does not answer makes new calls peer to peer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from calls import actions, janus, media
from calls.models import CallMode
from tests.calls.janus_server import Server, free_port, running_janus
from tests.calls.world import CallWorld, make_call_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def janus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_janus(tmp_path_factory.mktemp("janus-calls")) as server:
        yield server


@pytest.fixture
def world(janus_server: Server, settings: Any) -> CallWorld:
    for name, value in janus_server.settings().items():
        setattr(settings, name, value)
    return make_call_world()


def _allowed_tokens(call_id: str) -> set[str]:
    rooms = janus.rooms_for(call_id)
    answer = janus.client(call_id).plugin(
        janus.AUDIOBRIDGE,
        "allowed",
        room=rooms.audiobridge,
        secret=rooms.secret,
        action="enable",
        allowed=[],
    )
    return set(answer.get("allowed", []))


def test_a_plenary_call_goes_through_janus_speakers_and_listeners_apart(world: CallWorld) -> None:
    call, fanny = actions.do_join_call(world.fanny, world.plenary, channel="f")
    assert call.mode == CallMode.JANUS
    speaker = media.media_for(call, world.fanny, fanny.may_speak)
    _call, sam = actions.do_join_call(world.sam, world.plenary, channel="s")
    listener = media.media_for(call, world.sam, sam.may_speak)
    assert speaker["mode"] == listener["mode"] == "janus"
    assert speaker["speak"] and not listener["speak"]
    allowed = _allowed_tokens(str(call.pk))
    assert speaker["token"] in allowed and listener["token"] not in allowed

    # The floor given on Janus itself: the listener's token may now join the mix.
    actions.do_give_floor(world.fanny, call, user_id=world.sam.pk, give=True)
    assert listener["token"] in _allowed_tokens(str(call.pk))
    # Taken back: off the list, and the token no longer opens anything.
    actions.do_give_floor(world.fanny, call, user_id=world.sam.pk, give=False)
    assert listener["token"] not in _allowed_tokens(str(call.pk))
    assert listener["token"] not in janus.client(str(call.pk)).list_tokens()

    # Leaving revokes; the last one out ends the call and its rooms.
    actions.do_leave_call(world.sam, call)
    actions.do_leave_call(world.fanny, call)
    assert not janus.client(str(call.pk)).tokens_of(str(call.pk))
    with pytest.raises(janus.JanusError):
        _allowed_tokens(str(call.pk))


def test_without_an_answering_janus_a_call_is_peer_to_peer(world: CallWorld, settings: Any) -> None:
    settings.CALLS_JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"
    settings.CALLS_JANUS_ADMIN_URL = f"http://127.0.0.1:{free_port()}/admin"
    call, alice = actions.do_join_call(world.alice, world.mobility, channel="a")
    assert call.mode == CallMode.MESH
    assert media.media_for(call, world.alice, alice.may_speak)["mode"] == "mesh"


def test_janus_lost_during_a_large_call_is_told_in_french(world: CallWorld, settings: Any) -> None:
    call, fanny = actions.do_join_call(world.fanny, world.plenary, channel="f")
    assert call.mode == CallMode.JANUS
    settings.CALLS_JANUS_ADMIN_URL = f"http://127.0.0.1:{free_port()}/admin"
    settings.CALLS_MESH_MAX = 0  # too many to go on peer to peer: told, and stays on Janus
    with pytest.raises(ValidationError) as refused:
        media.media_for(call, world.sam, False)
    assert refused.value.error_list[0].code == "media_unavailable"
    call.refresh_from_db()
    assert call.mode == CallMode.JANUS


def test_janus_lost_during_a_small_call_goes_on_peer_to_peer(
    world: CallWorld, settings: Any
) -> None:
    call, fanny = actions.do_join_call(world.fanny, world.plenary, channel="f")
    actions.do_join_call(world.alice, world.plenary, channel="a")
    assert call.mode == CallMode.JANUS
    settings.CALLS_JANUS_ADMIN_URL = f"http://127.0.0.1:{free_port()}/admin"
    # Two people, six at most peer to peer: the call switches, and says so to everyone.
    assert media.media_for(call, world.fanny, fanny.may_speak)["mode"] == "mesh"
    call.refresh_from_db()
    assert call.mode == CallMode.MESH
    assert actions.call_state(world.plenary, call).mode == CallMode.MESH
