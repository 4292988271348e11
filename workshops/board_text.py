"""The whiteboard's own words (frontend/src/board/), translated for its pages.

Excalidraw brings its French; the few words of ours are English msgids passed to gettext in
frontend/src/board/*.js, embedded by the board pages as JSON (#board-editor-text) like the
draft editor's (deliberation/editor_text.py). tests/workshops/test_board_pages.py fails when
a msgid of frontend/src/board is missing here.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

BOARD_MSGIDS: tuple[str, ...] = (
    # The connection and what the person may do (app.js).
    gettext_noop("Connecting…"),
    gettext_noop("Connected"),
    gettext_noop("Saved"),
    gettext_noop("Reconnecting… (your changes will be sent)"),
    gettext_noop("Reconnecting…"),
    gettext_noop("Read only"),
    gettext_noop("Board frozen by the facilitators"),
    gettext_noop("Disconnected."),
    gettext_noop("Disconnected: your session has expired. Reload the page to connect again."),
    gettext_noop("Disconnected: two-factor authentication is required. Reload the page."),
    gettext_noop("This board is no longer available."),
    gettext_noop(
        "Too many connections open (tabs or windows): close some of them, then reload the page."
    ),
    gettext_noop("Change too large: it was not saved. Reload the page."),
    gettext_noop("Too many changes at once: reconnecting in a few seconds…"),
    gettext_noop(
        "The last change was refused by the server (too large or too many shapes); "
        "the board shows what was saved."
    ),
    # Excalidraw's menu button, which has no name of its own (app.js).
    gettext_noop("Menu"),
    # Images from the library (app.js).
    gettext_noop("Insert an image from the library"),
    gettext_noop("Cancel"),
    gettext_noop("Loading…"),
    gettext_noop("The library could not be reached. Try again later."),
    gettext_noop("The library has no image you may use."),
    gettext_noop("The image could not be loaded."),
    gettext_noop("Images come from the library: use « Insert an image »."),
)


def board_text() -> dict[str, str]:
    """{msgid: translation in the active language}, for json_script."""
    return {msgid: gettext(msgid) for msgid in BOARD_MSGIDS}
