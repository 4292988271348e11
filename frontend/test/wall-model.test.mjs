// The idea wall's client logic (frontend/src/walls/model.js) with stock yjs: reading order,
// moves and groups, two writers converging, and the server's rules as the page mirrors them.
// Run by tests/workshops/test_wall_client_node.py (or: node --test test/wall-model.test.mjs).

import assert from 'node:assert/strict'
import { test } from 'node:test'

import * as Y from 'yjs'

import {
  addCluster,
  addComment,
  addNote,
  authorship,
  canDeleteNote,
  canEditClusters,
  canEditNote,
  canMoveNote,
  clip,
  deleteCluster,
  deleteNote,
  dotCounts,
  ID_PATTERN,
  moveCluster,
  moveNote,
  newId,
  orderBetween,
  rankResults,
  readComments,
  readingOrder,
  readWall,
  renameCluster,
  rightsOf,
  stepNote,
} from '../src/walls/model.js'

const COLUMNS = [
  { key: 'constats', label: 'Constats' },
  { key: 'idees', label: 'Idées' },
]
const ME = { key: 'u7', name: 'Camille D.' }
const texts = (notes) => notes.map((n) => n.text)

function sync(a, b) {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
}

test('ids follow the contract and do not repeat', () => {
  const ids = new Set(Array.from({ length: 500 }, () => newId()))
  assert.equal(ids.size, 500)
  for (const id of ids) assert.match(id, ID_PATTERN)
})

test('notes read column by column: each group, then the notes outside any group, in order', () => {
  const doc = new Y.Doc()
  const a = addNote(doc, { text: 'Bus trop rares', colour: 'rose', column: 'constats', author: 'u7', name: 'Camille D.' })
  addNote(doc, { text: 'Navettes', colour: 'bleu', column: 'idees' })
  addNote(doc, { text: 'Pistes cyclables', column: 'idees' })
  const cluster = addCluster(doc, { name: 'Transports', column: 'idees' })
  moveNote(doc, a, { cluster })
  const view = readWall(doc, COLUMNS)
  assert.deepEqual(view.map((c) => c.label), ['Constats', 'Idées'])
  assert.deepEqual(texts(view[0].notes), [])
  assert.deepEqual(texts(view[1].notes), ['Navettes', 'Pistes cyclables'])
  assert.equal(view[1].clusters[0].name, 'Transports')
  assert.deepEqual(texts(view[1].clusters[0].notes), ['Bus trop rares'])
  assert.equal(view[1].clusters[0].notes[0].column, 'idees', 'a note reads in its group\'s column')
  assert.deepEqual(texts(readingOrder(view)), ['Bus trop rares', 'Navettes', 'Pistes cyclables'])
  assert.equal(doc.getMap('notes').get(a).get('column'), 'idees', 'moving into a group takes its column')
  const note = view[1].clusters[0].notes[0]
  assert.deepEqual([note.colour, note.author, note.name], ['rose', 'u7', 'Camille D.'])
})

test('unknown columns and vanished groups still read somewhere, and bad values are tamed', () => {
  const doc = new Y.Doc()
  const weird = new Y.Map()
  doc.getMap('notes').set('weird01', weird)
  weird.set('text', 'Perdue')
  weird.set('colour', 'noir')
  weird.set('column', 'gone')
  weird.set('cluster', 'nope00')
  weird.set('order', 'x')
  const view = readWall(doc, COLUMNS)
  assert.deepEqual(texts(view[0].notes), ['Perdue'])
  assert.equal(view[0].notes[0].colour, 'jaune')
  // A wall without columns has one, without a label.
  const single = readWall(doc, [])
  assert.deepEqual(single.map((c) => c.key), [''])
  assert.deepEqual(texts(single[0].notes), ['Perdue'])
})

test('reordering by keyboard and by drop, with a renumber when the orders run out', () => {
  const doc = new Y.Doc()
  const ids = ['Un', 'Deux', 'Trois'].map((text) => addNote(doc, { text, column: 'constats' }))
  const order = () => texts(readWall(doc, COLUMNS)[0].notes)
  assert.ok(stepNote(doc, ids[2], -1, COLUMNS))
  assert.deepEqual(order(), ['Un', 'Trois', 'Deux'])
  assert.ok(!stepNote(doc, ids[0], -1, COLUMNS), 'the first cannot go up')
  moveNote(doc, ids[0], { column: 'constats', index: 2 })
  assert.deepEqual(order(), ['Trois', 'Deux', 'Un'])
  // Squeeze many times between the same two neighbours: floats run out, then renumber.
  for (let i = 0; i < 80; i++) {
    const view = readWall(doc, COLUMNS)[0].notes
    const moving = view[view.length - 1].id
    moveNote(doc, moving, { column: 'constats', index: 1 })
  }
  const orders = readWall(doc, COLUMNS)[0].notes.map((n) => n.order)
  assert.equal(new Set(orders).size, 3, `orders stay distinct: ${orders}`)
  assert.equal(orderBetween(undefined, undefined), 0)
  assert.equal(orderBetween(2, undefined), 3)
  assert.equal(orderBetween(undefined, 2), 1)
  assert.equal(orderBetween(1, 2), 1.5)
})

test('a move writes only what changes', () => {
  const doc = new Y.Doc()
  const id = addNote(doc, { text: 'x', column: 'constats' })
  const keys = []
  doc.getMap('notes').get(id).observe((event) => keys.push(...event.keysChanged))
  moveNote(doc, id, { column: 'idees' })
  assert.ok(keys.includes('column'))
  assert.deepEqual(keys.filter((k) => k !== 'column' && k !== 'order'), [], `only column and order: ${keys}`)
})

test('groups: rename, move with their notes, delete leaving the notes loose', () => {
  const doc = new Y.Doc()
  const g = addCluster(doc, { name: 'Mobilité', column: 'constats' })
  const n1 = addNote(doc, { text: 'A', column: 'constats' })
  const n2 = addNote(doc, { text: 'B', column: 'constats' })
  moveNote(doc, n1, { cluster: g })
  moveNote(doc, n2, { cluster: g, index: 0 })
  renameCluster(doc, g, '  Mobilités  ')
  assert.equal(readWall(doc, COLUMNS)[0].clusters[0].name, 'Mobilités')
  assert.deepEqual(texts(readWall(doc, COLUMNS)[0].clusters[0].notes), ['B', 'A'])
  moveCluster(doc, g, { column: 'idees' })
  let view = readWall(doc, COLUMNS)
  assert.equal(view[0].clusters.length, 0)
  assert.deepEqual(texts(view[1].clusters[0].notes), ['B', 'A'])
  assert.equal(doc.getMap('notes').get(n1).get('column'), 'idees')
  addNote(doc, { text: 'C', column: 'idees' })
  deleteCluster(doc, g)
  view = readWall(doc, COLUMNS)
  assert.equal(view[1].clusters.length, 0)
  assert.deepEqual(texts(view[1].notes), ['C', 'B', 'A'], 'the group\'s notes follow, in their order')
})

test('two writers change the wall at once and converge', () => {
  const alice = new Y.Doc()
  const bob = new Y.Doc()
  const g = addCluster(alice, { name: 'Santé', column: 'idees' })
  const shared = addNote(alice, { text: 'Médecins', column: 'constats' })
  sync(alice, bob)
  // At the same time: Alice moves the note into the group, Bob edits its colour and adds two.
  moveNote(alice, shared, { cluster: g })
  const other = addNote(alice, { text: 'Pharmacies', column: 'constats' })
  bob.getMap('notes').get(shared).set('colour', 'vert')
  addNote(bob, { text: 'Télémédecine', column: 'idees' })
  addComment(bob, shared, { author: 'u9', name: 'Bob', text: 'Oui !' })
  sync(alice, bob)
  const a = readWall(alice, COLUMNS)
  const b = readWall(bob, COLUMNS)
  assert.deepEqual(a, b)
  assert.deepEqual(texts(a[1].clusters[0].notes), ['Médecins'])
  assert.equal(a[1].clusters[0].notes[0].colour, 'vert')
  assert.deepEqual(texts(a[0].notes), ['Pharmacies'])
  assert.deepEqual(readComments(alice, shared).map((c) => c.text), ['Oui !'])
  deleteNote(alice, shared)
  deleteNote(bob, other)
  sync(alice, bob)
  assert.deepEqual(texts(readingOrder(readWall(alice, COLUMNS))), ['Télémédecine'])
  assert.equal(alice.getMap('comments').has(shared), false, 'a note\'s comments go with it')
})

test('the private sheet reads with the wall, marked as such', () => {
  const wall = new Y.Doc()
  const sheet = new Y.Doc()
  addNote(wall, { text: 'Publique', column: 'constats', author: 'u1', name: 'Ali' })
  addNote(sheet, { text: 'À moi', column: 'idees', author: ME.key, name: ME.name })
  const view = readWall(wall, COLUMNS, sheet)
  assert.deepEqual(view[1].notes.map((n) => [n.text, n.source]), [['À moi', 'sheet']])
  assert.equal(view[0].notes[0].source, 'wall')
})

test('the rules mirror the server: modes, authors, facilitators', () => {
  const base = { edit: true, facilitate: false, anonymous: true, me: ME, sheet: '', round: null }
  const mine = { id: 'n1', source: 'wall', author: ME.key }
  const theirs = { id: 'n2', source: 'wall', author: 'u8' }
  const anonymous = { id: 'n3', source: 'wall', author: '' }

  const open = rightsOf({ ...base, mode: 'open' })
  assert.ok(open.add && open.wall && open.comment && canEditClusters(open))
  assert.ok(canEditNote(mine, open) && canDeleteNote(mine, open))
  assert.ok(!canEditNote(theirs, open) && !canDeleteNote(theirs, open))
  assert.ok(canMoveNote(theirs, open), 'anyone who writes may move any note')
  assert.ok(!canEditNote(anonymous, open), 'an anonymous note is not known as mine…')
  assert.ok(canEditNote(anonymous, open, new Set(['n3'])), '…unless this browser wrote it')
  assert.deepEqual(authorship(open, false), { author: ME.key, name: ME.name })
  assert.deepEqual(authorship(open, true), { author: '', name: '' })
  assert.deepEqual(authorship(rightsOf({ ...base, anonymous: false, mode: 'open' }), true),
    { author: ME.key, name: ME.name }, 'anonymous only when the facilitator allows it')

  const facilitator = rightsOf({ ...base, facilitate: true, mode: 'vote' })
  assert.ok(facilitator.wall && canEditNote(theirs, facilitator) && canMoveNote(theirs, facilitator))

  const silent = rightsOf({ ...base, mode: 'silent', sheet: '9c1f0d7e-2a47-4a51-8e0e-3f6b1c2d4e5f' })
  assert.ok(silent.add && silent.sheet && !silent.wall && !silent.comment)
  assert.ok(canEditNote({ id: 's', source: 'sheet', author: ME.key }, silent))
  assert.ok(!canMoveNote(theirs, silent) && !canEditClusters(silent))
  assert.ok(!rightsOf({ ...base, mode: 'silent' }).add, 'no sheet, nothing to write on')

  const vote = rightsOf({ ...base, mode: 'vote', round: { id: 1, dots: 3, left: 3, open: true, revealed: false } })
  assert.ok(!vote.add && !vote.wall && vote.vote)
  assert.ok(!canMoveNote(mine, vote))

  for (const ab of [{ ...base, mode: 'readonly' }, { ...base, mode: 'readonly', facilitate: true }, { ...base, edit: false, mode: 'open' }, {}]) {
    const r = rightsOf(ab)
    assert.ok(!r.add && !r.wall && !r.sheet && !r.comment && !r.vote, JSON.stringify(ab))
  }
})

test('texts are trimmed and clipped by characters, not bytes', () => {
  assert.equal(clip('  bonjour  ', 300), 'bonjour')
  assert.equal([...clip('é'.repeat(400), 300)].length, 300)
  assert.equal(clip('👍'.repeat(5), 3), '👍👍👍')
  const doc = new Y.Doc()
  const id = addNote(doc, { text: 'x'.repeat(1000) })
  assert.equal(doc.getMap('notes').get(id).get('text').length, 300)
})

test('dots and results', () => {
  assert.deepEqual([...dotCounts(['n:a', 'n:a', 'c:b'])], [['n:a', 2], ['c:b', 1]])
  assert.deepEqual([...dotCounts({ 'n:a': 2, 'c:b': 0 })], [['n:a', 2]])
  assert.equal(dotCounts(null).size, 0)
  const ranked = rankResults([
    { target: 'n:a', label: 'Bus', dots: 3 },
    { target: 'c:b', label: 'Santé', dots: 5 },
    { target: 'n:c', label: 'Arbres', dots: 3 },
    { target: 'n:d', label: 'Rien', dots: 0 },
  ])
  assert.deepEqual(ranked.map((r) => [r.rank, r.label, r.dots]), [[1, 'Santé', 5], [2, 'Arbres', 3], [2, 'Bus', 3], [4, 'Rien', 0]])
})
