"""The bell in the header: its count rises live when another member mentions you."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ROOT
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
# Both in « Habitat et maintien à domicile » in seed_demo (the same people on every run).
ALICE, BOB = "membre001@example.org", "membre014@example.org"
ROOM = "Habitat et maintien à domicile"


def _public_name(server_env: dict[str, str], email: str) -> str:
    code = f"from accounts.models import User; print(User.objects.get(email={email!r}).public_name)"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture
def two_pages(browser: Any) -> Iterator[tuple[Any, Any]]:
    desktop = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    phone = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    for context in (desktop, phone):
        context.set_default_timeout(15_000)
    yield desktop.new_page(), phone.new_page()
    desktop.close()
    phone.close()


def test_the_bell_counts_a_mention_live(
    two_pages: tuple[Any, Any], live_url: str, server_env: dict[str, str]
) -> None:
    alice, bob = two_pages
    bob_name = _public_name(server_env, BOB)
    log_in(bob, live_url, BOB)
    bell = bob.locator("a[data-inbox]")
    before = int(bell.locator("[data-inbox-count]").text_content() or "0")

    log_in(alice, live_url, ALICE)
    alice.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Discussions"
    ).click()
    alice.get_by_role("link", name=re.compile(ROOM)).click()
    wait_until(alice, "() => Boolean(window.agoraChat && window.agoraChat.ready)")
    box = alice.get_by_label("Votre message")
    box.fill(f"@{bob_name} tu peux relire la note ?")
    box.press("Enter")

    # Bob stayed on his home page: the badge and the bell's name change without a reload.
    wait_until(
        bob, "(n) => document.querySelector('[data-inbox-count]').textContent == n", str(before + 1)
    )
    expected = (
        "Notifications, 1 non lue" if before == 0 else f"Notifications, {before + 1} non lues"
    )
    assert bell.get_attribute("aria-label") == expected
    wait_until(
        bob,
        "() => document.querySelector('[data-inbox-status]').textContent"
        ".includes('vous a mentionné·e')",
    )
    if SCREENSHOTS:
        bob.screenshot(path=f"{SCREENSHOTS}/bell-phone.png")
        alice.goto(live_url + "/")
        alice.screenshot(path=f"{SCREENSHOTS}/bell-desktop.png")
    bell.click()
    item = bob.get_by_role("button", name=re.compile("vous a mentionné·e"))
    item.first.wait_for()
    assert "relire la note" not in bob.content()  # never what was said
    if SCREENSHOTS:
        bob.screenshot(path=f"{SCREENSHOTS}/list-phone.png", full_page=True)
        for page, name in ((alice, "desktop"), (bob, "phone")):
            page.goto(live_url + "/notifications/preferences/")
            page.screenshot(path=f"{SCREENSHOTS}/preferences-{name}.png", full_page=True)
        alice.goto(live_url + "/notifications/")
        alice.screenshot(path=f"{SCREENSHOTS}/list-desktop.png", full_page=True)
        bob.goto(live_url + "/notifications/")
    item.first.click()
    bob.get_by_role("heading", name=ROOM).wait_for()
    assert int(bell.locator("[data-inbox-count]").text_content() or "0") == before
