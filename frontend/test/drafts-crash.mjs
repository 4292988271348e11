// A server crash inside the relay-before-store window (issue 18), with stock clients.
//
// Driven by tests/realtime/test_drafts_crash.py (lines on stdout, one per step):
// two stock `WebsocketProvider`s open the draft; A writes a paragraph holding AGORA_WORD;
// once B has it, A leaves (B is now the only one holding the edit) and we print
// "RELAYED". The test then checks the edit is not stored yet, SIGKILLs daphne and starts
// another on the same port; B reconnects on its own, runs the sync exchange (its step 2
// gives the server what it lacks), and we print "RESYNCED" once B is synced again.
// Variables: AGORA_URL, DRAFT_ID, ORIGIN, COOKIE_A, COOKIE_B, AGORA_WORD.

import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set (run through tests/realtime/test_drafts_crash.py)`)
  return value
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
async function waitFor (what, predicate, timeout = 30000) {
  const deadline = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(20)
  }
}
const socketClass = (cookie) =>
  class AgoraSocket extends WebSocket {
    constructor (url, protocols) {
      super(url, protocols, { headers: { Cookie: cookie }, origin: env('ORIGIN') })
    }
  }
const open = (cookie) => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(env('AGORA_URL'), env('DRAFT_ID'), doc, {
    WebSocketPolyfill: socketClass(cookie), disableBc: true, maxBackoffTime: 300
  })
  return { doc, provider, fragment: doc.getXmlFragment('default') }
}

const word = env('AGORA_WORD')
const a = open(env('COOKIE_A'))
const b = open(env('COOKIE_B'))
await waitFor('both synced', () => a.provider.synced && b.provider.synced)
const text = new Y.XmlText()
const paragraph = new Y.XmlElement('paragraph')
paragraph.insert(0, [text])
a.doc.transact(() => { a.fragment.push([paragraph]) })
text.insert(0, `Le mot ${word} `)
await waitFor('B has the edit', () => b.fragment.toString().includes(word))
a.provider.destroy()
a.doc.destroy()
let closes = 0
b.provider.on('connection-close', () => { closes++ })
process.stdout.write('RELAYED\n')
await waitFor('B lost the server', () => closes > 0, 60000)
await waitFor('B synced again', () => b.provider.wsconnected && b.provider.synced, 60000)
await sleep(500)
process.stdout.write(`RESYNCED ${JSON.stringify({ xml: b.fragment.toString() })}\n`)
b.provider.destroy()
b.doc.destroy()
setTimeout(() => process.exit(0), 100)
