"""Attendance and indemnities in the browser: a facilitator checks people in at a plenary
held now, a member reads their statement on a 320 px phone, and the DCCU validates the
year and downloads the payment file (ODS, parsed back here).

Demo accounts used here and nowhere else: membre001 (who attends every demo plenary) and
membre002. The plenary of the day is made with the ORM in the server's database
(session management is another part of the app).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, ROOT
from tests.e2e.login import log_in

pytestmark = pytest.mark.e2e

MAKE_SESSION = """
import json
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from assembly.models import Assembly, Session
assembly = Assembly.objects.get(name__startswith="Assemblée citoyenne de la Haute-Garonne")
now = timezone.now()
# Held now and within the local day whatever the hour: a plenary that runs past midnight
# counts two days (the statement's rule), which would change the figures below.
midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
session = Session.objects.create(
    assembly=assembly, kind="pleniere", title="Plénière du jour (e2e)",
    starts_at=max(midnight, now - timedelta(hours=1)),
    ends_at=min(midnight + timedelta(days=1), now + timedelta(hours=5)),
    place="Hôtel du Département")
session.facilitators.add(User.objects.get(email="facilitateur1@example.org"))
people = [User.objects.get(email=f"membre00{n}@example.org") for n in (1, 2)]
print(json.dumps({"names": [p.public_name for p in people]}))
"""


def _make_session(server_env: dict[str, str]) -> list[str]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", MAKE_SESSION], cwd=ROOT, env=server_env,
        check=True, capture_output=True, text=True, timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["names"]  # type: ignore[no-any-return]


def _dccu_login(page: Any, live_url: str) -> None:
    """Password, then the demo TOTP code (the next one if this one was used already)."""
    from accounts.demo import current_demo_code

    page.goto(live_url + "/comptes/login/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill("dccu@example.org")
    form.locator('input[type="password"]').fill(DEMO_PASSWORD)
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    for attempt in range(2):
        if "/2fa/" not in page.url:
            break
        page.locator('input[name="code"]').fill(current_demo_code())
        page.locator('form button[type="submit"]').first.click()
        page.wait_for_load_state()
        if "/2fa/" in page.url and attempt == 0:
            time.sleep(31 - time.time() % 30)
    if "/bienvenue/" in page.url:
        page.locator('button[name="decision"][value="accept"]').click()
        page.wait_for_url(live_url + "/")


def test_check_in_statement_validation_and_export(
    page: Any, phone_page: Any, browser: Any, live_url: str, server_env: dict[str, str]
) -> None:
    first, second = _make_session(server_env)

    # The facilitator ticks two members present (one online), then corrects one.
    log_in(page, live_url, "facilitateur1@example.org")
    page.goto(live_url + "/presences/seances/")
    page.get_by_role("link", name="Plénière du jour (e2e)").click()
    page.get_by_label(first, exact=True).check()
    page.get_by_label(second, exact=True).check()
    page.get_by_label(f"Mode de présence de {second}").select_option("visio")
    page.get_by_role("button", name="Enregistrer les présences").click()
    assert "2 personnes présentes" in page.locator("#present-count").inner_text()
    page.get_by_label("Personne", exact=True).select_option(label=first)
    page.get_by_label("Part de la journée", exact=True).fill("0,5")
    page.get_by_label("Motif (obligatoire)", exact=True).fill("Partie à midi")
    page.get_by_role("button", name="Enregistrer la correction").click()
    assert "La correction est enregistrée" in page.locator(".messages").inner_text()
    assert "Partie à midi" in page.content()

    # The member, on a phone: last year's four plenaries (the cap), this year's so far.
    log_in(phone_page, live_url, "membre001@example.org")
    phone_page.goto(live_url + "/presences/")
    assert phone_page.get_by_role("heading", name="Mes présences et indemnités").is_visible()
    last_year = phone_page.locator("section", has_text="Année 2025–2026")
    assert "360,00 €" in last_year.inner_text()
    assert "au-delà de 4 plénières" in last_year.inner_text()
    this_year = phone_page.locator("#statement-amount-2026")
    assert this_year.inner_text() == "135,00 €"  # the rentrée plenary + half of today's
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320

    # The DCCU validates the year and downloads the payment file.
    context = browser.new_context(locale="fr-FR", accept_downloads=True)
    dccu = context.new_page()
    dccu.set_default_timeout(15_000)
    _dccu_login(dccu, live_url)
    dccu.goto(live_url + "/presences/indemnites/2026/")
    dccu.get_by_role("button", name="Valider").click()
    assert "validé(s)" in dccu.locator(".messages").inner_text()
    with dccu.expect_download() as download_info:
        dccu.get_by_role("link", name="Exporter (ODS)").click()
    download = download_info.value
    assert download.suggested_filename == "indemnites-2026-2027.ods"
    content = open(download.path(), "rb").read()  # noqa: SIM115
    context.close()

    from odf.opendocument import load
    from odf.table import TableCell, TableRow

    rows = [
        [str(cell) for cell in row.getElementsByType(TableCell)]
        for row in load(io.BytesIO(content)).spreadsheet.getElementsByType(TableRow)
    ]
    assert rows[0][:3] == ["Nature", "Nom", "Prénom"]
    mine = [row for row in rows if "membre001@example.org" in row]
    assert mine and mine[0][0] == "Indemnité" and mine[0][7] == "135,00"
