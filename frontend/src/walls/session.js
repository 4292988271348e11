// The wall's sockets: the stock y-websocket provider on the wall's document, and a second
// one on the person's private sheet in silent writing, each with Agora's control messages
// (type 100 + JSON: `hello` after each connection; `abilities`, `refused`, `dots`,
// `results`, `error` from the server). A `refused` update is never applied by the server,
// and Yjs numbers a client's changes in sequence, so nothing this document sends after it
// would apply either: the document is dropped and a fresh one synced in its place.

import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const MESSAGE_AGORA = 100
const RETRY_AFTER_RATE_LIMIT_MS = 5000

/** The ws(s):// base the provider takes, from the page's data-ydoc-url (absolute or a path). */
export function socketBase(value, location = window.location) {
  const raw = String(value || '').replace(/\/+$/, '')
  if (/^wss?:\/\//.test(raw)) return raw
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}${raw.startsWith('/') ? '' : '/'}${raw}`
}

/** The sheets' base beside the walls': …/ws/walls → …/ws/wall-sheets. */
export function sheetBase(wallBase, given) {
  if (given) return socketBase(given)
  return wallBase.replace(/\/walls$/, '/wall-sheets')
}

/**
 * One live document: `doc` and `provider` change after a refusal (`onReset` is told).
 * Callbacks: onControl(message), onStatus(state), onSynced(), onReset(doc), onClosed(code).
 */
export function createLiveDoc({ base, room, awareness = null, onControl, onStatus, onSynced, onReset, onClosed }) {
  const live = { doc: null, provider: null, synced: false, destroyed: false }

  function open() {
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(base, room, doc, { disableBc: true })
    live.doc = doc
    live.provider = provider
    live.synced = false
    if (awareness) provider.awareness.setLocalState(awareness())
    else provider.awareness.setLocalState(null)
    provider.messageHandlers[MESSAGE_AGORA] = (_encoder, decoder) => {
      let message
      try {
        message = JSON.parse(decoding.readVarString(decoder))
      } catch (e) {
        return
      }
      if (!message || typeof message !== 'object' || live.provider !== provider) return
      if (message.type === 'refused') {
        reset()
        onControl(message)
        return
      }
      onControl(message)
    }
    provider.on('status', ({ status }) => {
      if (live.provider !== provider) return
      if (status === 'connected') send({ type: 'hello' })
      onStatus(status)
    })
    provider.on('sync', (synced) => {
      if (live.provider !== provider || !synced) return
      live.synced = true
      onSynced()
    })
    provider.on('closed', ({ code }) => {
      if (live.provider !== provider) return
      onClosed(code)
      if (code === 4429) {
        window.setTimeout(() => live.provider === provider && provider.connect(), RETRY_AFTER_RATE_LIMIT_MS)
      }
    })
    return doc
  }

  function close() {
    const { provider, doc } = live
    live.provider = null
    live.doc = null
    if (provider) {
      provider.awareness.setLocalState(null)
      provider.destroy()
    }
    if (doc) doc.destroy()
  }

  /** Drop the document (and whatever it had not sent) and sync a fresh one. */
  function reset() {
    if (live.destroyed) return
    close()
    const doc = open()
    onReset(doc)
  }

  function send(message) {
    const ws = live.provider && live.provider.ws
    if (!ws || ws.readyState !== 1) return false
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, MESSAGE_AGORA)
    encoding.writeVarString(enc, JSON.stringify(message))
    ws.send(encoding.toUint8Array(enc))
    return true
  }

  function destroy() {
    live.destroyed = true
    close()
  }

  live.open = open
  live.reset = reset
  live.send = send
  live.destroy = destroy
  open()
  return live
}
