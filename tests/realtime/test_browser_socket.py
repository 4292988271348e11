"""The browser has one /ws/ client (static/js/socket.js), and it knows every close code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOCKET_JS = ROOT / "static" / "js" / "socket.js"


def _documented_close_codes() -> dict[int, str]:
    """The /ws/ « Close codes » table of docs/protocol.md: code -> what a client should do."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    section = text.split("## Close codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d{4}) \|.*\| ([^|]+) \|$", section, re.M)
    return {int(code): should.strip() for code, should in rows}


def _socket_js_codes() -> tuple[dict[str, int], set[str]]:
    source = SOCKET_JS.read_text()
    block = source.split("export const CLOSE = {", 1)[1].split("};", 1)[0]
    codes = {name: int(code) for name, code in re.findall(r"(\w+): (\d{4})", block)}
    final_block = source.split("const FINAL = new Set([", 1)[1].split("]);", 1)[0]
    return codes, set(re.findall(r"CLOSE\.(\w+)", final_block))


def test_only_socket_js_opens_a_websocket() -> None:
    opening = [
        path.name for path in (ROOT / "static" / "js").glob("*.js")
        if "new WebSocket(" in path.read_text()
    ]
    assert opening == ["socket.js"]


def test_every_documented_close_code_is_handled_by_the_one_client() -> None:
    documented = _documented_close_codes()
    assert len(documented) >= 9  # the table was found and read
    codes, final = _socket_js_codes()
    assert set(documented) <= set(codes.values())
    final_codes = {codes[name] for name in final}
    for code, should in documented.items():
        never_again = "not reconnect" in should or "login" in should or "bienvenue" in should
        assert (code in final_codes) == never_again, (code, should)


def test_every_close_code_the_server_sends_on_ws_is_documented_and_handled() -> None:
    sent = set()
    for module in ("bus.py", "guards.py", "hub.py"):
        source = (ROOT / "realtime" / module).read_text()
        sent |= {int(code) for code in re.findall(r"^CLOSE_\w+ = (\d{4})", source, re.M)}
    codes, _final = _socket_js_codes()
    assert sent <= set(_documented_close_codes()) and sent <= set(codes.values())
