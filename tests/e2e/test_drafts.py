"""Two members co-write a draft in two browsers; a reader cannot type; the Word export has it."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until as _wait_until

pytestmark = pytest.mark.e2e
# Both in « Habitat et maintien à domicile » in seed_demo; facilitateur1 leads it.
ALICE, BOB = "membre001@example.org", "membre014@example.org"
READER = "remplacant001@example.org"
FACILITATOR = "facilitateur1@example.org"
PROPOSAL = "Proposition du sous-groupe Habitat et maintien à domicile"


def _context(browser: Any, **kwargs: Any) -> Any:
    context = browser.new_context(locale="fr-FR", accept_downloads=True, **kwargs)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def pages(browser: Any) -> Iterator[list[Any]]:
    contexts = [
        _context(browser, viewport={"width": 1280, "height": 900}),
        _context(browser, viewport={"width": 1280, "height": 900}),
        _context(browser, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True),
    ]
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()



def _open_draft(page: Any, live_url: str, email: str) -> None:
    log_in(page, live_url, email)
    page.goto(live_url + "/propositions/")
    page.get_by_role("link", name=PROPOSAL).first.click()
    page.get_by_role("heading", name=PROPOSAL).wait_for()
    assert page.locator("#draft-editor").get_attribute("data-draft-id")
    _wait_until(page, "() => document.documentElement.dataset.draftSynced === 'true'")


def _text(page: Any) -> str:
    return str(page.evaluate("() => window.agoraDraft.editor.getText()"))


def _end_of_document(page: Any) -> None:
    editor = page.locator("#draft-editor .ProseMirror")
    editor.click()
    page.keyboard.press("Control+End")


def test_two_members_write_at_once_a_reader_cannot_and_the_report_has_it(
    pages: list[Any], live_url: str
) -> None:
    alice, bob, reader = pages
    _open_draft(alice, live_url, ALICE)
    _open_draft(bob, live_url, BOB)
    assert "Constat" in _text(alice)

    # Both at the end of the document, typing in turns, keystroke by keystroke.
    _end_of_document(alice)
    alice.keyboard.press("Enter")
    _end_of_document(bob)
    bob.keyboard.press("Enter")
    for a_char, b_char in zip("Alice écrit ici", "Bob tape là-bas", strict=True):
        alice.keyboard.type(a_char)
        bob.keyboard.type(b_char)
    _wait_until(alice, "(t) => window.agoraDraft.editor.getText().includes(t)", "Bob tape là-bas")
    _wait_until(bob, "(t) => window.agoraDraft.editor.getText().includes(t)", "Alice écrit ici")
    deadline = time.monotonic() + 10
    while _text(alice) != _text(bob):
        assert time.monotonic() < deadline, (_text(alice), _text(bob))
        alice.wait_for_timeout(100)
    # Each sees the other's caret, labelled with the other's name (imposed by the server).
    alice_name = str(alice.locator("#draft-editor").get_attribute("data-user-name"))
    bob_name = str(bob.locator("#draft-editor").get_attribute("data-user-name"))
    alice.locator(".collaboration-carets__label", has_text=bob_name).first.wait_for()
    bob.locator(".collaboration-carets__label", has_text=alice_name).first.wait_for()
    # Presence: both names in the list of people connected.
    presence = alice.locator("#draft-presence")
    _wait_until(
        alice, "(n) => document.querySelector('#draft-presence').textContent.includes(n)", bob_name
    )
    assert alice_name in presence.inner_text()
    # The editor speaks French: its words come from the catalogue (deliberation/editor_text.py).
    toolbar = alice.get_by_role("toolbar", name="Mise en forme du texte")
    assert toolbar.get_by_role("button", name="Gras").is_visible()
    assert toolbar.get_by_role("button", name="Liste à puces").is_visible()
    assert alice.get_by_role("heading", name="Commentaires").is_visible()
    assert alice.get_by_label("Votre commentaire").is_visible()
    assert "personnes connectées" in presence.inner_text()
    # A writer's page never says « Lecture seule » (a badge's display beat its hidden).
    assert not alice.locator("#proposal-access").is_visible()

    # A substitute reads, live, but cannot type.
    _open_draft(reader, live_url, READER)
    assert "Alice écrit ici" in _text(reader)
    editable = reader.locator("#draft-editor .ProseMirror").get_attribute("contenteditable")
    assert editable == "false"
    before = _text(reader)
    reader.locator("#draft-editor .ProseMirror").click()
    reader.keyboard.type("intrus")
    reader.wait_for_timeout(500)
    assert _text(reader) == before
    assert "intrus" not in _text(alice)
    alice.keyboard.type(" et encore")
    _wait_until(reader, "(t) => window.agoraDraft.editor.getText().includes(t)", "et encore")
    assert reader.get_by_role("status").filter(has_text="Lecture seule").count() >= 1
    assert reader.locator("#proposal-access").is_visible()  # the substitute's is said

    # The proposal's own Word export carries the text under real heading styles.
    with alice.expect_download() as download_info:
        alice.get_by_role("link", name=re.compile(r"Word")).first.click()
    document = _docx(download_info.value.path())
    assert "Alice écrit ici" in document["text"]
    assert "Bob tape là-bas" in document["text"]
    assert any(style.startswith("Heading") for style in document["styles"])


def test_a_member_comments_a_passage_and_resolves_it_in_french(
    pages: list[Any], live_url: str
) -> None:
    alice = pages[0]
    _open_draft(alice, live_url, ALICE)
    panel = alice.locator("#draft-comments")
    panel.get_by_text("Sélectionnez un passage du texte pour le commenter.").wait_for()
    alice.evaluate("() => window.agoraDraft.editor.commands.setTextSelection({from: 2, to: 8})")
    quote = str(alice.evaluate(
        "() => window.agoraDraft.editor.state.doc.textBetween(2, 8, ' ', ' ').trim()"
    ))
    panel.get_by_text("Passage sélectionné :").wait_for()
    toolbar = alice.get_by_role("toolbar", name="Mise en forme du texte")
    toolbar.get_by_role("button", name="Commenter").click()
    panel.get_by_label("Votre commentaire").fill("À reformuler, trop long")
    panel.get_by_role("button", name="Commenter").click()
    thread = panel.locator(".comment-thread", has_text="À reformuler, trop long")
    thread.wait_for()
    assert thread.get_by_role("button", name=f"Aller au passage commenté : {quote}").is_visible()
    assert "(vous)" in thread.inner_text()
    # The passage is highlighted in the text.
    alice.locator("#draft-editor .comment-anchor").first.wait_for()
    thread.get_by_role("button", name="Marquer comme résolu").click()
    panel.locator(".comment-thread--resolved", has_text="À reformuler, trop long").get_by_text(
        "Résolu par"
    ).wait_for()
    assert panel.get_by_role("button", name="Rouvrir").first.is_visible()


def test_the_projection_is_read_only_and_not_a_writer(pages: list[Any], live_url: str) -> None:
    alice, facilitator, _ = pages
    _open_draft(alice, live_url, ALICE)
    log_in(facilitator, live_url, FACILITATOR)
    facilitator.goto(alice.url.split("#")[0] + "projection/")
    _wait_until(facilitator, "() => document.documentElement.dataset.draftSynced === 'true'")
    text = facilitator.get_by_role("textbox", name="Texte de la proposition (projection)")
    assert text.get_attribute("contenteditable") == "false"
    assert facilitator.locator(".draft-toolbar, #draft-comments").count() == 0
    facilitator.get_by_role("status").filter(has_text="Connecté").wait_for()
    # Alice writes; the projector shows it but is not among the writers she sees.
    _end_of_document(alice)
    alice.keyboard.type(" projeté")
    _wait_until(facilitator, "(t) => window.agoraDraft.editor.getText().includes(t)", "projeté")
    projector = str(facilitator.locator("#draft-editor").get_attribute("data-user-name"))
    assert projector not in alice.locator("#draft-presence").inner_text()
    assert "Une personne connectée" in alice.locator("#draft-presence").inner_text()

def test_adopted_proposal_reaches_the_report_with_a_table_of_contents(
    pages: list[Any], live_url: str
) -> None:
    alice, facilitator, _ = pages
    _open_draft(alice, live_url, ALICE)
    _end_of_document(alice)
    alice.keyboard.press("Enter")
    alice.keyboard.type("Texte adopté par la plénière")
    # The writer sends it to review; the facilitator submits it, then records adoption.
    _wait_until(alice, "(t) => document.documentElement.dataset.draftSynced === 'true'")
    alice.get_by_role("button", name=re.compile("relecture", re.I)).click()
    alice.wait_for_load_state()
    _open_draft(facilitator, live_url, FACILITATOR)
    assert "Texte adopté par la plénière" in _text(facilitator)
    facilitator.get_by_role("button", name=re.compile("plénière", re.I)).first.click()
    facilitator.wait_for_load_state()
    facilitator.get_by_role("button", name=re.compile("adopt", re.I)).first.click()
    facilitator.wait_for_load_state()
    # The submitted draft is frozen: the writer's editor turned read-only, live.
    _wait_until(
        alice,
        "() => document.querySelector('#draft-editor .ProseMirror')"
        ".getAttribute('contenteditable') === 'false'",
    )
    facilitator.goto(live_url + "/propositions/")
    with facilitator.expect_download() as download_info:
        facilitator.get_by_role("link", name=re.compile("rapport", re.I)).first.click()
    report = _docx(download_info.value.path())
    assert "Texte adopté par la plénière" in report["text"]
    assert PROPOSAL in report["text"]
    assert "Heading 1" in report["styles"]
    assert 'TOC \\o "1-3"' in report["xml"]


def _docx(path: Any) -> dict[str, Any]:
    from docx import Document

    data = open(path, "rb").read()  # noqa: SIM115
    document = Document(io.BytesIO(data))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    return {
        "text": "\n".join(p.text for p in document.paragraphs),
        "styles": {p.style.name for p in document.paragraphs if p.style is not None},
        "xml": xml,
    }
