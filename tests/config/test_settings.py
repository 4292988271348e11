"""Settings come from the environment, with safe embedded defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], "
    "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'cache': s.CACHES['default']['BACKEND'], "
    "'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'email': s.EMAIL_BACKEND, "
    "'secure_cookie': s.SESSION_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS}))"
)
CLEAN = {"DATABASE_URL", "REDIS_URL", "AGORA_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}


def _settings(**env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in CLEAN}
    full.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", PROBE], cwd=ROOT, env=full, capture_output=True, text=True,
        timeout=60, check=False,
    )


def _read(**env: str) -> dict[str, object]:
    result = _settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_no_environment_gives_the_embedded_defaults(tmp_path: Path) -> None:
    values = _read(AGORA_DATA_DIR=str(tmp_path))
    assert values["db"] == "django.db.backends.sqlite3"
    assert values["layer"] == "realtime.layers.LocalChannelLayer"  # in-memory, one process
    assert values["cache"].endswith("LocMemCache")  # type: ignore[union-attr]
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert (tmp_path / "agora.sqlite3").parent.exists()


def test_database_url_switches_to_postgresql() -> None:
    values = _read(DATABASE_URL="postgres://agora@db.example:5432/agora")
    assert values["db"] == "django.db.backends.postgresql"


def test_redis_url_switches_channel_layer_and_cache() -> None:
    values = _read(REDIS_URL="redis://127.0.0.1:6379/3")
    assert values["layer"] == "channels_redis.core.RedisChannelLayer"
    assert values["cache"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize(
    "env",
    [
        {"AGORA_ENV": "production", "ALLOWED_HOSTS": "agora.example.org"},
        {"AGORA_ENV": "production", "SECRET_KEY": "k" * 60},
        {"AGORA_ENV": "production", "SECRET_KEY": "short", "ALLOWED_HOSTS": "a.example"},
    ],
    ids=["no-secret-key", "no-allowed-hosts", "weak-secret-key"],
)
def test_production_refuses_to_start_without_its_secrets(env: dict[str, str]) -> None:
    result = _settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_with_secrets_is_hardened() -> None:
    values = _read(AGORA_ENV="production", SECRET_KEY="s" * 60,
                   ALLOWED_HOSTS="agora.example.org, www.agora.example.org")
    assert values["debug"] is False
    assert values["hosts"] == ["agora.example.org", "www.agora.example.org"]
    assert values["secure_cookie"] is True
    assert values["hsts"] >= 31536000  # type: ignore[operator]


@pytest.mark.parametrize("antivirus,passes", [
    ({"CLAMAV_ADDRESS": "/run/clamav/clamd.ctl"}, True),
    ({"LIBRARY_WITHOUT_ANTIVIRUS": "true"}, True),  # what .ci/run says: no clamd there
    ({}, False),  # nobody configured an antivirus, nobody said so: documents.W001
])
def test_production_passes_the_deploy_check(antivirus: dict[str, str], passes: bool) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in CLEAN and k not in ("CLAMAV_ADDRESS", "LIBRARY_WITHOUT_ANTIVIRUS")}
    env.update(AGORA_ENV="production", SECRET_KEY="d" * 20 + "x7!Qz" * 10,
               ALLOWED_HOSTS="agora.example.org", DJANGO_SETTINGS_MODULE="config.settings",
               **antivirus)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    assert ("documents.W001" in result.stderr + result.stdout) is not passes


def test_a_malformed_boolean_is_refused() -> None:
    result = _settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


@pytest.mark.parametrize("hosts", ["agora.example.org", "localhost,agora.example.org", "*"])
def test_the_public_development_key_never_serves_other_machines(hosts: str) -> None:
    """AGORA_ENV=production forgotten: refuse rather than sign sessions with a known key."""
    result = _settings(ALLOWED_HOSTS=hosts)
    assert result.returncode != 0
    assert "AGORA_ENV=production" in result.stderr


def test_development_may_serve_other_hosts_with_a_key_of_its_own() -> None:
    values = _read(ALLOWED_HOSTS="agora.local", SECRET_KEY="k" * 60)
    assert values["hosts"] == ["agora.local"]


@pytest.mark.parametrize("env", ["production", "test", "development"])
def test_the_published_development_key_is_refused_for_other_machines_in_every_mode(
    env: str,
) -> None:
    """The key in config/settings.py signs nothing that leaves this machine, whatever the mode.

    Copying it into the environment is the mistake: production used to accept it
    because it is long enough.
    """
    published = "dev-insecure-" + "x" * 50
    result = _settings(AGORA_ENV=env, SECRET_KEY=published, ALLOWED_HOSTS="agora.example.org")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "development" in result.stderr


def test_production_sends_email_by_smtp_and_refuses_the_console() -> None:
    """The console backend would write every email — addresses, names, login codes — to
    the server log (docs/privacy.md)."""
    secrets = {"AGORA_ENV": "production", "SECRET_KEY": "s" * 60,
               "ALLOWED_HOSTS": "agora.example.org"}
    assert _read(**secrets)["email"] == "django.core.mail.backends.smtp.EmailBackend"
    result = _settings(**secrets, EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert result.returncode != 0
    assert "console email backend" in result.stderr
