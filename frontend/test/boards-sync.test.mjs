// Stock Yjs clients against Agora's whiteboard socket, /ws/boards/<board id> (issue 14).
//
// Driven by tests/workshops/test_boards_node.py, which starts daphne, creates a board in a
// plenary, two members (COOKIE_A, COOKIE_B), a substitute who only reads the plenary
// (COOKIE_R) and a library image the members may read (LIBRARY_IMAGE). Other variables:
// AGORA_URL (ws://127.0.0.1:PORT/ws/boards), BOARD_ID, ORIGIN, AGORA_RESULT (the final state,
// as JSON, for the Python side). The document model is frontend/src/board/model.js, the one
// the browser binding writes with.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { after, test } from 'node:test'

import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

import { ELEMENTS, FILES, merge, readElements, writeElements, writeFile } from '../src/board/model.js'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set (run through tests/workshops/test_boards_node.py)`)
  return value
}

const SERVER_URL = env('AGORA_URL')
const BOARD_ID = env('BOARD_ID')
const ORIGIN = env('ORIGIN')

const providers = []
after(() => {
  for (const provider of providers) {
    provider.destroy()
    provider.awareness.destroy()
    provider.doc.destroy()
  }
})

const socketClass = (cookie) =>
  class AgoraSocket extends WebSocket {
    constructor (url, protocols) {
      super(url, protocols, { headers: { Cookie: cookie }, origin: ORIGIN })
    }
  }

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor (what, predicate, timeout = 10000) {
  const deadline = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(20)
  }
}

async function connect (name, cookie) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(SERVER_URL, BOARD_ID, doc, {
    WebSocketPolyfill: socketClass(cookie),
    disableBc: true,
    shouldReconnect: () => false
  })
  providers.push(provider)
  let closed = null
  provider.on('connection-close', (event) => {
    if (event && event.code >= 4000) closed = event.code
  })
  // A stock client may claim any name: the server must replace it with the person's own.
  provider.awareness.setLocalStateField('user', { name: 'Quelqu’un d’autre', color: '#000000' })
  await waitFor(`${name} to sync`, () => {
    if (closed !== null) throw new Error(`${name}: the server closed the socket with ${closed}`)
    return provider.synced
  })
  return { name, doc, provider, elements: doc.getMap(ELEMENTS), files: doc.getMap(FILES) }
}

let counter = 0
/** An Excalidraw element as the browser writes it (fields trimmed to the usual ones). */
function rectangle (id, version, extra = {}) {
  counter += 1
  return {
    id,
    type: 'rectangle',
    x: 10 * counter,
    y: 20,
    width: 120,
    height: 60,
    angle: 0,
    strokeColor: '#1e1e1e',
    backgroundColor: 'transparent',
    fillStyle: 'solid',
    strokeWidth: 2,
    strokeStyle: 'solid',
    roughness: 1,
    opacity: 100,
    groupIds: [],
    frameId: null,
    index: `a${counter}`,
    roundness: null,
    seed: counter,
    version,
    versionNonce: 1000 + counter,
    isDeleted: false,
    boundElements: null,
    updated: 1,
    link: null,
    locked: false,
    ...extra
  }
}

// Values compared whatever the order of their keys (the server's copy keeps them in its own).
const canonical = (value) =>
  Array.isArray(value)
    ? value.map(canonical)
    : value && typeof value === 'object'
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]))
      : value
const sameScene = (a, b) =>
  JSON.stringify(canonical(readElements(a.doc))) === JSON.stringify(canonical(readElements(b.doc)))

test('stock y-websocket clients share a board: elements by version, library files, names, readers', async () => {
  const alice = await connect('Alice', env('COOKIE_A'))
  const bob = await connect('Bob', env('COOKIE_B'))
  const reader = await connect('Reader', env('COOKIE_R'))

  // Each draws at once; both converge, and the reader sees it too.
  writeElements(alice.doc, [rectangle('alice-1', 1), rectangle('alice-2', 1)])
  writeElements(bob.doc, [rectangle('bob-1', 1)])
  await waitFor('both to see the three shapes', () => alice.elements.size === 3 && bob.elements.size === 3)
  await waitFor('the reader to see them', () => reader.elements.size === 3)

  // Both move the same shape at the same time (same version): every copy agrees.
  writeElements(alice.doc, [rectangle('alice-1', 2, { x: 500 })])
  writeElements(bob.doc, [rectangle('alice-1', 2, { x: 900 })])
  await waitFor('the concurrent moves to settle', () => sameScene(alice, bob) && sameScene(bob, reader))
  // A higher version wins over what is there; a lower one is not written at all.
  writeElements(bob.doc, [rectangle('alice-1', 5, { x: 42 })])
  await waitFor('version 5 to reach Alice', () => alice.elements.get('alice-1').version === 5)
  assert.equal(writeElements(alice.doc, [rectangle('alice-1', 3, { x: 7 })]), 0, 'a stale version is never written')
  // Deleting keeps the element, marked, as Excalidraw does.
  writeElements(alice.doc, [{ ...alice.elements.get('bob-1'), version: 2, versionNonce: 3, isDeleted: true }])
  await waitFor('the deletion to reach Bob', () => bob.elements.get('bob-1').isDeleted === true)

  // An image names a library document the writer may read: accepted and shared.
  const image = env('LIBRARY_IMAGE')
  writeFile(alice.doc, image, image, 'image/png')
  writeElements(alice.doc, [rectangle('alice-image', 1, { type: 'image', fileId: image, status: 'saved', scale: [1, 1] })])
  await waitFor('the image to reach Bob', () => bob.files.has(image) && bob.elements.has('alice-image'))
  assert.deepEqual(bob.files.get(image), { document: image, mimeType: 'image/png' })

  // A file outside the library (from another client of Bob's: a refused update holds back
  // what its client sends after it) is refused, never relayed.
  const mallory = await connect('Bob again', env('COOKIE_B'))
  writeFile(mallory.doc, 'not-a-library-document', '00000000-0000-4000-8000-000000000000', 'image/png')
  // The reader writes too: dropped by the server.
  writeElements(reader.doc, [rectangle('reader-1', 1)])
  writeElements(bob.doc, [rectangle('bob-last', 1)]) // a marker sent after both
  await waitFor('the marker to reach Alice', () => alice.elements.has('bob-last'))
  await sleep(300)
  assert.ok(!alice.files.has('not-a-library-document'), 'a file outside the library was relayed')
  assert.ok(!alice.elements.has('reader-1'), "a reader's shape was relayed")

  // Names on pointers are the server's, whatever the client claimed.
  alice.provider.awareness.setLocalStateField('pointer', { x: 10, y: 20, tool: 'pointer' })
  await waitFor('Alice’s pointer at Bob’s', () => {
    const state = bob.provider.awareness.getStates().get(alice.doc.clientID)
    return state && state.pointer && state.pointer.x === 10
  })
  const seen = bob.provider.awareness.getStates().get(alice.doc.clientID)
  assert.notEqual(seen.user.name, 'Quelqu’un d’autre', 'the server let a client choose its name')
  assert.equal(seen.user.name, env('NAME_A'))

  // merge() (the Node twin of Excalidraw's reconcile) gives every copy the same scene.
  const merged = merge(readElements(alice.doc), readElements(bob.doc))
  assert.deepEqual(canonical(merged), canonical(readElements(alice.doc)))

  if (process.env.AGORA_RESULT) {
    writeFileSync(process.env.AGORA_RESULT, JSON.stringify({
      elements: Object.fromEntries([...alice.elements.entries()]),
      files: Object.fromEntries([...alice.files.entries()])
    }))
  }
})
