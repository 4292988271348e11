// The idea wall's document, without the DOM: reading it in reading order, the rules the
// server enforces (mirrored so that an honest person is never refused), and the changes
// the page makes. Tested with stock yjs by frontend/test/wall-model.test.mjs.
//
// Roots (docs/protocol.md, "Idea walls"):
//   notes:    Y.Map<note id, Y.Map{text, colour, column, cluster, order, author, name}>
//   clusters: Y.Map<cluster id, Y.Map{name, column, order}>
//   comments: Y.Map<note id, Y.Array<{id, author, name, text, at}>>
// A person's private sheet in silent writing holds the same `notes` root.

import * as Y from 'yjs'

export const COLOURS = ['jaune', 'rose', 'bleu', 'vert', 'orange', 'violet']
export const LIMITS = { text: 300, name: 80, comment: 500 }
export const MODES = ['open', 'silent', 'vote', 'readonly']
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'
export const ID_PATTERN = /^[A-Za-z0-9_-]{6,40}$/

/** A random id of 16 characters from the contract's alphabet (64 symbols: no bias). */
export function newId(random = defaultRandom) {
  const bytes = random(16)
  let id = ''
  for (const byte of bytes) id += ID_ALPHABET[byte & 63]
  return id
}

function defaultRandom(n) {
  const bytes = new Uint8Array(n)
  globalThis.crypto.getRandomValues(bytes)
  return bytes
}

/** The limits the server announced, or the contract's. */
export function limitsOf(abilities) {
  const given = (abilities && abilities.limits) || {}
  const pick = (names, fallback) => {
    for (const name of names) {
      const value = Number(given[name])
      if (Number.isFinite(value) && value > 0) return value
    }
    return fallback
  }
  return {
    text: pick(['text', 'note_text', 'note'], LIMITS.text),
    name: pick(['name', 'cluster_name', 'cluster'], LIMITS.name),
    comment: pick(['comment', 'comment_text'], LIMITS.comment),
    notes: pick(['notes', 'max_notes'], Infinity),
  }
}

/** Text as the server accepts it: trimmed, never longer than `max` characters. */
export function clip(text, max) {
  const value = String(text || '').replace(/\r\n?/g, '\n').trim()
  return [...value].length > max ? [...value].slice(0, max).join('') : value
}

export const textLength = (text) => [...String(text || '')].length

// --- Reading -------------------------------------------------------------------------

const str = (value) => (typeof value === 'string' ? value : '')
const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : 0)
const byOrder = (a, b) => a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

function plainNote(id, map, source) {
  const get = (key) => (map instanceof Y.Map ? map.get(key) : undefined)
  const colour = str(get('colour'))
  return {
    id,
    source, // "wall" or "sheet" (the person's private sheet in silent writing)
    text: str(get('text')),
    colour: COLOURS.includes(colour) ? colour : COLOURS[0],
    column: str(get('column')),
    cluster: str(get('cluster')),
    order: num(get('order')),
    author: str(get('author')),
    name: str(get('name')),
  }
}

/** Every note of a document's `notes` root, as plain objects. */
export function readNotes(doc, source = 'wall') {
  const notes = []
  doc.getMap('notes').forEach((map, id) => notes.push(plainNote(id, map, source)))
  return notes
}

export function readClusters(doc) {
  const clusters = []
  doc.getMap('clusters').forEach((map, id) => {
    if (!(map instanceof Y.Map)) return
    clusters.push({ id, name: str(map.get('name')), column: str(map.get('column')), order: num(map.get('order')) })
  })
  return clusters
}

export function readComments(doc, noteId) {
  const list = doc.getMap('comments').get(noteId)
  if (!(list instanceof Y.Array)) return []
  return list
    .toArray()
    .filter((c) => c && typeof c === 'object' && typeof c.text === 'string')
    .map((c) => ({ id: str(c.id), author: str(c.author), name: str(c.name), text: c.text, at: str(c.at) }))
}

export function commentCount(doc, noteId) {
  const list = doc.getMap('comments').get(noteId)
  return list instanceof Y.Array ? list.length : 0
}

/**
 * The wall in reading order, as the server's page reads it (workshops.walls.reading_order):
 * each column (in the wall's order; a wall without columns has one, key ""), its groups
 * first, each with its notes, then its notes outside any group.
 * A note whose column is unknown reads in the first column; a note whose group is gone
 * reads outside any group; a note in a group reads in the group's column.
 * `sheetDoc`: the person's private notes (silent writing), read with the others.
 */
export function readWall(doc, columns, sheetDoc = null) {
  const keys = columns && columns.length ? columns.map((c) => c.key) : ['']
  const home = (key) => (keys.includes(key) ? key : keys[0])
  const clusters = readClusters(doc).map((c) => ({ ...c, column: home(c.column), notes: [] }))
  const clusterById = new Map(clusters.map((c) => [c.id, c]))
  const notes = readNotes(doc, 'wall')
  if (sheetDoc) notes.push(...readNotes(sheetDoc, 'sheet'))
  const view = keys.map((key) => {
    const column = (columns || []).find((c) => c.key === key)
    return { key, label: column ? column.label : '', notes: [], clusters: [] }
  })
  const viewByKey = new Map(view.map((c) => [c.key, c]))
  for (const note of notes) {
    const cluster = note.cluster && clusterById.get(note.cluster)
    if (cluster) {
      note.column = cluster.column
      cluster.notes.push(note)
    } else {
      note.cluster = ''
      note.column = home(note.column)
      viewByKey.get(note.column).notes.push(note)
    }
  }
  for (const cluster of clusters) {
    cluster.notes.sort(byOrder)
    viewByKey.get(cluster.column).clusters.push(cluster)
  }
  for (const column of view) {
    column.notes.sort(byOrder)
    column.clusters.sort(byOrder)
  }
  return view
}

/** The notes in reading order, flat (for the list the screen reader walks, and tests). */
export function readingOrder(view) {
  const out = []
  for (const column of view) {
    for (const cluster of column.clusters) out.push(...cluster.notes)
    out.push(...column.notes)
  }
  return out
}

// --- Order -----------------------------------------------------------------------------

/** An order between two neighbours' (either may be missing). */
export function orderBetween(before, after) {
  const a = typeof before === 'number' ? before : null
  const b = typeof after === 'number' ? after : null
  if (a === null && b === null) return 0
  if (a === null) return b - 1
  if (b === null) return a + 1
  if (a === b) return a
  return a + (b - a) / 2
}

/** The order for putting something at `index` of `siblings` (sorted, without the thing). */
export function orderAt(siblings, index) {
  const i = Math.max(0, Math.min(index, siblings.length))
  const before = i > 0 ? siblings[i - 1].order : undefined
  const after = i < siblings.length ? siblings[i].order : undefined
  return orderBetween(before, after)
}

/** True when the orders around `index` leave no room (equal, or floats exhausted). */
export function needsRenumber(siblings, index) {
  const i = Math.max(0, Math.min(index, siblings.length))
  if (i === 0 || i === siblings.length) return false
  const a = siblings[i - 1].order
  const b = siblings[i].order
  const mid = a + (b - a) / 2
  return !(mid > a && mid < b)
}

// --- Rules (the server's, mirrored) ---------------------------------------------------

/**
 * What this person may do now, from the server's `abilities` (edit, mode, facilitate,
 * anonymous, me, sheet, round). `wall`: change the shared wall (open writing; only the
 * facilitators in silent writing and during a vote; nobody when read only). `sheet`: write
 * on one's private sheet (silent writing).
 */
export function rightsOf(abilities) {
  const ab = abilities || {}
  const mode = MODES.includes(ab.mode) ? ab.mode : 'readonly'
  const edit = !!ab.edit && mode !== 'readonly'
  const facilitate = !!ab.facilitate
  const wall = edit && (mode === 'open' || facilitate)
  const sheet = edit && mode === 'silent' && typeof ab.sheet === 'string' && ab.sheet !== ''
  const round = ab.round && typeof ab.round === 'object' ? ab.round : null
  return {
    mode,
    edit,
    facilitate,
    wall,
    sheet,
    add: wall || sheet,
    anonymous: !!ab.anonymous && (wall || sheet),
    comment: wall,
    me: ab.me && typeof ab.me === 'object' ? { key: str(ab.me.key), name: str(ab.me.name) } : { key: '', name: '' },
    vote: !!(round && round.open) && !!ab.edit,
    round,
  }
}

/** Is this note the person's? Anonymous ones are known by the ids this browser wrote. */
export function isMine(note, rights, anonymousIds = null) {
  if (note.source === 'sheet') return true
  if (note.author) return !!rights.me.key && note.author === rights.me.key
  return !!anonymousIds && anonymousIds.has(note.id)
}

/** The document a change to this note goes to, if the person may change it at all. */
function writable(note, rights) {
  return note.source === 'sheet' ? rights.sheet : rights.wall
}

export function canEditNote(note, rights, anonymousIds = null) {
  return writable(note, rights) && (rights.facilitate || isMine(note, rights, anonymousIds))
}

export const canDeleteNote = canEditNote

export function canMoveNote(note, rights) {
  return writable(note, rights)
}

export function canEditClusters(rights) {
  return rights.wall
}

/** The author fields of a new note: the person, or nobody when anonymous (if allowed). */
export function authorship(rights, anonymous) {
  if (anonymous && rights.anonymous) return { author: '', name: '' }
  return { author: rights.me.key, name: rights.me.name }
}

// --- Changes -------------------------------------------------------------------------

/** Adds a note at the end of its column (or group); returns its id. */
export function addNote(doc, { text, colour, column = '', cluster = '', author = '', name = '' }, options = {}) {
  const notes = doc.getMap('notes')
  const id = options.id || newId()
  const siblings = siblingsOf(doc, column, cluster)
  const order = siblings.length ? siblings[siblings.length - 1].order + 1 : 0
  const map = new Y.Map()
  doc.transact(() => {
    notes.set(id, map)
    map.set('text', clip(text, options.maxText || LIMITS.text))
    map.set('colour', COLOURS.includes(colour) ? colour : COLOURS[0])
    map.set('column', column)
    map.set('cluster', cluster)
    map.set('order', order)
    map.set('author', author)
    map.set('name', name)
  })
  return id
}

/** The notes that share a place (a group, or a column outside any group), sorted. */
export function siblingsOf(doc, column, cluster, exceptId = null) {
  const clusterIds = new Set(doc.getMap('clusters').keys())
  return readNotes(doc)
    .filter((n) => n.id !== exceptId)
    .filter((n) => {
      const inCluster = n.cluster && clusterIds.has(n.cluster) ? n.cluster : ''
      return cluster ? inCluster === cluster : !inCluster && n.column === column
    })
    .sort(byOrder)
}

export function editNote(doc, id, { text, colour }, options = {}) {
  const map = doc.getMap('notes').get(id)
  if (!(map instanceof Y.Map)) return false
  doc.transact(() => {
    if (text !== undefined) {
      const value = clip(text, options.maxText || LIMITS.text)
      if (value !== map.get('text')) map.set('text', value)
    }
    if (colour !== undefined && COLOURS.includes(colour) && colour !== map.get('colour')) map.set('colour', colour)
  })
  return true
}

/**
 * Deletes a note and, unless `comments` is false, its comments (only a facilitator, or the
 * author of every one of them, may remove comments: the page asks for them only then).
 */
export function deleteNote(doc, id, { comments = true } = {}) {
  doc.transact(() => {
    doc.getMap('notes').delete(id)
    const lists = doc.getMap('comments')
    if (comments && lists.has(id)) lists.delete(id)
  })
}

/**
 * Moves a note to a column (outside any group) or into a group, at `index` among the
 * notes already there (the end when omitted). Only the keys that change are written.
 * `columnOfCluster`: the group's column (the note follows it).
 */
export function moveNote(doc, id, { column = '', cluster = '', index = Infinity, columnOfCluster = null }) {
  const map = doc.getMap('notes').get(id)
  if (!(map instanceof Y.Map)) return false
  const targetColumn = cluster ? (columnOfCluster !== null ? columnOfCluster : clusterColumn(doc, cluster, column)) : column
  const siblings = siblingsOf(doc, targetColumn, cluster, id)
  const at = Math.max(0, Math.min(index, siblings.length))
  doc.transact(() => {
    if (needsRenumber(siblings, at)) {
      siblings.forEach((s, i) => {
        const other = doc.getMap('notes').get(s.id)
        if (other instanceof Y.Map) other.set('order', i)
        s.order = i
      })
    }
    const order = orderAt(siblings, at)
    if (map.get('column') !== targetColumn) map.set('column', targetColumn)
    if (map.get('cluster') !== cluster) map.set('cluster', cluster)
    if (map.get('order') !== order) map.set('order', order)
  })
  return true
}

function clusterColumn(doc, clusterId, fallback) {
  const map = doc.getMap('clusters').get(clusterId)
  return map instanceof Y.Map ? str(map.get('column')) : fallback
}

/** One step up or down among the note's siblings (keyboard reordering). */
export function stepNote(doc, id, delta, columns) {
  const note = readNotes(doc).find((n) => n.id === id)
  if (!note) return false
  const view = readWall(doc, columns)
  const place = placeOf(view, id)
  if (!place) return false
  const index = place.siblings.findIndex((n) => n.id === id)
  const target = index + delta
  if (target < 0 || target >= place.siblings.length) return false
  return moveNote(doc, id, { column: place.column, cluster: place.cluster, index: target })
}

/** Where a note reads: its column, group and siblings (itself included). */
export function placeOf(view, id) {
  for (const column of view) {
    if (column.notes.some((n) => n.id === id)) return { column: column.key, cluster: '', siblings: column.notes }
    for (const cluster of column.clusters) {
      if (cluster.notes.some((n) => n.id === id)) return { column: column.key, cluster: cluster.id, siblings: cluster.notes }
    }
  }
  return null
}

export function addCluster(doc, { name, column = '' }, options = {}) {
  const clusters = doc.getMap('clusters')
  const id = options.id || newId()
  const siblings = readClusters(doc).filter((c) => c.column === column).sort(byOrder)
  const map = new Y.Map()
  doc.transact(() => {
    clusters.set(id, map)
    map.set('name', clip(name, options.maxName || LIMITS.name))
    map.set('column', column)
    map.set('order', siblings.length ? siblings[siblings.length - 1].order + 1 : 0)
  })
  return id
}

export function renameCluster(doc, id, name, options = {}) {
  const map = doc.getMap('clusters').get(id)
  if (!(map instanceof Y.Map)) return false
  const value = clip(name, options.maxName || LIMITS.name)
  if (value && value !== map.get('name')) map.set('name', value)
  return true
}

/** Moves a group (and its notes, which read in its column) to a column, at `index`. */
export function moveCluster(doc, id, { column, index = Infinity }) {
  const map = doc.getMap('clusters').get(id)
  if (!(map instanceof Y.Map)) return false
  const siblings = readClusters(doc).filter((c) => c.column === column && c.id !== id).sort(byOrder)
  const at = Math.max(0, Math.min(index, siblings.length))
  doc.transact(() => {
    if (needsRenumber(siblings, at)) {
      siblings.forEach((s, i) => {
        doc.getMap('clusters').get(s.id).set('order', i)
        s.order = i
      })
    }
    const order = orderAt(siblings, at)
    if (map.get('column') !== column) map.set('column', column)
    if (map.get('order') !== order) map.set('order', order)
    doc.getMap('notes').forEach((note) => {
      if (note instanceof Y.Map && note.get('cluster') === id && note.get('column') !== column) note.set('column', column)
    })
  })
  return true
}

export function stepCluster(doc, id, delta) {
  const cluster = readClusters(doc).find((c) => c.id === id)
  if (!cluster) return false
  const siblings = readClusters(doc).filter((c) => c.column === cluster.column).sort(byOrder)
  const index = siblings.findIndex((c) => c.id === id)
  const target = index + delta
  if (target < 0 || target >= siblings.length) return false
  return moveCluster(doc, id, { column: cluster.column, index: target })
}

/** Deletes a group; its notes stay, outside any group, at the end of its column. */
export function deleteCluster(doc, id) {
  const map = doc.getMap('clusters').get(id)
  if (!(map instanceof Y.Map)) return false
  const column = str(map.get('column'))
  const loose = siblingsOf(doc, column, '')
  let order = loose.length ? loose[loose.length - 1].order + 1 : 0
  const members = readNotes(doc).filter((n) => n.cluster === id).sort(byOrder)
  doc.transact(() => {
    for (const note of members) {
      const noteMap = doc.getMap('notes').get(note.id)
      noteMap.set('cluster', '')
      if (noteMap.get('column') !== column) noteMap.set('column', column)
      noteMap.set('order', order++)
    }
    doc.getMap('clusters').delete(id)
  })
  return true
}

export function addComment(doc, noteId, { author, name, text }, options = {}) {
  const comments = doc.getMap('comments')
  const comment = {
    id: options.id || newId(),
    author,
    name,
    text: clip(text, options.maxComment || LIMITS.comment),
    at: options.at || new Date().toISOString(),
  }
  doc.transact(() => {
    let list = comments.get(noteId)
    if (!(list instanceof Y.Array)) {
      list = new Y.Array()
      comments.set(noteId, list)
    }
    list.push([comment])
  })
  return comment.id
}

// --- Dots --------------------------------------------------------------------------------

export const noteTarget = (id) => `n:${id}`
export const clusterTarget = (id) => `c:${id}`

/** The person's dots per target, from a `dots` control's `mine` (a list or counts). */
export function dotCounts(mine) {
  const counts = new Map()
  if (Array.isArray(mine)) {
    for (const target of mine) if (typeof target === 'string') counts.set(target, (counts.get(target) || 0) + 1)
  } else if (mine && typeof mine === 'object') {
    for (const [target, count] of Object.entries(mine)) {
      const n = Number(count)
      if (n > 0) counts.set(target, n)
    }
  }
  return counts
}

/** Results ranked for display: most dots first, ties by label; each with its rank (ties share). */
export function rankResults(ranking) {
  const rows = (Array.isArray(ranking) ? ranking : [])
    .filter((r) => r && typeof r.target === 'string')
    .map((r) => ({ target: r.target, label: str(r.label), dots: Math.max(0, Math.floor(Number(r.dots) || 0)) }))
    .sort((a, b) => b.dots - a.dots || a.label.localeCompare(b.label) || (a.target < b.target ? -1 : 1))
  let rank = 0
  let previous = null
  rows.forEach((row, i) => {
    if (row.dots !== previous) rank = i + 1
    previous = row.dots
    row.rank = rank
  })
  return rows
}
