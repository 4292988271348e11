"""One date format on the server (config/dates.py) and in the live client (static/js/dates.js)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from config.dates import format_day, format_when

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.UTC
# Winter and summer time, the 1st of a month, midnight, a minute under ten, every month.
INSTANTS = [
    dt.datetime(2026, 12, 6, 18, 8, tzinfo=UTC),
    dt.datetime(2026, 10, 1, 7, 5, tzinfo=UTC),
    dt.datetime(2026, 6, 30, 22, 0, tzinfo=UTC),
    dt.datetime(2027, 2, 28, 23, 59, tzinfo=UTC),
    *(dt.datetime(2026, month, 15, 11, 30, tzinfo=UTC) for month in range(1, 13)),
]


def test_a_moment_reads_the_french_way() -> None:
    assert format_when(INSTANTS[0], "fr") == "6 déc. 2026, 19 h 08"
    assert format_when(INSTANTS[1], "fr") == "1er oct. 2026, 9 h 05"
    assert format_when(INSTANTS[2], "fr") == "1er juil. 2026, 0 h 00"
    assert format_when(INSTANTS[0], "en") == "6 Dec 2026, 19:08"


def test_a_day_reads_the_french_way() -> None:
    assert format_day(INSTANTS[1], "fr") == "1er octobre 2026"
    assert format_day(dt.date(2026, 10, 1), "fr", year=False) == "1er octobre"
    assert format_day(dt.date(2026, 10, 2), "en") == "2 October 2026"


def test_filters_are_builtins_and_follow_the_language() -> None:
    template = Template("{{ at|when }} — {{ at|day }} — {{ at|day:'short' }} — {{ nothing|when }}.")
    with translation.override("fr"):
        text = template.render(Context({"at": INSTANTS[0], "nothing": None}))
    assert text == "6 déc. 2026, 19 h 08 — 6 décembre 2026 — 6 décembre — ."


def test_a_time_under_its_day_heading_reads_as_in_a_moment() -> None:
    # The notification centre groups by day and gives the time alone: « 19 h 08 », not « 19:08 ».
    template = Template("{{ at|clock }}")
    with translation.override("fr"):
        assert template.render(Context({"at": INSTANTS[0]})) == "19 h 08"
    assert format_when(INSTANTS[1], "fr").endswith(", 9 h 05")
    with translation.override("en"):
        assert template.render(Context({"at": INSTANTS[0]})) == "19:08"


def test_the_client_writes_in_the_site_time_zone() -> None:
    source = (ROOT / "static/js/dates.js").read_text()
    assert re.search(r'TIME_ZONE = "([^"]+)"', source).group(1) == settings.TIME_ZONE  # type: ignore[union-attr]
    assert ZoneInfo(settings.TIME_ZONE)


@pytest.mark.skipif(shutil.which("node") is None, reason="no Node.js on this machine")
def test_the_client_writes_the_same_dates_as_the_server() -> None:
    """static/js/dates.js run by Node's Intl (the same ICU data as Chromium's)."""
    isos = [instant.isoformat() for instant in INSTANTS]
    script = (
        f"import('{(ROOT / 'static/js/dates.js').as_uri()}').then((m) => {{"
        f"const isos = {json.dumps(isos)};"
        "const out = {};"
        "for (const lang of ['fr', 'en']) out[lang] = isos.map((iso) => "
        "[m.formatWhen(iso, lang), m.formatDay(iso, lang), m.formatDay(iso, lang, false)]);"
        "console.log(JSON.stringify(out)); })"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("node") or "node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    client = json.loads(result.stdout)
    for lang in ("fr", "en"):
        server = [
            [format_when(i, lang), format_day(i, lang), format_day(i, lang, year=False)]
            for i in INSTANTS
        ]
        assert client[lang] == server
