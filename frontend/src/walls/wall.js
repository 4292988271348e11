// Agora — the idea wall (mur d'idees, issue 14), live on the same Yjs engine as the
// drafts. Built by `npm run build` into static/walls/wall.js (+ wall.css). The page's
// editor element (#wall-editor, or any [data-wall-editor]) carries `data-ydoc-url` (the
// websocket base, e.g. wss://host/ws/walls) and `data-ydoc-room` (the wall's id); the page
// embeds its settings as JSON (#wall-config: columns, me, facilitate, mode…, read by
// readConfig) and the translated words (#wall-text, see i18n.js).
//
// model.js reads and changes the document (and mirrors the server's rules), session.js
// holds the sockets, board.js and note.js draw the columns, groups and notes; this file
// puts them together with the banner of the mode, the presence, the form of a new note,
// the dot vote and its results, and the projection (?projection: the room's screen).
//
// CSP: only 'self' scripts and styles: nothing here writes a style="" attribute.

import { h, validColor } from '../dom.js'
import { gettext, interpolate, language, useCatalogue } from '../i18n.js'
import * as model from './model.js'
import { createBoard } from './board.js'
import { checkedColour, colourChoice, textField } from './note.js'
import { createLiveDoc, sheetBase, socketBase } from './session.js'
import { closeSentence, dotsCount, modeSentence, refusedSentence, votersSentence } from './words.js'

const ANNOUNCE_EVERY_MS = 8000

/** The page's settings: JSON in #wall-config (or the id in data-config). */
export function readConfig(root) {
  const el = document.getElementById(root.dataset.config || root.dataset.wallConfig || 'wall-config')
  let cfg = {}
  if (el) {
    try {
      const data = JSON.parse(el.textContent)
      if (data && typeof data === 'object') cfg = data
    } catch (e) {
      cfg = {}
    }
  }
  const columns = (Array.isArray(cfg.columns) ? cfg.columns : [])
    .filter((c) => c && typeof c.key === 'string')
    .map((c) => ({ key: c.key, label: String(c.label || c.key) }))
  const abilities = { ...(cfg.abilities && typeof cfg.abilities === 'object' ? cfg.abilities : {}) }
  for (const key of ['edit', 'mode', 'anonymous', 'facilitate', 'me', 'sheet', 'round', 'results', 'limits', 'own']) {
    if (abilities[key] === undefined && cfg[key] !== undefined) abilities[key] = cfg[key]
  }
  return { raw: cfg, columns, abilities }
}

function mount(root) {
  useCatalogue(root.dataset.wallText || 'wall-text')
  const cfg = readConfig(root)
  const params = new URLSearchParams(window.location.search)
  const projection = params.has('projection') || root.dataset.mode === 'projection' || !!cfg.raw.projection
  const base = socketBase(root.dataset.ydocUrl || '/ws/walls')
  const room = root.dataset.ydocRoom

  // "Create a proposal" from a note or a group: the config gives the address when this
  // wall may start proposals (a subgroup's); the token is the page's CSRF one (its forms).
  const urls = cfg.raw.urls && typeof cfg.raw.urls === 'object' ? cfg.raw.urls : {}
  const tokenInput = document.querySelector('input[name="csrfmiddlewaretoken"]')
  const propose = cfg.raw.propose && urls.proposal && tokenInput ? { action: String(urls.proposal), token: tokenInput.value } : null

  const state = {
    abilities: cfg.abilities,
    rights: model.rightsOf(projection ? { ...cfg.abilities, edit: false } : cfg.abilities),
    columns: cfg.columns,
    connection: 'connecting',
    closed: '',
    dots: { round: null, left: null, mine: new Map() },
    results: null, // {round, ranking}
    own: new Set(Array.isArray(cfg.abilities.own) ? cfg.abilities.own : []),
    dragging: null,
    focus: null,
    started: false,
    voters: null, // facilitators: how many people placed dots in the round
  }

  // --- The page's parts -------------------------------------------------------------------
  const banner = h('p', { class: 'wall-banner', role: 'status' })
  const alertBox = h('p', { class: 'wall-alert', role: 'alert' })
  alertBox.hidden = true
  const connection = h('p', { class: 'wall-connection' })
  const presence = h('div', { class: 'wall-presence' })
  const fullscreen = h('button', { type: 'button', class: 'wall-button wall-button--secondary wall-fullscreen', onclick: toggleFullscreen }, gettext('Full screen'))
  const head = h('div', { class: 'wall-head' }, banner, h('div', { class: 'wall-head__row' }, connection, presence, projection ? fullscreen : ''))
  const compose = createCompose()
  const results = h('section', { class: 'wall-live-results', 'aria-labelledby': 'wall-live-results-title' })
  results.hidden = true
  const jump = h('nav', { class: 'wall-jump', 'aria-label': gettext('Columns of the wall') })
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite', id: 'wall-live' })

  const app = {
    projection,
    proposeForm,
    limits: () => model.limitsOf(state.abilities),
    columns: () => (state.columns.length ? state.columns : [{ key: '', label: '' }]),
    dot,
    focusNote,
    dragStart,
    dragEnd,
    dragging: () => state.dragging,
    dropNote,
    commentsOf: (id) => (wall.doc ? model.readComments(wall.doc, id) : []),
    comment,
    editNote,
    moveTargets,
    moveNoteTo,
    stepNote,
    deleteNote,
    addCluster,
    renameCluster,
    moveCluster,
    stepCluster,
    deleteCluster,
  }
  const board = createBoard(app)

  root.classList.add('wall')
  if (projection) {
    root.classList.add('wall--projection')
    document.body.classList.add('wall-projection-page')
  }

  let wall = null // the provider emits its first status inside createLiveDoc
  let sheet = null
  let sheetRoom = ''

  // --- The sockets (opened at the end of mount) ---------------------------------------
  // The server puts each person's own name and colour in `user` for the others; the page
  // shows its own the same way.
  const me = cfg.abilities.me && typeof cfg.abilities.me === 'object' ? cfg.abilities.me : {}
  const awareness = () => (projection
    ? null
    : { user: { name: String(me.name || gettext('Me')), color: validColor(me.color) ? me.color : '#1f5fbf' }, focus: null })

  function bindDoc(doc, source) {
    if (!wall) return
    doc.on('update', schedule)
    doc.getMap('notes').observe((event) => {
      const liveDoc = source === 'wall' ? wall : sheet
      if (event.transaction.local || !liveDoc || !liveDoc.synced) return
      for (const [key, change] of event.changes.keys) if (change.action === 'add') noticeNew(doc, key)
    })
    const provider = source === 'wall' ? wall.provider : sheet && sheet.provider
    if (provider && source === 'wall') provider.awareness.on('change', schedule)
    schedule()
  }

  /** Silent writing: the person's private sheet, on its own socket, while there is one. */
  function syncSheet() {
    const wanted = !projection && state.rights.sheet ? state.abilities.sheet : ''
    if (wanted === sheetRoom) return
    if (sheet) sheet.destroy()
    sheet = null
    sheetRoom = wanted
    if (!wanted) return
    sheet = createLiveDoc({
      base: sheetBase(base, cfg.raw.sheetUrl || root.dataset.sheetUrl),
      room: wanted,
      awareness: null,
      // The sheet's socket speaks of the sheet only: the wall's abilities come from the wall.
      onControl: (message) => message.type !== 'abilities' && control(message),
      onStatus: () => {},
      onSynced: schedule,
      onReset: (doc) => bindDoc(doc, 'sheet'),
      onClosed: () => schedule(),
    })
    bindDoc(sheet.doc, 'sheet')
  }

  function start() {
    if (state.started) return
    state.started = true
    // The server's static status line and results give way to the live ones.
    for (const id of ['wall-status', 'wall-results']) {
      const fallback = document.getElementById(id)
      if (fallback) fallback.hidden = true
    }
    root.replaceChildren(head, alertBox, compose.el, results, jump, board.el, live)
    render()
  }

  // --- Control messages -----------------------------------------------------------------
  function control(message) {
    switch (message.type) {
      case 'abilities':
        applyAbilities(message)
        break
      case 'refused':
        showAlert(refusedSentence(message.reason))
        break
      case 'dots':
        applyDots(message)
        break
      case 'voters':
        state.voters = Number(message.voters) || 0
        schedule()
        break
      case 'results':
        state.results = { round: message.round, ranking: message.ranking }
        schedule()
        break
      case 'error':
        showAlert(String(message.message || gettext('The server refused this action.')))
        break
      default:
        break
    }
  }

  function applyAbilities(message) {
    const ab = { ...message }
    delete ab.type
    const before = state.rights
    state.abilities = ab
    state.rights = model.rightsOf(projection ? { ...ab, edit: false } : ab)
    if (Array.isArray(ab.columns)) {
      const columns = ab.columns
        .filter((c) => c && typeof c.key === 'string')
        .map((c) => ({ key: c.key, label: String(c.label || c.key) }))
      if (columns.length || !state.columns.length) state.columns = columns
    }
    if (Array.isArray(ab.own)) for (const id of ab.own) state.own.add(id)
    const round = state.rights.round
    state.voters = round && typeof round.voters === 'number' ? round.voters : null
    if (round) {
      if (state.dots.round !== round.id) state.dots = { round: round.id, left: null, mine: new Map() }
      if (typeof round.left === 'number') state.dots.left = round.left
      if (round.mine !== undefined) state.dots.mine = model.dotCounts(round.mine)
    } else {
      state.dots = { round: null, left: null, mine: new Map() }
    }
    if (ab.results) {
      state.results = Array.isArray(ab.results) ? { round: round && round.id, ranking: ab.results } : ab.results
    } else if (!round || !round.revealed) {
      state.results = null
    }
    if (before.mode !== state.rights.mode) announce(modeSentence(state.rights, state.dots.left))
    syncSheet()
    schedule()
  }

  function applyDots(message) {
    if (state.dots.round !== message.round) state.dots = { round: message.round, left: null, mine: new Map() }
    if (typeof message.left === 'number') state.dots.left = message.left
    state.dots.mine = model.dotCounts(message.mine)
    schedule()
  }

  function dot(action, target) {
    if (!state.rights.vote) return
    if (!wall.send({ type: 'dot', action, target })) showAlert(gettext('Not connected: try again in a moment.'))
  }

  // --- Rendering ------------------------------------------------------------------------
  let pending = false
  function schedule() {
    if (pending) return
    pending = true
    const run = () => {
      if (!pending) return
      pending = false
      render()
    }
    window.requestAnimationFrame(run)
    window.setTimeout(run, 50)
  }

  function currentView() {
    return model.readWall(wall.doc, state.columns, sheet && sheet.doc)
  }

  function render() {
    renderHead()
    // A fresh document after a refusal is empty until it synced: keep the wall as it was.
    if (!state.started || !wall.synced) return
    compose.update()
    const view = currentView()
    renderJump(view)
    renderResults()
    const rights = state.rights
    const totals = totalsByTarget()
    const here = othersByNote()
    const canEditClusters = model.canEditClusters(rights) && !projection
    const commentsRoot = wall.doc.getMap('comments')
    board.render(view, {
      canEditClusters,
      note: (note) => {
        const target = model.noteTarget(note.id)
        const list = commentsRoot.get(note.id)
        return {
          here: projection ? [] : here.get(note.id) || [],
          total: totals ? totals.get(target) || 0 : null,
          vote: rights.vote && note.source === 'wall' && !projection,
          mine: state.dots.mine.get(target) || 0,
          left: state.dots.left,
          canEdit: !projection && model.canEditNote(note, rights, state.own),
          canMove: !projection && model.canMoveNote(note, rights),
          canComment: !projection && rights.comment,
          commentCount: list && typeof list.length === 'number' ? list.length : 0,
        }
      },
      cluster: (cluster) => {
        const target = model.clusterTarget(cluster.id)
        return {
          canEditClusters,
          total: totals ? totals.get(target) || 0 : null,
          vote: rights.vote && !projection,
          mine: state.dots.mine.get(target) || 0,
          left: state.dots.left,
        }
      },
    })
  }

  function renderHead() {
    const rights = state.rights
    const text = modeSentence(rights, state.dots.left, projection)
    const voters = rights.facilitate && rights.round && rights.round.open && state.voters !== null
      ? ` ${votersSentence(state.voters)}`
      : ''
    if (banner.textContent !== text + voters) banner.textContent = text + voters
    banner.dataset.mode = rights.mode
    const conn = {
      connecting: gettext('Connecting…'),
      connected: gettext('Connected'),
      synced: gettext('Live'),
      offline: rights.add ? gettext('Reconnecting… (your changes will be sent)') : gettext('Reconnecting…'),
      closed: state.closed,
    }[state.connection]
    if (connection.textContent !== conn) connection.textContent = conn || ''
    connection.dataset.state = state.connection
    renderPresence()
  }

  function setConnection(status) {
    if (state.connection === 'closed' && status !== 'connected') return
    if (status === 'connected') state.connection = wall && wall.synced ? 'synced' : 'connected'
    else if (status === 'disconnected') state.connection = 'offline'
    else if (status === 'connecting') state.connection = state.connection === 'offline' ? 'offline' : 'connecting'
    else state.connection = status
    renderHead()
  }

  let presenceKey = null
  function renderPresence() {
    if (!wall || !wall.provider) return
    const people = new Map()
    const localId = wall.doc.clientID
    wall.provider.awareness.getStates().forEach((aw, clientId) => {
      const user = aw && aw.user
      if (!user || !user.name) return
      const prev = people.get(user.name)
      people.set(user.name, { name: user.name, color: (prev && prev.color) || user.color, self: (prev && prev.self) || clientId === localId })
    })
    const list = [...people.values()].sort((a, b) => (a.self === b.self ? a.name.localeCompare(b.name, language()) : a.self ? -1 : 1))
    const key = JSON.stringify(list)
    if (key === presenceKey) return
    presenceKey = key
    const title = list.length === 0
      ? gettext('Nobody else is connected.')
      : list.length === 1
        ? gettext('One person on the wall:')
        : interpolate(gettext('%(count)s people on the wall:'), { count: list.length })
    presence.replaceChildren(
      h('p', { class: 'presence__title' }, title),
      list.length
        ? h('ul', { class: 'presence__list' }, list.map((p) => {
          const swatch = h('span', { class: 'presence__swatch', 'aria-hidden': 'true' })
          if (validColor(p.color)) swatch.style.backgroundColor = p.color
          return h('li', { class: 'presence__person' }, swatch, p.self ? interpolate(gettext('%(name)s (you)'), { name: p.name }) : p.name)
        }))
        : '',
    )
  }

  function othersByNote() {
    const found = new Map()
    if (!wall || !wall.provider) return found
    const localId = wall.doc.clientID
    wall.provider.awareness.getStates().forEach((aw, clientId) => {
      if (clientId === localId || !aw || typeof aw.focus !== 'string' || !aw.user) return
      const list = found.get(aw.focus) || []
      if (!list.some((p) => p.name === aw.user.name)) list.push({ name: String(aw.user.name || gettext('Someone')), color: aw.user.color })
      found.set(aw.focus, list)
    })
    return found
  }

  let jumpKey = ''
  function renderJump(view) {
    const key = JSON.stringify(view.map((c) => [c.key, c.label]))
    jump.hidden = view.length < 2
    if (key === jumpKey) return
    jumpKey = key
    jump.replaceChildren(h('ul', { class: 'wall-jump__list' }, view.map((c, i) =>
      h('li', {}, h('a', { href: `#wall-column-${i}`, class: 'wall-jump__link' }, c.label || gettext('Sticky notes'))))))
  }

  function revealed() {
    const round = state.rights.round
    return !!(state.results && Array.isArray(state.results.ranking) && (!round || round.revealed || state.results.round === round.id))
  }

  function totalsByTarget() {
    if (!revealed()) return null
    return new Map(state.results.ranking.map((r) => [r.target, Number(r.dots) || 0]))
  }

  let resultsKey = ''
  function renderResults() {
    const show = revealed()
    results.hidden = !show
    if (!show) {
      resultsKey = ''
      return
    }
    const rows = model.rankResults(state.results.ranking).filter((r) => r.dots > 0)
    const key = JSON.stringify(rows)
    if (key === resultsKey) return
    resultsKey = key
    results.replaceChildren(
      h('h2', { id: 'wall-live-results-title' }, gettext('Results of the vote')),
      rows.length
        ? h('ol', { class: 'wall-live-results__list' }, rows.map((r) =>
          h('li', { class: 'wall-live-results__row' },
            h('span', { class: 'wall-live-results__rank' }, interpolate(gettext('No. %(rank)s'), { rank: r.rank })),
            h('span', { class: 'wall-live-results__label', lang: 'fr' }, r.label || gettext('Untitled')),
            h('span', { class: 'wall-live-results__dots' }, dotsCount(r.dots)))))
        : h('p', {}, gettext('No dots were placed.')),
    )
  }

  // --- Announcements --------------------------------------------------------------------
  function announce(text) {
    live.textContent = ''
    window.setTimeout(() => {
      live.textContent = text
    }, 50)
  }

  let alertTimer = null
  function showAlert(text) {
    alertBox.textContent = text
    alertBox.hidden = !text
    window.clearTimeout(alertTimer)
    if (text) alertTimer = window.setTimeout(() => showAlert(''), 10000)
  }

  // Others' new notes, sparingly: at most one sentence every few seconds, a count if several.
  let newcomers = []
  let announceTimer = null
  let lastAnnounce = 0
  function noticeNew(doc, id) {
    if (projection) return
    newcomers.push({ doc, id })
    if (announceTimer) return
    const wait = Math.max(1500, lastAnnounce + ANNOUNCE_EVERY_MS - Date.now())
    announceTimer = window.setTimeout(() => {
      announceTimer = null
      lastAnnounce = Date.now()
      const found = newcomers.map(({ doc, id }) => doc.getMap('notes').get(id)).filter(Boolean)
      newcomers = []
      if (found.length === 1) {
        const note = found[0]
        const column = app.columns().find((c) => c.key === note.get('column'))
        const name = String(note.get('name') || '') || gettext('Someone')
        announce(column && column.label
          ? interpolate(gettext('New note from %(name)s in %(column)s.'), { name, column: column.label })
          : interpolate(gettext('%(name)s added a note.'), { name }))
      } else if (found.length > 1) {
        announce(interpolate(gettext('%(count)s new notes on the wall.'), { count: found.length }))
      }
    }, wait)
  }

  // --- Awareness: which note each person is on ------------------------------------------
  let focusTimer = null
  function focusNote(id) {
    if (projection || !wall.provider) return
    window.clearTimeout(focusTimer)
    focusTimer = window.setTimeout(() => {
      if (state.focus === id || !wall.provider) return
      state.focus = id
      wall.provider.awareness.setLocalStateField('focus', id)
    }, id ? 100 : 400)
  }

  // --- Changes --------------------------------------------------------------------------
  const docOf = (note) => (note.source === 'sheet' ? sheet && sheet.doc : wall.doc)
  const columnLabel = (key) => {
    const column = app.columns().find((c) => c.key === key)
    return (column && column.label) || gettext('Sticky notes')
  }
  const clusterName = (id) => {
    const c = wall.doc.getMap('clusters').get(id)
    return (c && c.get('name')) || gettext('Untitled group')
  }

  function refuseLocally(text) {
    showAlert(text)
    return false
  }

  function addNote({ text, colour, column, anonymous }) {
    const rights = state.rights
    if (!rights.add) return refuseLocally(modeSentence(rights, state.dots.left))
    const limits = app.limits()
    const value = model.clip(text, limits.text)
    if (!value) return refuseLocally(gettext('Write the text of the note first.'))
    if (model.textLength(text.trim()) > limits.text) return refuseLocally(gettext('Text too long: your last change was not saved.'))
    const doc = rights.sheet ? sheet && sheet.doc : wall.doc
    if (!doc) return false
    if (doc.getMap('notes').size >= limits.notes) return refuseLocally(gettext('The wall is full: your last change was not saved.'))
    const who = model.authorship(rights, anonymous)
    const id = model.addNote(doc, { text: value, colour, column, cluster: '', ...who }, { maxText: limits.text })
    if (!who.author) state.own.add(id)
    announce(interpolate(gettext('Note added in %(column)s.'), { column: columnLabel(column) }))
    return true
  }

  function editNote(note, { text, colour }) {
    if (!model.canEditNote(note, state.rights, state.own)) return refuseLocally(refusedSentence('not_yours'))
    const limits = app.limits()
    const value = model.clip(text, limits.text)
    if (!value) return refuseLocally(gettext('Write the text of the note first.'))
    model.editNote(docOf(note), note.id, { text: value, colour }, { maxText: limits.text })
    announce(gettext('Note saved.'))
    return true
  }

  function deleteNote(note) {
    if (!model.canDeleteNote(note, state.rights, state.own)) return refuseLocally(refusedSentence('not_yours'))
    const doc = docOf(note)
    const view = currentView()
    const order = model.readingOrder(view)
    const index = order.findIndex((n) => n.id === note.id && n.source === note.source)
    // Comments written by others may only be removed by a facilitator: leave them then.
    const comments = note.source === 'wall' ? model.readComments(doc, note.id) : []
    const dropComments = state.rights.facilitate || comments.every((c) => c.author && c.author === state.rights.me.key)
    model.deleteNote(doc, note.id, { comments: dropComments })
    announce(gettext('Note deleted.'))
    // Focus goes to the next note in reading order (or the previous one).
    const next = order[index + 1] || order[index - 1]
    window.setTimeout(() => {
      const comp = next && board.noteComponent(next)
      if (comp && comp.el.isConnected) comp.focus()
      else if (compose.area && !compose.el.hidden) compose.area.focus()
    }, 0)
    return true
  }

  function moveTargets(note) {
    const view = currentView()
    const targets = []
    for (const column of view) {
      const label = column.label || gettext('Sticky notes')
      targets.push({ value: `column:${column.key}`, label: interpolate(gettext('%(column)s (outside the groups)'), { column: label }) })
      if (note.source === 'sheet') continue
      for (const cluster of column.clusters) {
        targets.push({ value: `cluster:${cluster.id}`, label: `${label} › ${cluster.name || gettext('Untitled group')}` })
      }
    }
    return targets
  }

  function moveNoteTo(note, value) {
    if (!model.canMoveNote(note, state.rights)) return refuseLocally(modeSentence(state.rights, state.dots.left))
    const [kind, key] = [value.slice(0, value.indexOf(':')), value.slice(value.indexOf(':') + 1)]
    const doc = docOf(note)
    if (kind === 'cluster') {
      const cluster = wall.doc.getMap('clusters').get(key)
      if (!cluster || note.source === 'sheet') return false
      model.moveNote(doc, note.id, { cluster: key, columnOfCluster: String(cluster.get('column') || '') })
      announce(interpolate(gettext('Note moved to %(place)s.'), { place: `${columnLabel(String(cluster.get('column') || ''))} › ${clusterName(key)}` }))
    } else {
      model.moveNote(doc, note.id, { column: key, cluster: '' })
      announce(interpolate(gettext('Note moved to %(place)s.'), { place: columnLabel(key) }))
    }
    refocus(note)
    return true
  }

  function dropNote(note, { column, cluster, index }) {
    if (!model.canMoveNote(note, state.rights)) return false
    const doc = docOf(note)
    if (cluster) {
      const map = wall.doc.getMap('clusters').get(cluster)
      if (!map || note.source === 'sheet') return false
      model.moveNote(doc, note.id, { cluster, index, columnOfCluster: String(map.get('column') || '') })
    } else {
      model.moveNote(doc, note.id, { column, cluster: '', index })
    }
    return true
  }

  function stepNote(note, delta) {
    if (!model.canMoveNote(note, state.rights)) return false
    const moved = model.stepNote(docOf(note), note.id, delta, state.columns)
    announce(moved ? (delta < 0 ? gettext('Note moved up.') : gettext('Note moved down.')) : delta < 0 ? gettext('Already first.') : gettext('Already last.'))
    return moved
  }

  /** After a keyboard move, the focus follows the note to its new place. */
  function refocus(note) {
    render()
    const comp = board.noteComponent(note)
    if (comp) comp.focus()
  }

  function comment(note, text) {
    if (!state.rights.comment || note.source !== 'wall') return refuseLocally(modeSentence(state.rights, state.dots.left))
    const limits = app.limits()
    const value = model.clip(text, limits.comment)
    if (!value) return refuseLocally(gettext('Write your comment first.'))
    const me = state.rights.me
    model.addComment(wall.doc, note.id, { author: me.key, name: me.name, text: value }, { maxComment: limits.comment })
    announce(gettext('Comment added.'))
    return true
  }

  function addCluster(column, name) {
    if (!model.canEditClusters(state.rights)) return refuseLocally(modeSentence(state.rights, state.dots.left))
    const value = model.clip(name, app.limits().name)
    if (!value) return refuseLocally(gettext('Give the group a name first.'))
    model.addCluster(wall.doc, { name: value, column }, { maxName: app.limits().name })
    announce(interpolate(gettext('Group %(name)s created in %(column)s.'), { name: value, column: columnLabel(column) }))
    return true
  }

  function renameCluster(cluster, name) {
    if (!model.canEditClusters(state.rights)) return false
    const value = model.clip(name, app.limits().name)
    if (!value) return refuseLocally(gettext('Give the group a name first.'))
    model.renameCluster(wall.doc, cluster.id, value, { maxName: app.limits().name })
    announce(gettext('Group renamed.'))
    return true
  }

  function moveCluster(cluster, column) {
    if (!model.canEditClusters(state.rights)) return false
    model.moveCluster(wall.doc, cluster.id, { column })
    announce(interpolate(gettext('Group moved to %(place)s.'), { place: columnLabel(column) }))
    render()
    const comp = board.clusterComponent(cluster.id)
    if (comp) comp.focus()
    return true
  }

  function stepCluster(cluster, delta) {
    if (!model.canEditClusters(state.rights)) return false
    const moved = model.stepCluster(wall.doc, cluster.id, delta)
    announce(moved ? (delta < 0 ? gettext('Group moved up.') : gettext('Group moved down.')) : delta < 0 ? gettext('Already first.') : gettext('Already last.'))
    return moved
  }

  function deleteCluster(cluster) {
    if (!model.canEditClusters(state.rights)) return false
    model.deleteCluster(wall.doc, cluster.id)
    announce(gettext('Group deleted: its notes stay in the column.'))
    window.setTimeout(() => {
      const column = root.querySelector(`.wall-column[data-column="${CSS.escape(cluster.column)}"] h2`)
      if (column) {
        column.setAttribute('tabindex', '-1')
        column.focus()
      }
    }, 0)
    return true
  }

  /** A form that starts a proposal from a note or a group (a plain POST: the page moves on). */
  function proposeForm(target, label) {
    if (!propose || projection || !propose.action) return null
    return h('form', { method: 'post', action: propose.action, class: 'wall-propose' },
      h('input', { type: 'hidden', name: 'csrfmiddlewaretoken', value: propose.token }),
      h('input', { type: 'hidden', name: 'target', value: target }),
      h('button', { type: 'submit', class: 'wall-button wall-button--small' }, label))
  }

  // --- Drag and drop ----------------------------------------------------------------------
  function dragStart(event, note) {
    if (!note || projection || !model.canMoveNote(note, state.rights)) {
      event.preventDefault()
      return
    }
    state.dragging = note
    event.dataTransfer.effectAllowed = 'move'
    event.dataTransfer.setData('text/plain', note.text)
    const comp = board.noteComponent(note)
    if (comp) window.setTimeout(() => comp.el.classList.add('note--dragging'), 0)
    root.classList.add('wall--dragging')
  }

  function dragEnd() {
    const note = state.dragging
    state.dragging = null
    root.classList.remove('wall--dragging')
    board.clearMarks()
    const comp = note && board.noteComponent(note)
    if (comp) comp.el.classList.remove('note--dragging')
  }

  // --- The form of a new note -----------------------------------------------------------
  function createCompose() {
    const field = textField({ id: 'wall-new-text', label: gettext('Your idea'), max: 300, rows: 3 })
    const colours = colourChoice('wall-new-colour', 'jaune', gettext('Colour'))
    const columnSelect = h('select', { id: 'wall-new-column' })
    const columnField = h('div', { class: 'field' }, h('label', { for: 'wall-new-column' }, gettext('Column')), columnSelect)
    const anonymous = h('input', { type: 'checkbox', id: 'wall-new-anonymous' })
    const anonymousField = h('div', { class: 'field field--checkbox' }, anonymous,
      h('label', { for: 'wall-new-anonymous' }, gettext('Anonymous note (the others will not see your name)')))
    const note = h('p', { class: 'wall-compose__note' })
    const form = h('form', { class: 'wall-compose__form', onsubmit: (event) => {
      event.preventDefault()
      const added = addNote({
        text: field.area.value,
        colour: checkedColour(form, 'wall-new-colour'),
        column: columnSelect.value || (app.columns()[0] || { key: '' }).key,
        anonymous: anonymous.checked,
      })
      if (added) {
        field.area.value = ''
        field.refresh()
        field.area.focus()
      }
    } },
    field.el,
    h('div', { class: 'wall-compose__options' }, colours, columnField),
    anonymousField,
    h('button', { type: 'submit', class: 'wall-button' }, gettext('Add the note')))
    field.area.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault()
        form.requestSubmit()
      }
    })
    const el = h('section', { class: 'wall-compose', 'aria-labelledby': 'wall-compose-title' },
      h('h2', { id: 'wall-compose-title', class: 'wall-compose__title' }, gettext('Add a note')), note, form)

    let columnsKey = ''
    function update() {
      const rights = state.rights
      el.hidden = projection || !rights.add
      const columns = app.columns()
      const key = JSON.stringify(columns)
      if (key !== columnsKey) {
        columnsKey = key
        const chosen = columnSelect.value
        columnSelect.replaceChildren(...columns.map((c) => h('option', { value: c.key }, c.label || gettext('Sticky notes'))))
        if (columns.some((c) => c.key === chosen)) columnSelect.value = chosen
      }
      columnField.hidden = columns.length < 2
      anonymousField.hidden = !rights.anonymous
      if (!rights.anonymous) anonymous.checked = false
      const max = app.limits().text
      if (field.area.maxLength !== max) {
        field.area.maxLength = max
        field.refresh()
      }
      note.textContent = rights.sheet ? gettext('Your notes stay private until the facilitator reveals them.') : ''
      note.hidden = !rights.sheet
    }
    return { el, update, area: field.area }
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen()
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {})
  }

  // --- Open the sockets -------------------------------------------------------------------
  wall = createLiveDoc({
    base,
    room,
    awareness,
    onControl: control,
    onStatus: (status) => setConnection(status),
    onSynced: () => {
      setConnection('synced')
      start()
      schedule()
    },
    onReset: (doc) => {
      state.focus = null // the fresh awareness knows of no note
      bindDoc(doc, 'wall')
    },
    onClosed: (code) => {
      state.connection = 'closed'
      state.closed = closeSentence(code)
      renderHead()
    },
  })
  bindDoc(wall.doc, 'wall')
  syncSheet()
  renderHead()
  window.agoraWall = {
    get doc() { return wall.doc },
    get sheetDoc() { return sheet && sheet.doc },
    get provider() { return wall.provider },
    get state() { return state },
    render,
    view: () => model.readingOrder(currentView()),
  }
  return window.agoraWall
}

const root = document.getElementById('wall-editor') || document.querySelector('[data-wall-editor]')
if (root && root.dataset.ydocRoom) mount(root)
