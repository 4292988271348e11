// The « Suggérer » mode's transaction filter (src/suggest.js) on the editor's real schema,
// and what it writes into the Yjs document through y-prosemirror (@tiptap/y-tiptap), as
// the editor's binding does.
//
// Driven by tests/deliberation/test_suggestions_editor.py: AGORA_TEMPLATE is a draft's
// stored state (base64), AGORA_ME the suggester's id, AGORA_RESULT a file where each
// step's Yjs update is written (base64) for the server's check to judge. Run alone, it
// starts from a small document of its own.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { test } from 'node:test'

import { getSchema } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import { EditorState, TextSelection } from '@tiptap/pm/state'
import { Slice, Fragment } from '@tiptap/pm/model'
import { initProseMirrorDoc, updateYFragment } from '@tiptap/y-tiptap'
import * as Y from 'yjs'

import { Deletion, Insertion, SuggestedBlock, listSuggestions, toSuggestions } from '../src/suggest.js'

const ME = process.env.AGORA_ME || 'me'
const schema = getSchema([StarterKit.configure({ undoRedo: false, trailingNode: false }), Insertion, Deletion, SuggestedBlock])

function startDoc() {
  const ydoc = new Y.Doc()
  if (process.env.AGORA_TEMPLATE) Y.applyUpdate(ydoc, Buffer.from(process.env.AGORA_TEMPLATE, 'base64'))
  else {
    const fragment = ydoc.getXmlFragment('default')
    const heading = new Y.XmlElement('heading')
    heading.setAttribute('level', 2)
    heading.insert(0, [new Y.XmlText('Constat')])
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.insert(0, [new Y.XmlText()])
    fragment.insert(0, [heading, paragraph])
  }
  return ydoc
}

// One editor: its state, and the Yjs document its binding keeps in step.
function editor() {
  const ydoc = startDoc()
  const fragment = ydoc.getXmlFragment('default')
  const { doc, meta } = initProseMirrorDoc(fragment, schema)
  let state = EditorState.create({ schema, doc })
  const updates = []
  function apply(build, { suggest = true } = {}) {
    const tr = build(state)
    const tracked = suggest ? toSuggestions(state, tr, ME) : tr
    state = state.apply(tracked)
    const before = Y.encodeStateVector(ydoc)
    ydoc.transact(() => updateYFragment(ydoc, fragment, state.doc, meta))
    updates.push(Buffer.from(Y.encodeStateAsUpdate(ydoc, before)).toString('base64'))
  }
  return { get state() { return state }, apply, updates, ydoc }
}

function endOf(state, index) {
  let pos = 0
  for (let i = 0; i <= index; i++) pos += state.doc.child(i).nodeSize
  return pos - 1
}

function marksOf(state) {
  return listSuggestions(state.doc).map((s) => [s.kind, s.author, s.text])
}

test('typing, deleting, Enter and pasting become suggestions by me', () => {
  const ed = editor()
  const title = ed.state.doc.child(0).textContent
  const heading = endOf(ed.state, 0) // the end of the first heading's text
  // Type at the end of the heading.
  ed.apply((s) => s.tr.insertText(' partagé', heading))
  assert.deepEqual(marksOf(ed.state), [['insertion', ME, ' partagé']])
  // Delete « Con »: kept, struck through.
  ed.apply((s) => s.tr.delete(1, 4))
  assert.ok(ed.state.doc.child(0).textContent.startsWith(title))
  assert.deepEqual(marksOf(ed.state)[0], ['deletion', ME, title.slice(0, 3)])
  // Backspace in my own insertion: really removed.
  const end = endOf(ed.state, 0)
  ed.apply((s) => s.tr.delete(end - 1, end))
  assert.equal(ed.state.doc.child(0).textContent, `${title} partag`)
  // Enter at the end of the heading: a new suggested paragraph, then text in it.
  ed.apply((s) => s.tr.setSelection(TextSelection.create(s.doc, endOf(s, 0))).split(endOf(s, 0)))
  const added = ed.state.doc.child(1)
  assert.equal(added.type.name, 'paragraph')
  assert.equal(added.attrs.suggestion, ME)
  ed.apply((s) => s.tr.insertText('Un banc.', s.selection.from))
  assert.equal(ed.state.doc.child(1).textContent, 'Un banc.')
  // Pasting two paragraphs into the empty template paragraph: one run of my text.
  const pasted = new Slice(Fragment.from([schema.node('paragraph', null, schema.text('Premier')), schema.node('paragraph', null, schema.text('second'))]), 1, 1)
  ed.apply((s) => s.tr.replace(endOf(s, 2), endOf(s, 2), pasted))
  assert.equal(ed.state.doc.child(2).textContent, 'Premier second')
  // Bold on existing text: not a suggestion, dropped.
  ed.apply((s) => s.tr.addMark(1, 5, schema.marks.bold.create()))
  assert.ok(!ed.state.doc.child(0).firstChild.marks.some((m) => m.type.name === 'bold'))
  assert.deepEqual(
    marksOf(ed.state).map(([kind, , text]) => [kind, text]),
    [['deletion', title.slice(0, 3)], ['insertion', ' partag'], ['block', 'Un banc.'], ['insertion', 'Un banc.'], ['insertion', 'Premier second']],
  )
  // The same edit outside suggestion mode (what the server must refuse from a suggester).
  ed.apply((s) => s.tr.insertText('!', 1), { suggest: false })
  if (process.env.AGORA_RESULT) writeFileSync(process.env.AGORA_RESULT, JSON.stringify(ed.updates))
})
