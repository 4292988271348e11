"""Web push's opt-in in a real Chromium: the service worker registers at the site's root,
the box is drawn unticked (nothing is asked before the person ticks it), on a 320 px
phone too, and the section passes axe. Subscribing needs a real push service (Google's
for Chromium), which these tests do not reach: tests/notifications/test_webpush.py posts
to a local one instead."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
MEMBER = "membre070@example.org"  # used here only


def test_the_opt_in_appears_unticked_with_its_service_worker(
    phone_page: Any, live_url: str
) -> None:
    page = phone_page
    log_in(page, live_url, MEMBER)
    page.goto(live_url + "/notifications/preferences/")
    wait_until(page, "() => document.querySelector('[data-push]').dataset.worker === 'registered'")
    scope = page.evaluate(
        "() => navigator.serviceWorker.getRegistration('/').then((r) => r && r.scope)"
    )
    assert scope == live_url + "/"
    box = page.get_by_label("Recevoir les notifications sur cet appareil")
    assert box.is_visible() and not box.is_checked()
    assert page.evaluate("() => Notification.permission") == "default"  # never asked yet
    status = page.locator("[data-push-status]")
    assert status.text_content() == "Cet appareil ne reçoit pas vos notifications."
    assert page.get_by_role("columnheader", name="Téléphone").is_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/preferences-push-320.png", full_page=True)
    assert overflow <= 0, f"the page is {overflow}px wider than a 320 px screen"
    assert_accessible(page, "notification preferences with web push")


def test_ticking_says_it_works_on_it_then_why_not_when_the_push_service_is_unreachable(
    browser: Any, live_url: str, tmp_path: Any
) -> None:
    """This machine cannot reach Chromium's push service: subscribe() never answers in a
    real profile (an incognito one refuses at once). The box must not stay ticked with
    « ne reçoit pas » under it: « Activation… », then « Cela n'a pas marché », unticked."""
    from tests.e2e.conftest import chromium_path

    # A real profile (the shared browser's contexts are incognito ones), same Playwright.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=chromium_path(), headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        locale="fr-FR", viewport={"width": 390, "height": 844},
    )
    try:
        context.grant_permissions(["notifications"], origin=live_url)
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, live_url, "membre071@example.org")  # used here only
        page.goto(live_url + "/notifications/preferences/")
        wait_until(page, "() => document.querySelector('[data-push]').dataset.worker")
        page.evaluate("() => { document.querySelector('[data-push]').dataset.waitSeconds = 3 }")
        box = page.get_by_label("Recevoir les notifications sur cet appareil")
        status = page.locator("[data-push-status]")
        page.evaluate(
            """() => { const s = document.querySelector('[data-push-status]');
            window.pushStatuses = [];
            new MutationObserver(() => window.pushStatuses.push(s.textContent))
              .observe(s, {childList: true, characterData: true, subtree: true}) }"""
        )
        box.click()
        wait_until(page, "() => !document.querySelector('[data-push-here]').disabled")
        shown = page.evaluate("() => window.pushStatuses")
        assert "Activation des notifications sur cet appareil…" in shown, shown
        # Whether Chromium's push service answers depends on the machine's network: either
        # it subscribed (ticked, « reçoit »), or it says why not and the box is unticked —
        # never ticked with « ne reçoit pas » under it.
        if box.is_checked():
            assert status.text_content() == "Cet appareil reçoit vos notifications."
        else:
            assert status.text_content() in (
                "Cela n’a pas marché. Réessayez plus tard.",
                "Cet appareil ne reçoit pas vos notifications.",
            ), status.text_content()
    finally:
        context.close()
