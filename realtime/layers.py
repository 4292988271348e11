"""The embedded default's channel layer: Channels' in-memory layer, with a group send fit
for a plenary of one process.

Channels' ``InMemoryChannelLayer.group_send`` deep-copies the message once per member,
starts one task per member, and walks every channel and every group membership of the
process before each send and each receive (``_clean_expired``). For a 110-person plenary
(each socket in its person's, session's, room's and readers' groups) that was most of
daphne's time in ``bench/chat_fanout.py`` (docs/performance.md, « Issue 18 — »). Here a
group send copies the message once, queues that one copy to every member, and expired
messages are swept at most once a second. Same semantics otherwise: a full channel
drops the message (``capacity``), expiry and group expiry as Channels'.

Consumers receive the same dict: they must not change it (ours build new dicts).
Only for one process (``make run``); several processes use Redis (``REDIS_URL``).
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy
from typing import Any

from channels.layers import InMemoryChannelLayer

CLEAN_EVERY = 1.0  # seconds between two sweeps of expired messages and group members


class LocalChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    """In-memory layer whose ``group_send`` costs one copy per message, not per member."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cleaned_at = 0.0

    def _clean_sometimes(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at >= CLEAN_EVERY:
            self._cleaned_at = now
            self._clean_expired()

    async def receive(self, channel: str) -> Any:
        self.require_valid_channel_name(channel)
        self._clean_sometimes()
        queue = self.channels.setdefault(
            channel, asyncio.Queue(maxsize=self.get_capacity(channel))
        )
        try:
            _expires, message = await queue.get()
        finally:
            if queue.empty():
                self.channels.pop(channel, None)
        return message

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"  # noqa: S101 - as Channels
        self.require_valid_group_name(group)
        self._clean_sometimes()
        members = self.groups.get(group)
        if not members:
            return
        # One copy, so the publisher may reuse its dict; every member reads this one.
        shared = deepcopy(message)
        expires = time.time() + self.expiry
        for channel in list(members):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels.setdefault(
                    channel, asyncio.Queue(maxsize=self.get_capacity(channel))
                )
            try:
                queue.put_nowait((expires, shared))
            except asyncio.QueueFull:
                pass  # as Channels: a channel over capacity loses the message
