// The other writers: their carets in the text (CollaborationCaret) and the list of the
// people connected (#draft-presence), both from the Yjs awareness.

import { h, textColorOn, validColor } from './dom.js'
import { gettext, interpolate, language } from './i18n.js'

const NO_COLOR = '#4a5560'

export function renderCaret(user) {
  const color = validColor(user.color) ? user.color : NO_COLOR
  const name = user.name || gettext('Someone')
  const caret = h('span', {
    class: 'collaboration-carets__caret',
    role: 'img',
    'aria-label': interpolate(gettext('Cursor of %(name)s'), { name }),
  })
  caret.style.borderColor = color
  const label = h('span', { class: 'collaboration-carets__label', 'aria-hidden': 'true' }, name)
  label.style.backgroundColor = color
  label.style.color = textColorOn(color)
  caret.append(label)
  return caret
}

export function renderSelection(user) {
  // prosemirror-view applies decoration styles through the CSSOM (CSP-safe).
  const color = validColor(user.color) ? user.color : NO_COLOR
  return { class: 'collaboration-carets__selection', style: `background-color: ${color}33` }
}

/** What this person shows to the others (the server imposes the name on its side too). */
export function localUser(cfg) {
  return { name: cfg.userName || gettext('Me'), color: validColor(cfg.userColor) ? cfg.userColor : '#1f5fbf' }
}

/** Keeps #draft-presence in step with the awareness; announces only real changes. */
export function watchPresence({ doc, provider }) {
  const presenceEl = document.getElementById('draft-presence')
  let presenceKey = null
  function render() {
    if (!presenceEl) return
    const people = new Map()
    const localId = doc.clientID
    provider.awareness.getStates().forEach((aw, clientId) => {
      const user = aw && aw.user
      if (!user || !user.name) return
      const isSelf = clientId === localId
      const prev = people.get(user.name)
      people.set(user.name, {
        name: user.name,
        color: (prev && prev.color) || user.color,
        self: (prev && prev.self) || isSelf,
      })
    })
    const list = [...people.values()].sort((a, b) =>
      a.self === b.self ? a.name.localeCompare(b.name, language()) : a.self ? -1 : 1,
    )
    const key = JSON.stringify(list.map((p) => [p.name, p.color, p.self]))
    if (key === presenceKey) return // only announce when the set of people changes
    presenceKey = key
    const items = list.map((p) => {
      const swatch = h('span', { class: 'presence__swatch', 'aria-hidden': 'true' })
      if (validColor(p.color)) swatch.style.backgroundColor = p.color
      return h('li', { class: 'presence__person' }, swatch, p.self ? interpolate(gettext('%(name)s (you)'), { name: p.name }) : p.name)
    })
    const count = list.length
    // Three sentences rather than plural forms: none, one (spelt out), several (≥ 2).
    const title =
      count === 0
        ? gettext('Nobody else is connected.')
        : count === 1
          ? gettext('One person connected:')
          : interpolate(gettext('%(count)s people connected:'), { count })
    presenceEl.replaceChildren(
      h('p', { class: 'presence__title' }, title),
      count ? h('ul', { class: 'presence__list' }, items) : '',
    )
  }
  provider.awareness.on('change', render)
  render()
}
