// The suggestions panel under the text: the mode switch (Suggest), the pending
// suggestions with their author and time, and for the draft's editors accept / reject,
// one by one or all. A person who may only suggest stays in suggestion mode.

import { formatDate, h } from './dom.js'
import { gettext, interpolate } from './i18n.js'
import { isSuggesting, listSuggestions, setSuggesting, settleSuggestions } from './suggest.js'

const EXCERPT = 80

export function createSuggestPanel(app) {
  const { state } = app
  const el = h('section', { class: 'suggestions', 'aria-labelledby': 'suggestions-title' })
  let lastKey = null

  function person(author) {
    const who = app.people(author)
    return who ? who.name : gettext('A participant')
  }

  function kindLabel(kind) {
    return { insertion: gettext('Addition'), deletion: gettext('Deletion'), block: gettext('New paragraph') }[kind]
  }

  function toggle() {
    const editor = app.editor
    setSuggesting(editor, !isSuggesting(editor))
    editor.commands.focus()
    render(true)
  }

  function render(force = false) {
    const editor = app.editor
    if (!editor) return
    const suggesting = isSuggesting(editor)
    const items = listSuggestions(editor.state.doc).filter((i) => i.kind !== 'block' || i.text === '')
    const key = JSON.stringify([suggesting, state.canEdit, state.suggestOnly, items.map((i) => [i.kind, i.author, i.at, i.text, i.from])])
    if (key === lastKey && !force) return
    lastKey = key
    el.hidden = !(state.canEdit || items.length)
    const review = state.canEdit && !state.suggestOnly
    const header = h('div', { class: 'suggestions__header' }, h('h3', { id: 'suggestions-title', class: 'suggestions__title' }, gettext('Suggestions')))
    if (state.canEdit) {
      const sw = h(
        'button',
        {
          type: 'button',
          class: 'button suggestions__mode',
          'aria-pressed': suggesting ? 'true' : 'false',
          disabled: state.suggestOnly || null,
          onclick: toggle,
        },
        gettext('Suggest'),
      )
      header.append(sw)
    }
    const help = h(
      'p',
      { class: 'suggestions__help' },
      state.suggestOnly
        ? gettext('You may suggest changes: what you type is underlined, what you delete is struck through, until a writer of the subgroup accepts or rejects it.')
        : suggesting
          ? gettext('Suggestion mode: your changes are recorded as suggestions.')
          : gettext('Press “Suggest” to record your changes as suggestions instead of edits.'),
    )
    const list = h(
      'ul',
      { class: 'suggestions__list' },
      items.map((item) => {
        const text = item.text.length > EXCERPT ? `${item.text.slice(0, EXCERPT)}…` : item.text
        const row = h(
          'li',
          { class: `suggestions__item suggestions__item--${item.kind}` },
          h('span', { class: 'suggestions__what' }, kindLabel(item.kind), ' ', h(item.kind === 'deletion' ? 'del' : 'ins', {}, text || '¶')),
          h('span', { class: 'suggestions__who' }, interpolate(gettext('by %(name)s'), { name: person(item.author) }), item.at ? ` · ${formatDate(item.at)}` : ''),
        )
        if (review) {
          row.append(
            h('span', { class: 'suggestions__actions' },
              h('button', { type: 'button', class: 'button button--small', onclick: () => settleSuggestions(app.editor, [item], true), 'aria-label': interpolate(gettext('Accept the suggestion of %(name)s'), { name: person(item.author) }) }, gettext('Accept')),
              h('button', { type: 'button', class: 'button button--small button--secondary', onclick: () => settleSuggestions(app.editor, [item], false), 'aria-label': interpolate(gettext('Reject the suggestion of %(name)s'), { name: person(item.author) }) }, gettext('Reject')),
            ),
          )
        }
        return row
      }),
    )
    const children = [header, help]
    if (items.length) {
      children.push(list)
      if (review) {
        children.push(
          h('p', { class: 'suggestions__all' },
            h('button', { type: 'button', class: 'button', onclick: () => settleSuggestions(app.editor, null, true) }, gettext('Accept all')),
            ' ',
            h('button', { type: 'button', class: 'button button--secondary', onclick: () => settleSuggestions(app.editor, null, false) }, gettext('Reject all')),
          ),
        )
      }
    } else {
      children.push(h('p', { class: 'suggestions__none' }, gettext('No pending suggestion.')))
    }
    el.replaceChildren(...children)
  }

  return { el, render }
}
