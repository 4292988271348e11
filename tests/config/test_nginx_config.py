"""The nginx configuration docs/deploy.md shows is deploy/nginx/agora.conf, the file the load
test (bench/proxy_load.py) renders and runs; nginx accepts it once rendered."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import proxy_deploy  # noqa: E402

DEPLOY = (ROOT / "docs" / "deploy.md").read_text()
MARKER = "<!-- deploy/nginx/agora.conf"


def shown_in_doc() -> str:
    after = DEPLOY[DEPLOY.index(MARKER) :]
    block = re.search(r"```nginx\n(.*?)```\n", after, re.S)
    assert block is not None
    return block.group(1)


def values(tmp_path: Path) -> dict[str, str]:
    return {
        "DAPHNE_SERVERS": proxy_deploy.upstream_lines(
            [tmp_path / "daphne-1.sock", tmp_path / "daphne-2.sock"]
        ),
        "LISTEN": "127.0.0.1:18699",
        "SERVER_NAME": "agora.example.org",
        "TLS_CERTIFICATE": str(tmp_path / "tls.crt"),
        "TLS_CERTIFICATE_KEY": str(tmp_path / "tls.key"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "PRIVATE_ROOT": str(tmp_path / "private"),
    }


def test_deploy_doc_shows_the_nginx_file_unchanged() -> None:
    assert shown_in_doc() == proxy_deploy.template()


def test_every_placeholder_of_the_nginx_file_is_explained_in_the_doc() -> None:
    for name in proxy_deploy.PLACEHOLDERS:
        assert f"`@{name}@`" in DEPLOY, name
    assert set(proxy_deploy.PLACEHOLDER.findall(proxy_deploy.template())) == (
        proxy_deploy.PLACEHOLDERS
    )


def test_rendering_refuses_a_missing_value(tmp_path: Path) -> None:
    partial = values(tmp_path)
    del partial["PRIVATE_ROOT"]
    with pytest.raises(ValueError, match="PRIVATE_ROOT"):
        proxy_deploy.render(partial)


def test_the_proxy_upgrades_sockets_and_serves_library_files_internally() -> None:
    conf = proxy_deploy.template()
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    library = conf[conf.index("location /_library/") :]
    assert library.split("}", 1)[0].count("internal;") == 1
    # The application's prefix for X-Accel-Redirect is the internal location's.
    assert "LIBRARY_X_ACCEL_REDIRECT=/_library/" in conf


def test_the_bench_runs_daphne_with_the_documented_arguments(tmp_path: Path) -> None:
    arguments = proxy_deploy.daphne_arguments(tmp_path / "daphne-3.sock")
    documented = proxy_deploy.documented_daphne_arguments()
    assert arguments[arguments.index("-u") + 1] == str(tmp_path / "daphne-3.sock")
    assert [a for a in arguments if "sock" not in a] == [a for a in documented if "sock" not in a]
    assert "--proxy-headers" in arguments


def test_nginx_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    assert Path(nginx).exists(), "nginx (Debian's package) is needed: .ci/run installs it"
    subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=agora.example.org", "-keyout", str(tmp_path / "tls.key"),
         "-out", str(tmp_path / "tls.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = proxy_deploy.render(values(tmp_path))
    conf = tmp_path / "nginx.conf"
    conf.write_text(proxy_deploy.standalone(site, tmp_path / "prefix"))
    done = subprocess.run(  # noqa: S603
        [nginx, "-t", "-p", str(tmp_path / "prefix"), "-c", str(conf)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
