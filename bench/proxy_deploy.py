"""The production shape of docs/deploy.md as files: the nginx site rendered from
deploy/nginx/agora.conf, and the daphne command line of the documented systemd unit.

bench/proxy_load.py runs exactly these, and tests/config/test_nginx_config.py checks that
the doc shows the same template and that nginx accepts it rendered.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx" / "agora.conf"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
PLACEHOLDERS = {
    "DAPHNE_SERVERS",
    "LISTEN",
    "SERVER_NAME",
    "TLS_CERTIFICATE",
    "TLS_CERTIFICATE_KEY",
    "STATIC_ROOT",
    "PRIVATE_ROOT",
}


def template() -> str:
    return TEMPLATE.read_text()


def upstream_lines(sockets: list[Path]) -> str:
    """The `server` lines of the upstream, one per daphne Unix socket."""
    return "\n".join(
        f"    server unix:{path} max_fails=0;" for path in sockets
    )


def render(values: dict[str, str]) -> str:
    """The template with every @NAME@ replaced; a missing or unknown name is an error."""
    text = template()
    found = set(PLACEHOLDER.findall(text))
    if found != set(values):
        raise ValueError(f"placeholders {sorted(found)} but values for {sorted(values)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def standalone(site: str, prefix: Path, *, workers: int = 1, log_format: str = "") -> str:
    """A whole nginx.conf around the site, for `nginx -p prefix -c …` run by a user in the
    foreground: its own pid, logs and temporary directories under ``prefix``."""
    for name in ("logs", "temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
        (prefix / name).mkdir(parents=True, exist_ok=True)
    access = f"access_log {prefix}/logs/access.log bench;" if log_format else "access_log off;"
    # Started by root, nginx would run its workers as nobody, who may not reach the bench's
    # private directories and sockets (in production: docs/deploy.md, « Processes »).
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""daemon off;
{user}
worker_processes {workers};
worker_rlimit_nofile 16384;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 8192; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    {f"log_format bench '{log_format}';" if log_format else ""}
    {access}
{site}
}}
"""


def documented_daphne_arguments() -> list[str]:
    """The arguments of the daphne command in docs/deploy.md's unit (after `daphne`)."""
    line = next(
        ln
        for ln in DEPLOY_DOC.read_text().splitlines()
        if ln.startswith("ExecStart=") and "daphne" in ln
    )
    return shlex.split(line.split("daphne", 1)[1])


def daphne_arguments(socket: Path) -> list[str]:
    """The documented arguments, with this process's Unix socket."""
    arguments = documented_daphne_arguments()
    position = arguments.index("-u")
    arguments[position + 1] = str(socket)
    return arguments
