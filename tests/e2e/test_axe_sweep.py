"""axe-core on every page of every role, generated from the permission matrix.

tests/test_permission_matrix.py lists every URL with what each role gets. Here each role
logs in once (one browser context per role, one demo account each), opens every GET page
the matrix gives it (« ok »), and axe runs at 1366 px then, on the same page, at 320 px.
URL parameters come from the demo data the live server was seeded with (one object per
parameter: one object per URL pattern). A GET URL of the matrix that no role opens here
must be listed in EXCLUDED with a reason, else test_every_matrix_url_is_swept_or_excluded
fails: a new page cannot escape the sweep.

docs/accessibility.md says how it works. Demo accounts used here and nowhere else:
membre075 (titulaire), remplacant075, membre082 (comité de suivi), facilitateur3 and
agent3 only read here. DCCU and DPD log in through tests/e2e/login.py's shared staff
pages (one TOTP login each per test session).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests import test_permission_matrix as matrix
from tests.e2e.axe import FAILING_IMPACTS, _axe_violations, _describe
from tests.e2e.conftest import ROOT
from tests.e2e.login import log_in, staff_page

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 320, "height": 640}
NEXT_FRAMES = ("() => new Promise((done) => requestAnimationFrame(() => "
               "requestAnimationFrame(done)))")

# The demo account each role is swept with (None: not logged in). « no_role » has no demo
# account: every page it may open is open to every role (« * »), and swept with them.
ACCOUNTS: dict[str, str | None] = {
    "anonymous": None,
    "titulaire": "membre075@example.org",
    "remplacant": "remplacant075@example.org",
    "facilitateur": "facilitateur3@example.org",
    "agent": "agent3@example.org",
    "dccu": "dccu@example.org",
    "dpd": "dpd@example.org",
    "comite_suivi": "membre082@example.org",
}
STAFF = {"dccu", "dpd"}

# GET URLs of the matrix the sweep does not open, and why. Keep the reason honest.
EXCLUDED: dict[str, str] = {
    "/healthz": "a plain-text health check for the load balancer, not a page",
    "/metrics": "Prometheus' text format for the monitoring machines, not a page",
    "/comptes/double-authentification/":
        "TOTP enrolment: every demo staff account is enrolled, so it redirects",
    "/bienvenue/": "first login only; test_accessibility.py checks it (membre050)",
    "/dpd/registre/export.ods": "file download",
    "/aide/aide-memoire.pdf": "file download (PDF)",
    "/discussions/vocal/{draft}/":
        "a voice draft's transcript as JSON for the recorder's script, not a page",
    "/aide/ecrire-discussion/pas-a-pas.pdf": "file download (PDF)",
    "/bac-a-sable/salle-commune/":
        "a redirect to the shared training room, a room page like the swept ones",
    "/dpd/registre/export.csv": "file download",
    "/suivi/etat-des-lieux.docx": "file download (Word)",
    "/presences/indemnites/{year}/export.csv": "file download",
    "/presences/indemnites/{year}/export.ods": "file download",
    "/presences/code/faux-code/": "an invalid check-in code: a 400 answer, not a page",
    "/discussions/fichier/{attachment}/": "file download",
    "/appels/{call}/presences.csv": "file download",
    "/discussions/message/{message}/lien/": "a redirect to the room, at the message",
    "/discussions/message/{message}/modifier/":
        "its author only (the matrix gives no role access to someone else's message); "
        "the chat's edit form is checked in tests/e2e/test_chat_actions.py",
    "/sw.js": "the service worker script",
}

def _matrix_pages() -> dict[str, list[str]]:
    """URL template → roles (of ACCOUNTS) for which it is a 200 page, for every GET row.

    A room's pages are those of the plenary room: every role but the DPD reads it."""
    pages: dict[str, list[str]] = {}
    for method, url, expectations in [*matrix.MATRIX, *matrix.DISCUSSIONS,
                                      *matrix.WEB_PUSH_ON]:
        if method != "get":
            continue
        roles = [role for role in ACCOUNTS
                 if expectations.get(role, expectations["*"]) == matrix.OK]
        pages.setdefault(url, [])
        pages[url] += [r for r in roles if r not in pages[url]]
    for method, url, needs, answer in matrix.ROOM_PAGES:
        if method != "get":
            continue
        roles = [role for role in ACCOUNTS if role != "anonymous"
                 and answer == matrix.OK
                 and needs in matrix.ROOM_ABILITIES[role]["plenary"]]
        pages.setdefault(url, [])
        pages[url] += [r for r in roles if r not in pages[url]]
    return pages


# Pages whose controls depend on the role: swept again as the role that sees the most
# (a moderator's buttons on every message), besides the first role that opens them.
ALSO_AS: dict[str, list[str]] = {
    "/discussions/salle/{room}/": ["dccu"],
    "/discussions/sujet/{thread}/": ["dccu"],
    "/discussions/message/{message}/": ["dccu"],
}


def _sweep_plan() -> dict[str, list[str]]:
    """Role → URL templates it visits. Each page of the matrix once (CI time), by the first
    role of ACCOUNTS that opens it, so members' pages are seen as members see them; every
    role also sweeps its home page (its own header and menu), and ALSO_AS adds the pages
    whose controls depend on the role. EXCLUDED pages are not visited."""
    plan: dict[str, list[str]] = {role: [] for role in ACCOUNTS}
    for url, roles in _matrix_pages().items():
        if url in EXCLUDED or not roles:
            continue
        visitors = [roles[0], *(r for r in ALSO_AS.get(url, []) if r in roles)]
        if url == "/":
            visitors = roles
        for role in dict.fromkeys(visitors):
            plan[role].append(url)
    return plan


def test_every_matrix_url_is_swept_or_excluded() -> None:
    """A page added to the matrix is swept, or EXCLUDED says why not: none escapes."""
    swept = {url for urls in _sweep_plan().values() for url in urls}
    for url in _matrix_pages():
        assert url in swept or url in EXCLUDED, (
            f"{url} is in the permission matrix but neither swept by axe (no role opens it "
            "with a 200) nor in EXCLUDED with a reason (tests/e2e/test_axe_sweep.py)")
    stale = set(EXCLUDED) - set(_matrix_pages())
    assert not stale, f"EXCLUDED names URLs that are no longer in the matrix: {stale}"


# One object per URL parameter, from the server's demo database.
DEMO_OBJECTS = """
import json
from django.utils import timezone
from assembly.indemnities import Rules, period_of
from assembly.models import Membership
from forums.actions import default_thread
from forums.models import Message, Room, RoomKind
room = Room.objects.filter(kind=RoomKind.PLENARY).order_by("created_at").first()
message = Message.objects.filter(room=room).order_by("created_at").first()
seated = Membership.objects.open().filter(kind="titulaire").order_by("pk").first()
print(json.dumps({
    "room": str(room.pk), "thread": str(default_thread(room).pk), "message": str(message.pk),
    "membership": str(seated.pk), "year": period_of(timezone.localdate(), Rules())[0].year,
}))
"""


def _demo_objects(server_env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", DEMO_OBJECTS], cwd=ROOT, env=server_env,
        check=True, capture_output=True, text=True, timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo_objects(live_url: str, server_env: dict[str, str]) -> dict[str, str]:
    return _demo_objects(server_env)


@pytest.fixture(scope="module")
def timings() -> Iterator[dict[str, float]]:
    spent: dict[str, float] = {}
    yield spent
    total = sum(spent.values())
    lines = [f"  {role}: {seconds:.1f} s" for role, seconds in spent.items()]
    print(f"\naxe sweep: {total:.1f} s in all\n" + "\n".join(lines))


def _role_page(role: str, browser: Any, live_url: str) -> tuple[Any, bool]:
    """The role's page (logged in), and whether its context is ours to close."""
    email = ACCOUNTS[role]
    if role in STAFF:
        assert email is not None
        page = staff_page(browser, live_url, email)
        page.set_viewport_size(DESKTOP)
        return page, False
    # No transitions: axe must not measure a colour halfway through one.
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(15_000)
    if email is not None:
        log_in(page, live_url, email)
    return page, True


def _check(page: Any, where: str, failures: list[str]) -> None:
    violations = _axe_violations(page)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(f"\n{where}, minor or moderate:\n{_describe(others)}")
    if failing:
        failures.append(f"{where}:\n{_describe(failing)}")


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_page_of_the_role_has_no_serious_violation(
    role: str, browser: Any, live_url: str, demo_objects: dict[str, str],
    timings: dict[str, float],
) -> None:
    started = time.monotonic()
    page, ours = _role_page(role, browser, live_url)
    failures: list[str] = []
    try:
        for template in _sweep_plan()[role]:
            url = template.format(**demo_objects)
            response = page.goto(live_url + url)
            assert response is not None and response.status == 200, (role, url)
            # axe skips what is hidden: open the disclosures so their content is checked.
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            _check(page, f"{role} {url} at 1366 px", failures)
            page.set_viewport_size(PHONE)
            # static/js/menu.js folds the header on the next frame after a resize.
            page.evaluate(NEXT_FRAMES)
            _check(page, f"{role} {url} at 320 px", failures)
            # Reflow (WCAG 1.4.10, RGAA 10.11), which axe does not check: nothing but a
            # table's own scrolling region may scroll sideways at 320 px.
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                failures.append(f"{role} {url} at 320 px: the page scrolls sideways "
                                f"({width} px wide)")
            page.set_viewport_size(DESKTOP)
    finally:
        if ours:
            page.context.close()
        else:
            page.set_viewport_size({"width": 1280, "height": 900})
        timings[role] = time.monotonic() - started
    assert not failures, "\n".join(failures)


def test_the_sweep_opens_pages_of_every_kind() -> None:
    """The plan is not accidentally empty: each role has pages, staff pages are swept."""
    plan = _sweep_plan()
    assert all(plan[role] for role in ACCOUNTS), plan
    assert "/pilotage/" in plan["dccu"] and "/dpd/journal/" in plan["dpd"]
    assert any(re.search(r"\{room\}", url) for url in plan["titulaire"])
