// Stock Yjs clients against Agora's draft sync server (issue 5).
//
// Driven by tests/realtime/test_drafts_node.py, which starts daphne, creates the draft and
// the sessions, and runs this file twice with `node --test`:
//   AGORA_PHASE=write  two writers (COOKIE_A, COOKIE_B) type into the draft at the same
//                      time through stock `WebsocketProvider`s and must converge;
//   AGORA_PHASE=read   after the server was restarted, a third client (COOKIE_C, a reader)
//                      connects and must get exactly AGORA_EXPECTED_XML.
// Other variables: AGORA_URL (ws://127.0.0.1:PORT/ws/drafts), DRAFT_ID, ORIGIN,
// AGORA_RESULT (a file where the final state is written as JSON for the Python side).
// Each provider runs with `disableBc`: Node has a global BroadcastChannel, and two providers
// of one process would otherwise sync through it instead of through the server.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { after, test } from 'node:test'

import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set (run through tests/realtime/test_drafts_node.py)`)
  return value
}

const PHASE = process.env.AGORA_PHASE || 'write'
const SERVER_URL = env('AGORA_URL')
const DRAFT_ID = env('DRAFT_ID')
const ORIGIN = env('ORIGIN')
const WORDS = Number(process.env.AGORA_WORDS || 25)

const providers = []

// Providers and their awareness keep timers running: without this node never exits.
after(() => {
  for (const provider of providers) {
    provider.destroy()
    provider.awareness.destroy()
    provider.doc.destroy()
  }
})

/** A WebSocket class for the provider that sends the session cookie and the Origin. */
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

/** A Yjs document synced with the draft through a stock WebsocketProvider. */
async function connect (name, cookie) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(SERVER_URL, DRAFT_ID, doc, {
    WebSocketPolyfill: socketClass(cookie),
    disableBc: true,
    // A 44xx close (refused, malformed…) is final: fail fast rather than retry.
    shouldReconnect: () => false
  })
  providers.push(provider)
  let closed = null
  provider.on('connection-close', (event) => {
    if (event && event.code >= 4000) closed = event.code
  })
  provider.awareness.setLocalStateField('user', { name, color: '#000000' })
  await waitFor(`${name} to sync`, () => {
    if (closed !== null) throw new Error(`${name}: the server closed the socket with ${closed}`)
    return provider.synced
  })
  return { name, doc, provider, fragment: doc.getXmlFragment('default') }
}

/** Top-level blocks as [node name, plain text]: what the Python side compares. */
function blocks (fragment) {
  const plain = (node) =>
    node instanceof Y.XmlText
      ? node.toDelta().map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('')
      : node.toArray().map(plain).join('')
  return fragment.toArray().map((node) => [node.nodeName || '#text', plain(node)])
}

function paragraphText (fragment, index) {
  const block = fragment.get(index)
  assert.ok(block instanceof Y.XmlElement, `block ${index} is an element`)
  const text = block.get(0)
  assert.ok(text instanceof Y.XmlText, `block ${index} holds text`)
  return text
}

/** Type WORDS words, one transaction each: half at the end of a shared paragraph, half
 * as new paragraphs appended to the document, with short random pauses so that the two
 * writers' updates cross on the wire. */
async function typeWords (client, tag) {
  const words = []
  for (let i = 0; i < WORDS; i++) {
    const word = `${tag}${i}`
    words.push(word)
    if (i % 2 === 0) {
      const text = paragraphText(client.fragment, 1)
      text.insert(text.length, ` ${word}`)
    } else {
      const paragraph = new Y.XmlElement('paragraph')
      paragraph.insert(0, [new Y.XmlText(word)])
      client.fragment.insert(client.fragment.length, [paragraph])
    }
    await sleep(5 + Math.random() * 25)
  }
  return words
}

function report (result) {
  if (process.env.AGORA_RESULT) writeFileSync(process.env.AGORA_RESULT, JSON.stringify(result))
  console.log(`final text (${PHASE}):\n${result.xml}`)
}

if (PHASE === 'write') {
  test('two stock y-websocket clients edit the same draft at once and converge', async () => {
    const alice = await connect('Alice', env('COOKIE_A'))
    const bob = await connect('Bob', env('COOKIE_B'))
    const initial = alice.fragment.toString()
    assert.ok(initial.length > 0, 'the draft starts from the stored template')
    assert.equal(bob.fragment.toString(), initial, 'both start from the same stored state')
    assert.ok(alice.fragment.length >= 2, 'the template has a paragraph to write into')

    const [aliceWords, bobWords] = await Promise.all([
      typeWords(alice, 'alice'),
      typeWords(bob, 'bob')
    ])

    const has = (client, words) => words.every((w) => client.fragment.toString().includes(w))
    await waitFor('both documents to converge', () =>
      has(alice, bobWords) && has(bob, aliceWords) &&
      alice.fragment.toString() === bob.fragment.toString()
    )
    const xml = alice.fragment.toString()
    for (const word of [...aliceWords, ...bobWords]) assert.ok(xml.includes(word), word)
    assert.equal(bob.fragment.toString(), xml)
    assert.deepEqual(blocks(bob.fragment), blocks(alice.fragment))
    assert.ok(xml.startsWith(initial.slice(0, 20)), 'the template is still there')
    report({ xml, blocks: blocks(alice.fragment), words: [...aliceWords, ...bobWords] })
  })
} else if (PHASE === 'read') {
  test('a third client connecting after a server restart gets the same text', async () => {
    const expected = env('AGORA_EXPECTED_XML')
    const carol = await connect('Carol', env('COOKIE_C'))
    const xml = carol.fragment.toString()
    assert.equal(xml, expected)
    // Carol only reads: what she types stays in her own document (the Python side checks
    // that the server stored none of it). Her socket must stay open.
    const text = paragraphText(carol.fragment, 1)
    text.insert(0, 'LECTRICE ')
    await sleep(500)
    assert.ok(carol.provider.wsconnected, "a reader's update does not close the socket")
    report({ xml, blocks: blocks(carol.fragment) })
  })
} else {
  throw new Error(`unknown AGORA_PHASE ${PHASE}`)
}
