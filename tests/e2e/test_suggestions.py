"""A member suggests in the draft, the writer sees it live and accepts it; a reader of
another subgroup suggests where the subgroup allows it, and the writer rejects it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
SUBGROUP = "Mobilité des aînés"  # preferred: no other browser test writes in its draft


def _setup(server_env: dict[str, str]) -> dict[str, str]:
    """The subgroup allows readers' suggestions; two of its members and a reader."""
    code = f"""
import json
from accounts.models import User
from assembly.models import Subgroup
from deliberation.models import Proposal
# A draft still open: another browser test sends the first draft a facilitator sees to
# review (frozen), and the order of tests may put it first.
open_ = Proposal.objects.filter(status="brouillon", draft__frozen=False).order_by(
    "subgroup__name", "created_at")
proposal = open_.filter(subgroup__name={SUBGROUP!r}).first() or open_.first()
subgroup = proposal.subgroup
subgroup.reader_suggestions = True
subgroup.save(update_fields=["reader_suggestions"])
members = list(subgroup.members.order_by("email").values_list("email", flat=True)[:2])
reader = User.objects.filter(email__startswith="membre", subgroups__isnull=False).exclude(
    subgroups=subgroup).order_by("email").values_list("email", flat=True).first()
print(json.dumps({{"writer": members[0], "member": members[1], "reader": reader,
                  "title": proposal.title}}))
"""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture
def three_pages(browser: Any) -> Iterator[list[Any]]:
    contexts = [
        browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        for _ in range(3)
    ]
    for context in contexts:
        context.set_default_timeout(15_000)
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def _open(page: Any, live_url: str, email: str, title: str) -> None:
    log_in(page, live_url, email)
    page.goto(live_url + "/propositions/")
    page.get_by_role("link", name=title).first.click()
    wait_until(page, "() => document.documentElement.dataset.draftSynced === 'true'")


def _type_at_end_of_first_heading(page: Any, text: str) -> None:
    page.evaluate(
        "() => { const e = window.agoraDraft.editor;"
        " e.commands.focus(); e.commands.setTextSelection(e.state.doc.child(0).nodeSize - 1) }"
    )
    # Tiptap focuses on the next frame: keys pressed before land outside the editor (a
    # loaded machine lost the reader's Shift+Home and Backspace that way).
    wait_until(
        page,
        "() => { const e = window.agoraDraft.editor; return e.view.hasFocus()"
        " && e.state.selection.empty"
        " && e.state.selection.from === e.state.doc.child(0).nodeSize - 1 }",
    )
    page.keyboard.type(text)


def _has(page: Any, selector: str, text: str) -> None:
    wait_until(
        page,
        "([s, t]) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(t))",
        [selector, text],
    )


def test_a_member_suggests_the_writer_accepts_and_a_reader_suggests_too(
    three_pages: list[Any], live_url: str, server_env: dict[str, str]
) -> None:
    people = _setup(server_env)
    writer, member, reader = three_pages
    _open(writer, live_url, people["writer"], people["title"])
    _open(member, live_url, people["member"], people["title"])

    # The member switches to « Suggérer » and types: underlined in the writer's page, live.
    panel = member.locator(".suggestions")
    panel.get_by_role("button", name="Suggérer").click()
    assert panel.get_by_role("button", name="Suggérer").get_attribute("aria-pressed") == "true"
    _type_at_end_of_first_heading(member, " partagés")
    _has(writer, "#draft-editor ins.suggestion", "partagés")
    writer_panel = writer.locator(".suggestions")
    item = writer_panel.locator(".suggestions__item", has_text="partagés")
    item.get_by_role("button", name="Accepter").wait_for()
    item.get_by_role("button", name="Accepter").click()
    # Accepted: the text stays, plain, for everyone.
    wait_until(
        member,
        "() => !document.querySelector('#draft-editor ins.suggestion')"
        " && window.agoraDraft.editor.state.doc.child(0).textContent.endsWith('partagés')",
    )

    # A reader of another subgroup may only suggest: the mode is on and cannot be left.
    _open(reader, live_url, people["reader"], people["title"])
    mode = reader.locator(".suggestions").get_by_role("button", name="Suggérer")
    assert mode.get_attribute("aria-pressed") == "true" and mode.is_disabled()
    _type_at_end_of_first_heading(reader, "")
    reader.keyboard.press("Shift+Home")
    reader.keyboard.press("Backspace")  # deleting the heading: struck through, not gone
    reader.keyboard.press("End")
    reader.keyboard.type(" pour tous")
    _has(writer, "#draft-editor ins.suggestion", "pour tous")
    _has(writer, "#draft-editor del.suggestion", "partagés")
    reader.wait_for_timeout(500)  # and nothing else comes after (a refusal would reload)
    _has(writer, "#draft-editor ins.suggestion", "pour tous")
    assert reader.locator(".suggestions").get_by_role("button", name="Accepter").count() == 0
    writer.locator(".suggestions").scroll_into_view_if_needed()
    # For a look at the suggestions inline: <AGORA_DATA_DIR>/suggestions.png.
    writer.screenshot(path=str(Path(server_env["AGORA_DATA_DIR"]) / "suggestions.png"))
    # Nothing was refused on the way (a refusal reloads the reader's text and says so).
    assert "pas été acceptée" not in reader.locator("#draft-status").inner_text()

    writer.locator(".suggestions").get_by_role("button", name="Tout refuser").click()
    wait_until(
        reader,
        "() => !document.querySelector('#draft-editor .suggestion')"
        " && !window.agoraDraft.editor.getText().includes('pour tous')",
    )
    assert "partagés" in str(reader.evaluate("() => window.agoraDraft.editor.getText()"))
