"""The documented daphne command and nginx config give the app the real client address.

A client writes whatever it likes in ``X-Forwarded-For``; the per-address login
limits are only worth something if neither daphne nor Django believes it. These
tests run daphne's own header parsing on the command line of docs/deploy.md, fed
with the headers its nginx config sends.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from daphne.cli import CommandLineInterface
from daphne.utils import parse_x_forwarded_for

from config.middleware import forwarded_client

DEPLOY = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
REAL = "203.0.113.66"
FORGED = "192.0.2.1"


def documented_daphne_arguments() -> list[str]:
    line = next(ln for ln in DEPLOY.splitlines() if ln.startswith("ExecStart=") and "daphne" in ln)
    return shlex.split(line.split("daphne", 1)[1])


def nginx_headers(client_headers: dict[str, str], remote_addr: str) -> dict[bytes, list[bytes]]:
    """What the documented nginx sends to daphne for a request from ``remote_addr``."""
    variables = {
        "$remote_addr": remote_addr,
        "$scheme": "https",
        "$host": "agora.haute-garonne.fr",
        "$proxy_add_x_forwarded_for": ", ".join(
            [v for v in [client_headers.get("X-Forwarded-For", "")] if v] + [remote_addr]
        ),
    }
    headers = {name.lower(): value for name, value in client_headers.items()}
    for name, value in re.findall(r"proxy_set_header\s+(\S+)\s+(\S+?);", DEPLOY):
        if value.startswith("$") and value in variables:
            headers[name.lower()] = variables[value]
    return {name.encode(): [value.encode()] for name, value in headers.items()}


def test_documented_daphne_takes_the_address_nginx_saw_not_the_forged_one() -> None:
    cli = CommandLineInterface()
    args = cli.parser.parse_args(documented_daphne_arguments())
    sent = nginx_headers({"X-Forwarded-For": FORGED, "X-Real-IP": FORGED}, REAL)
    (address, _port), scheme = parse_x_forwarded_for(
        sent,
        cli._get_forwarded_host(args),
        cli._get_forwarded_port(args),
        "X-Forwarded-Proto" if args.proxy_headers else None,
        original_addr=None,
        original_scheme="http",
    )
    assert address == REAL
    assert scheme == "https"


def test_documented_proxy_count_finds_the_real_address_in_forwarded_for() -> None:
    count = int(re.search(r"Set it to `(\d+)` with the nginx above", DEPLOY).group(1))  # type: ignore[union-attr]
    sent = nginx_headers({"X-Forwarded-For": f"{FORGED}, 10.1.2.3"}, REAL)
    assert forwarded_client(sent[b"x-forwarded-for"][0].decode(), count) == REAL


def test_every_daphne_we_start_waits_30_s_for_a_handshake_as_documented() -> None:
    """daphne's own 5 s drop a handshake whose accept comes late under a reconnect storm,
    after its work was done, and the client's retry queues it again (docs/performance.md,
    issue 18: 174 of 1,000 sockets back within 60 s at 5 s, all of them in 13 s at 30 s).
    The documented unit, `make run` and the tests' servers say the same."""
    from tests.realtime.servers import DAPHNE_LIMITS

    args = CommandLineInterface().parser.parse_args(documented_daphne_arguments())
    assert args.websocket_connect_timeout == 30
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "--websocket_connect_timeout 30" in makefile
    assert DAPHNE_LIMITS[-2:] == ["--websocket_connect_timeout", "30"]
