"""The co-writing editor's words, translated from the site's one catalogue for its page.

The editor (frontend/src) is written with English msgids, `gettext('Bold')`, like the
rest of the code. The draft pages embed {msgid: translation} for the msgids below as
JSON (`json_script`, which the CSP allows: it is data, not a script), and
frontend/src/i18n.js looks them up. tests/test_translations.py fails when a msgid of
frontend/src is missing here or from locale/fr.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

EDITOR_MSGIDS: tuple[str, ...] = (
    # The way out of the text by keyboard (editor.js).
    gettext_noop("Keyboard: Escape, then Tab, leaves the text."),
    # Suggestions (suggest.js, suggestpanel.js).
    gettext_noop("A participant"),
    gettext_noop("Addition"),
    gettext_noop("Deletion"),
    gettext_noop("New paragraph"),
    gettext_noop("Suggestions"),
    gettext_noop("Suggest"),
    gettext_noop(
        "You may suggest changes: what you type is underlined, what you delete is struck "
        "through, until a writer of the subgroup accepts or rejects it."
    ),
    gettext_noop("Suggestion mode: your changes are recorded as suggestions."),
    gettext_noop("Press “Suggest” to record your changes as suggestions instead of edits."),
    gettext_noop("by %(name)s"),
    gettext_noop("Accept the suggestion of %(name)s"),
    gettext_noop("Reject the suggestion of %(name)s"),
    gettext_noop("Accept"),
    gettext_noop("Reject"),
    gettext_noop("Accept all"),
    gettext_noop("Reject all"),
    gettext_noop("No pending suggestion."),
    gettext_noop("Your last change was not accepted: the text was reloaded."),
    # The writers: carets and the list of people connected (presence.js).
    gettext_noop("Someone"),
    gettext_noop("Cursor of %(name)s"),
    gettext_noop("Me"),
    gettext_noop("%(name)s (you)"),
    gettext_noop("Nobody else is connected."),
    gettext_noop("One person connected:"),
    gettext_noop("%(count)s people connected:"),
    # The text itself (editor.js).
    gettext_noop("Text of the proposal"),
    gettext_noop("Text of the proposal (projection)"),
    # The connection and what the person may do (connection.js).
    gettext_noop("Connecting…"),
    gettext_noop("Connected"),
    gettext_noop("Saved"),
    gettext_noop("Reconnecting… (your changes will be sent)"),
    gettext_noop("Reconnecting…"),
    gettext_noop("Draft frozen by the facilitators"),
    gettext_noop("Read only"),
    gettext_noop("Disconnected: your session has expired. Reload the page to connect again."),
    gettext_noop("Disconnected: two-factor authentication is required. Reload the page."),
    gettext_noop("This draft is no longer available."),
    gettext_noop(
        "Too many connections open (tabs or windows): close some of them, then reload the page."
    ),
    gettext_noop("Disconnected after a synchronisation error. Reload the page."),
    gettext_noop("Change too large: it was not saved. Reload the page."),
    gettext_noop("Too many changes at once: reconnecting in a few seconds…"),
    gettext_noop("Disconnected."),
    # The toolbar (toolbar.js) and the link form (linkform.js).
    gettext_noop("Text formatting"),
    gettext_noop("Block type"),
    gettext_noop("Heading 1"),
    gettext_noop("Heading 2"),
    gettext_noop("Heading 3"),
    gettext_noop("Paragraph"),
    gettext_noop("Text style"),
    gettext_noop("Bold"),
    gettext_noop("Italic"),
    gettext_noop("Link"),
    gettext_noop("Structure"),
    gettext_noop("Bulleted list"),
    gettext_noop("Numbered list"),
    gettext_noop("Quotation"),
    gettext_noop("Callout"),
    gettext_noop("Table"),
    gettext_noop("Caption"),
    gettext_noop("Add a row"),
    gettext_noop("Add a column"),
    gettext_noop("Delete the table"),
    gettext_noop("History"),
    gettext_noop("Undo"),
    gettext_noop("Redo"),
    gettext_noop("Comments"),
    gettext_noop("Comment"),
    gettext_noop("Link address (https://…, mailto:…)"),
    gettext_noop("Apply"),
    gettext_noop("Remove the link"),
    gettext_noop("Cancel"),
    gettext_noop("Invalid address: it must start with http://, https:// or mailto:."),
    # The comments panel (comments.js).
    gettext_noop("The comments could not be loaded. Reload the page to try again."),
    gettext_noop("No connection: the comment was not sent. Try again."),
    gettext_noop("This comment or this draft no longer exists."),
    gettext_noop("The action could not be saved. Try again."),
    gettext_noop("Selected passage:"),
    gettext_noop("Select a passage of the text to comment on it."),
    gettext_noop("The commented passage was deleted from the text."),
    gettext_noop("Your comment"),
    gettext_noop("Write your comment before sending it."),
    gettext_noop("First select the passage of the text to comment on."),
    gettext_noop("No comments yet."),
    gettext_noop("Go to the commented passage: %(quote)s"),
    gettext_noop("Resolved by %(name)s"),
    gettext_noop("Resolved"),
    gettext_noop("Your reply"),
    gettext_noop("Send the reply"),
    gettext_noop("Reply"),
    gettext_noop("Reopen"),
    gettext_noop("Mark as resolved"),
    gettext_noop("Anonymous"),
)


def editor_text() -> dict[str, str]:
    """{msgid: translation in the active language} for every word of the editor."""
    return {msgid: gettext(msgid) for msgid in EDITOR_MSGIDS}
