// What this person may do right now: write, comment, or only read (a reader, a frozen
// draft, the projection). The page says it first (data-can-*); the server's `abilities`
// control message says it again after each connection and whenever it changes.

import { createStage } from './stage.js'
import { isSuggesting, setSuggesting } from './suggest.js'

/** The projection never writes nor comments, whatever it is told. */
export function createAccess(app) {
  const { state, projection } = app

  function setEditable(editable) {
    const { editor, toolbar, linkForm } = app
    const value = !projection && editable
    state.canEdit = value
    if (editor.isEditable !== value) editor.setEditable(value)
    editor.view.dom.setAttribute('aria-readonly', value ? 'false' : 'true')
    if (toolbar) {
      // Formatting is not suggested (suggest.js drops it): no toolbar for a suggester.
      toolbar.el.hidden = !value || state.suggestOnly
      if (!value) linkForm.close(false)
    }
    app.status.render()
    app.refreshToolbar()
  }

  const stage = createStage()

  function applyAbilities(message) {
    stage.apply(message)
    state.frozen = !!message.frozen
    state.canComment = !projection && !!message.comment
    // `edit` means "may send updates": a suggester's are checked by the server.
    state.suggestOnly = !projection && !!message.suggest_only
    setEditable(!!message.edit)
    if (state.suggestOnly && !isSuggesting(app.editor)) setSuggesting(app.editor, true)
    if (app.suggestPanel) app.suggestPanel.render(true)
    app.comments.render()
  }

  return { setEditable, applyAbilities }
}
