"""A /ws/ socket for the call tests: the chat tests' socket, with call events checked."""

from __future__ import annotations

import dataclasses
from typing import Any

from calls.events import EVENT_TYPES
from tests.realtime.chat import Socket

CHATTER = ("presence", "typing", "unread", "unread.bump", "call.live", "call.muted")


def check_call_event(frame: dict[str, Any]) -> None:
    """A call event has exactly the fields its type declares (calls/events.py)."""
    cls = EVENT_TYPES[frame["type"]]
    declared = {f.name for f in dataclasses.fields(cls)}
    assert set(frame) - {"type"} == declared, frame


class CallSocket(Socket):
    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        frame = await super().receive(timeout)
        if frame["type"] in EVENT_TYPES:
            check_call_event(frame)
        return frame

    async def next_of(self, kind: str, timeout: float = 3) -> dict[str, Any]:
        while True:
            frame = await self.receive(timeout)
            if frame["type"] == kind:
                return frame
            assert frame["type"] in CHATTER or frame["type"] == "call.state", frame

    async def error(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame that must be refused; return the error."""
        await self.send(frame)
        answer = await self.next_of("error")
        assert answer["frame"] == frame["type"], answer
        return answer

    async def join(self, room: Any) -> dict[str, Any]:
        await self.send({"type": "call.join", "room": str(room.pk)})
        return await self.next_of("call.joined")

    async def state(self, timeout: float = 3) -> dict[str, Any]:
        return await self.next_of("call.state", timeout)

    async def state_with(self, count: int, timeout: float = 3) -> dict[str, Any]:
        """The next call.state listing ``count`` people (earlier ones are skipped)."""
        while True:
            state = await self.state(timeout)
            if len(state["participants"]) == count:
                return state

    async def drain(self, timeout: float = 0.3) -> list[dict[str, Any]]:
        """Every frame that arrives until the socket is quiet for ``timeout``."""
        frames = []
        while not await self.communicator.receive_nothing(timeout=timeout):
            frames.append(await self.receive())
        return frames

    async def until_state(self, check: Any, timeout: float = 3) -> dict[str, Any]:
        """The first call.state for which ``check(state)`` holds, other frames skipped."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] == "call.state" and check(frame):
                return frame
