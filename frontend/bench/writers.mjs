#!/usr/bin/env node
// Co-writing load generator: N stock Yjs clients (yjs + y-websocket's WebsocketProvider)
// in one Node process, each typing 5 characters a second into its own paragraph of one
// shared document, for D seconds. Used by bench/drafts_writers.py; runnable alone:
//
//   node frontend/bench/writers.mjs --url ws://127.0.0.1:1234/ws/drafts --room <draft id> \
//        --writers 20 --duration 60 [--cookies cookies.json] [--origin http://127.0.0.1:8000]
//
// Latency is keystroke-to-other-writer: before each insert the writer records
// (its clientID, its clock) -> send time; every other writer, when the remote update that
// carries that clock is applied to its document (doc 'update' event, origin = provider),
// records now - sent. One keystroke is timed at all N-1 other writers.
// Output: one JSON object on stdout. Progress ("PHASE typing-start", "PHASE typing-end")
// on stderr, so the orchestrator can sample server CPU over the typing window only.

import { performance, monitorEventLoopDelay } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import { prng, socketClass, waitFor, percentile, sleep } from './common.mjs'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

function parseArgs (argv) {
  const args = {
    url: 'ws://127.0.0.1:1234/ws/drafts',
    room: 'bench',
    writers: 20,
    duration: 60,
    rate: 5,
    settle: 15,
    cookies: null,
    origin: null,
    seed: 1,
    endBias: 0.8,
    cursor: false
  }
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '')
    if (key === 'cursor') { args.cursor = true; continue }
    const value = argv[++i]
    if (!(key in args)) throw new Error(`unknown option --${key}`)
    args[key] = typeof args[key] === 'number' ? Number(value) : value
  }
  return args
}

process.setMaxListeners(0) // one exit listener per provider
const args = parseArgs(process.argv)
const cookies = args.cookies ? JSON.parse(readFileSync(args.cookies, 'utf8')) : []

// A small deterministic PRNG (mulberry32): same keystroke positions on both servers.
const random = prng(args.seed)


const sent = new Map() // `${client}:${clock}` -> send time (ms)
const latencies = []
let received = 0
const log = (line) => process.stderr.write(line + '\n')

const writers = []
for (let i = 0; i < args.writers; i++) {
  const doc = new Y.Doc()
  const fragment = doc.getXmlFragment('default')
  const cookie = cookies.length ? cookies[i % cookies.length] : null
  const provider = new WebsocketProvider(args.url, args.room, doc, {
    WebSocketPolyfill: socketClass(cookie, args.origin),
    disableBc: true, // all writers share one process: no BroadcastChannel shortcut
    maxBackoffTime: 1000
  })
  const writer = { i, doc, fragment, provider, text: null, typed: 0, closes: 0 }
  provider.on('connection-close', () => { writer.closes++ })
  doc.on('update', (update, origin) => {
    if (origin !== provider) return // our own keystrokes and local setup
    const now = performance.now()
    const meta = Y.parseUpdateMeta(update)
    for (const [client, from] of meta.from) {
      const to = meta.to.get(client)
      for (let clock = from; clock < to; clock++) {
        const t = sent.get(`${client}:${clock}`)
        if (t === undefined) continue
        latencies.push(now - t)
        received++
      }
    }
  })
  writers.push(writer)
}


const ownText = (w) => w.text
function paragraphsByWriter (fragment) {
  const lengths = new Map()
  for (const child of fragment.toArray()) {
    if (child instanceof Y.XmlElement && child.getAttribute('writer') !== undefined) {
      const text = child.get(0)
      lengths.set(String(child.getAttribute('writer')), text ? text.length : 0)
    }
  }
  return lengths
}


async function main () {
  const started = performance.now()
  await waitFor(() => writers.every(w => w.provider.synced), 60000, 'every writer synced')
  const connectMs = performance.now() - started
  // Each writer appends its own paragraph, then waits for everyone's to arrive.
  for (const w of writers) {
    const text = new Y.XmlText()
    const paragraph = new Y.XmlElement('paragraph')
    paragraph.setAttribute('writer', String(w.i))
    paragraph.insert(0, [text])
    w.doc.transact(() => { w.fragment.push([paragraph]) })
    w.text = text
  }
  await waitFor(
    () => writers.every(w => paragraphsByWriter(w.fragment).size === writers.length),
    30000, 'every paragraph everywhere'
  )
  await sleep(1000)

  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const cpu0 = process.cpuUsage()
  log('PHASE typing-start')
  const typingStart = performance.now()
  const interval = 1000 / args.rate
  const alphabet = 'abcdefghijklmnopqrstuvwxyz     éèàç'
  const timers = writers.map((w) => {
    // Each writer has its own phase so keystrokes spread over the interval.
    const keystroke = () => {
      const text = ownText(w)
      const position = random() < args.endBias ? text.length : Math.floor(random() * (text.length + 1))
      const char = alphabet[Math.floor(random() * alphabet.length)]
      const clock = Y.getState(w.doc.store, w.doc.clientID)
      sent.set(`${w.doc.clientID}:${clock}`, performance.now())
      text.insert(position, char)
      w.typed++
      if (args.cursor) w.provider.awareness.setLocalStateField('cursor', { pos: position + 1 })
    }
    return new Promise(resolve => {
      setTimeout(() => {
        const end = typingStart + args.duration * 1000
        let n = 0
        const next = () => {
          if (performance.now() >= end) return resolve()
          keystroke()
          n++
          // Scheduled on a fixed grid: a late timer does not slow the typing rate down.
          const due = typingStart + (w.i / writers.length) * interval + n * interval
          setTimeout(next, Math.max(0, due - performance.now()))
        }
        next()
      }, (w.i / writers.length) * interval)
    })
  })
  await Promise.all(timers)
  const typingMs = performance.now() - typingStart
  log('PHASE typing-end')
  const cpu = process.cpuUsage(cpu0)
  loop.disable()

  const expected = sent.size * (writers.length - 1)
  const settleStart = performance.now()
  const docsAgree = () => {
    const first = writers[0].fragment.toString()
    return writers.every(w => w.fragment.toString() === first)
  }
  while (performance.now() - settleStart < args.settle * 1000) {
    if (received >= expected && docsAgree()) break
    await sleep(200)
  }
  const settleMs = performance.now() - settleStart

  const typedBy = new Map(writers.map(w => [String(w.i), w.typed]))
  const lengthsOk = writers.every(w => {
    const lengths = paragraphsByWriter(w.fragment)
    return [...typedBy].every(([k, n]) => lengths.get(k) === n)
  })
  const identical = docsAgree()
  latencies.sort((a, b) => a - b)
  const result = {
    url: args.url,
    room: args.room,
    writers: writers.length,
    duration_s: typingMs / 1000,
    connect_ms: connectMs,
    settle_ms: settleMs,
    keystrokes: sent.size,
    deliveries_expected: expected,
    deliveries_received: received,
    p50_ms: percentile(latencies, 50),
    p90_ms: percentile(latencies, 90),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.length ? latencies[latencies.length - 1] : null,
    mean_ms: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null,
    identical,
    lengths_ok: lengthsOk,
    converged: identical && lengthsOk && received === expected,
    document_chars: writers[0].fragment.toString().length,
    socket_closes: writers.reduce((a, w) => a + w.closes, 0),
    loadgen_cpu_s: (cpu.user + cpu.system) / 1e6,
    loadgen_loop_delay_p99_ms: loop.percentile(99) / 1e6,
    loadgen_loop_delay_max_ms: loop.max / 1e6,
    cursor_awareness: args.cursor
  }
  for (const w of writers) w.provider.destroy()
  process.stdout.write(JSON.stringify(result) + '\n')
  // ws sockets close asynchronously; do not wait for them.
  setTimeout(() => process.exit(0), 200)
}

main().catch((err) => {
  log(String(err && err.stack ? err.stack : err))
  for (const w of writers) w.provider.destroy()
  process.exit(2)
})
