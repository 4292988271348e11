"""A /ws/ socket for the call tests: the chat tests' socket, with call events checked."""

from __future__ import annotations

from typing import Any

from tests.realtime.chat import Socket

CHATTER = ("presence", "typing", "unread", "unread.bump", "call.live", "call.muted")


class CallSocket(Socket):
    """Every event received is checked against its type (calls/events.py) by ``receive``."""

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
