"""The embedded default's channel layer and the bus's publishing from database threads
(issue 18): every member gets each event, in order, and a full channel loses only its own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer

from realtime import bus
from realtime.layers import LocalChannelLayer


async def test_a_group_send_reaches_every_member_once_and_spares_the_others() -> None:
    layer = LocalChannelLayer()
    members = [await layer.new_channel() for _ in range(110)]
    outsider = await layer.new_channel()
    for channel in members:
        await layer.group_add("room.plenary", channel)
    await layer.group_add("room.other", outsider)
    await layer.group_send("room.plenary", {"type": "event.relay", "event": {"n": 1}})
    for channel in members:
        assert await asyncio.wait_for(layer.receive(channel), 1) == {
            "type": "event.relay", "event": {"n": 1}
        }
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(outsider), 0.1)


async def test_the_publishers_dict_may_change_after_sending() -> None:
    layer = LocalChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    message: dict[str, Any] = {"type": "event.relay", "event": {"text": "avant"}}
    await layer.group_send("g", message)
    message["event"]["text"] = "après"
    assert (await layer.receive(channel))["event"]["text"] == "avant"


async def test_a_full_channel_loses_the_message_and_the_others_still_get_it() -> None:
    layer = LocalChannelLayer(capacity=2)
    slow, fast = await layer.new_channel(), await layer.new_channel()
    for channel in (slow, fast):
        await layer.group_add("g", channel)
    for n in range(3):
        await layer.group_send("g", {"type": "event.relay", "n": n})
        if n < 2:
            assert (await layer.receive(fast))["n"] == n
    assert (await layer.receive(fast))["n"] == 2
    assert [(await layer.receive(slow))["n"] for _ in range(2)] == [0, 1]  # the third lost


async def test_a_member_that_left_the_group_hears_nothing_more() -> None:
    layer = LocalChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.group_discard("g", channel)
    await layer.group_send("g", {"type": "event.relay"})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(channel), 0.1)


async def test_events_published_from_the_database_thread_arrive_all_and_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database thread hands them to the loop without waiting; order is kept."""
    for layer in (LocalChannelLayer(), InMemoryChannelLayer()):
        monkeypatch.setattr(bus, "get_channel_layer", lambda layer=layer: layer)
        channel = await layer.new_channel()
        await layer.group_add("room.r", channel)

        def publish() -> bool:
            for n in range(90):  # under the channels' capacity (100)
                bus._send("room.r", {"type": "event.relay", "n": n})
            return bus._serving_loop() is not None

        # A thread of the server's executor, as database_sync_to_async's (not the shared
        # one: a socket test before may still hold it).
        assert await sync_to_async(publish, thread_sensitive=False)()
        received = [(await asyncio.wait_for(layer.receive(channel), 10))["n"] for _ in range(90)]
        assert received == list(range(90))


def test_outside_a_server_thread_publishing_waits_for_the_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker and management commands have no server loop: sent before returning."""
    layer = LocalChannelLayer()
    monkeypatch.setattr(bus, "get_channel_layer", lambda: layer)

    async def join() -> str:
        channel = await layer.new_channel()
        await layer.group_add("g", channel)
        return channel

    from asgiref.sync import async_to_sync

    channel = async_to_sync(join)()
    assert bus._serving_loop() is None
    bus._send("g", {"type": "event.relay", "n": 7})
    assert layer.channels[channel].qsize() == 1
