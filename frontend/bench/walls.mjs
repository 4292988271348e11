#!/usr/bin/env node
// Idea-wall load generator and cold-open client (stock yjs + y-websocket WebsocketProvider),
// driven by bench/walls.py. Three modes:
//
// --mode plenary: clients [from, to) of a wall of `total` participants, in this process
//   (the orchestrator starts several such processes). Protocol on stdio:
//     stderr "READY"                 every client synced (and, with --agora, told its
//                                    abilities: its author key and name)
//     stdin  "NOTES <t0> <seconds>"  client i adds a note at t0 + (i/total + k) * interval
//                                    (CLOCK_MONOTONIC milliseconds, the same clock as
//                                    Python's time.monotonic) until t0 + seconds
//     stderr "SENT <n>"              notes sent by this process
//     stdin  "SETTLE <notes>"        wait (≤ --settle s) until every client holds <notes>
//     stderr "SETTLED <ms>"          notes, before the vote round switches the mode
//     stdin  "DOTS <t1> <seconds> <dots>"  (--agora) client i places its dots on notes of
//                                    the wall as control messages, spread over the window
//     stderr "DOTSDONE"
//     stdin  "END <notes>"           wait (≤ --settle s) until every client holds <notes>
//                                    notes, then print one JSON object on stdout
//   A note's latency is measured by its writer's send time and, in every other client of
//   this process, the time its remote update brought the note (notes map observed);
//   per note this process reports [how many of its clients have it, the latest time].
//   The orchestrator takes the latest over processes: time until the last socket has it.
//
// --mode fill: apply the update in --update-file (binary) to one client, wait until the
//   server echoes the same state to a second client, exit (fills the reference).
//
// --mode open: --repeat times, open one client and time socket open -> synced
//   (provider 'sync' event), then count the entries of --root.

import { performance } from 'node:perf_hooks'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { createInterface } from 'node:readline'
import { prng, socketClass, waitFor, sleep } from './common.mjs'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { WebsocketProvider } from 'y-websocket'

const MESSAGE_AGORA = 100
const COLOURS = ['jaune', 'rose', 'bleu', 'vert', 'orange', 'violet']

function parseArgs (argv) {
  const args = {
    mode: 'plenary', url: '', room: '', from: 0, to: 0, total: 110, interval: 10,
    cookies: null, origin: null, agora: false, seed: 1, settle: 30, updateFile: null,
    root: 'notes', roots: '', warmRoom: '', repeat: 1, cookie: null, expect: 0
  }
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())
    if (key === 'agora') { args.agora = true; continue }
    const value = argv[++i]
    if (!(key in args)) throw new Error(`unknown option ${argv[i - 1]}`)
    args[key] = typeof args[key] === 'number' ? Number(value) : value
  }
  return args
}

process.setMaxListeners(0)
const args = parseArgs(process.argv)
const log = (line) => process.stderr.write(line + '\n')
const now = () => Number(process.hrtime.bigint()) / 1e6 // CLOCK_MONOTONIC, in ms



function provide (doc, cookie, connect = true) {
  return new WebsocketProvider(args.url, args.room, doc, {
    connect,
    WebSocketPolyfill: socketClass(cookie, args.origin),
    disableBc: true,
    maxBackoffTime: 1000
  })
}

function sendControl (provider, message) {
  const ws = provider.ws
  if (!ws || ws.readyState !== 1) return false
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MESSAGE_AGORA)
  encoding.writeVarString(enc, JSON.stringify(message))
  ws.send(encoding.toUint8Array(enc))
  return true
}

// The same canonical JSON as bench/walls.py's: keys sorted, integral numbers as integers.
function canonical (value) {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']'
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map(k => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}'
  }
  return JSON.stringify(value)
}
const digest = (doc, roots) => createHash('sha1').update(
  canonical(Object.fromEntries(roots.map(r => [r, doc.getMap(r).toJSON()])))
).digest('hex')



// --- plenary ---------------------------------------------------------------------------

async function plenary () {
  const cookies = args.cookies ? JSON.parse(readFileSync(args.cookies, 'utf8')) : []
  const sent = {} // note key -> send time
  const got = new Map() // note key -> [clients of this process that have it, latest time]
  const dotRtts = []
  const dotErrors = {}
  const refused = {}
  let voters = 0
  const codes = {}
  const clients = []
  for (let i = args.from; i < args.to; i++) {
    const doc = new Y.Doc()
    const provider = provide(doc, cookies.length ? cookies[i % cookies.length] : null, false)
    const c = { i, doc, provider, me: null, pending: [], closes: 0, notes: 0 }
    provider.on('connection-close', (event) => {
      c.closes++
      codes[event && event.code] = (codes[event && event.code] || 0) + 1
    })
    if (args.agora) {
      provider.on('status', ({ status }) => {
        if (status === 'connected') sendControl(provider, { type: 'hello' })
      })
      provider.messageHandlers[MESSAGE_AGORA] = (_encoder, decoder) => {
        const message = JSON.parse(decoding.readVarString(decoder))
        if (message.type === 'abilities') c.me = message.me
        else if (message.type === 'voters') voters++
        else if (message.type === 'refused') refused[message.reason] = (refused[message.reason] || 0) + 1
        else if (message.type === 'dots' || message.type === 'error') {
          const t = c.pending.shift()
          if (t !== undefined) dotRtts.push(now() - t)
          if (message.type === 'error') dotErrors[message.code] = (dotErrors[message.code] || 0) + 1
        }
      }
    }
    doc.getMap('notes').observe((event, transaction) => {
      if (transaction.origin !== provider) return
      const t = now()
      for (const [key, change] of event.changes.keys) {
        if (change.action !== 'add') continue
        const seen = got.get(key)
        if (seen) { seen[0]++; seen[1] = Math.max(seen[1], t) } else got.set(key, [1, t])
      }
    })
    clients.push(c)
  }
  const started = performance.now()
  const ready = (c) => c.provider.synced && (!args.agora || c.me)
  // Five at a time: a storm of 110 authenticated opens is not what this bench measures.
  for (let k = 0; k < clients.length; k += 5) {
    const batch = clients.slice(k, k + 5)
    for (const c of batch) c.provider.connect()
    await waitFor(() => batch.every(ready), 60000, 'a batch synced').catch(() => {})
  }
  await waitFor(() => clients.every(ready), 120000,
    'every client synced').catch((err) => {
    const closes = clients.reduce((a, c) => a + c.closes, 0)
    throw new Error(`${err.message}: ${clients.filter(c => c.provider.synced).length} synced, ` +
      `${clients.filter(c => c.me).length} told their abilities, ${closes} closes ${JSON.stringify(codes)}`)
  })
  const connectMs = performance.now() - started
  log('READY')

  const random = prng(args.seed * 1000 + args.from)
  const lines = createInterface({ input: process.stdin })
  const cpuAt = {}
  const windows = {}
  for await (const line of lines) {
    const [word, ...rest] = line.trim().split(/\s+/)
    if (word === 'NOTES') {
      const [t0, seconds] = rest.map(Number)
      const end = t0 + seconds * 1000
      const interval = args.interval * 1000
      cpuAt.notes = process.cpuUsage()
      await Promise.all(clients.map(async (c) => {
        for (let k = 0; ; k++) {
          const due = t0 + (c.i / args.total + k) * interval
          if (due >= end) break
          await sleep(Math.max(0, due - now()))
          const key = `n${String(c.i).padStart(3, '0')}-${String(k).padStart(3, '0')}-${args.seed}`
          const notes = c.doc.getMap('notes')
          sent[key] = now()
          c.doc.transact(() => {
            notes.set(key, new Y.Map(Object.entries({
              text: `Idée ${k + 1} de la personne ${c.i + 1} : un banc, un abri, une ligne de bus`,
              colour: COLOURS[(c.i + k) % COLOURS.length],
              column: '',
              cluster: '',
              order: k,
              author: c.me ? c.me.key : `p${c.i}`,
              name: c.me ? c.me.name : `Personne ${c.i + 1}`
            })))
          })
          c.notes++
        }
      }))
      windows.notes = process.cpuUsage(cpuAt.notes)
      log(`SENT ${Object.keys(sent).length}`)
    } else if (word === 'SETTLE') {
      const t = performance.now()
      await waitFor(() => clients.every(c => c.doc.getMap('notes').size >= Number(rest[0])),
        args.settle * 1000, 'every note everywhere').catch(log)
      log(`SETTLED ${performance.now() - t}`)
    } else if (word === 'DOTS') {
      const [t1, seconds, dots] = rest.map(Number)
      cpuAt.dots = process.cpuUsage()
      const step = seconds * 1000 / dots
      await Promise.all(clients.map(async (c) => {
        for (let j = 0; j < dots; j++) {
          await sleep(Math.max(0, t1 + (c.i / args.total + j) * step - now()))
          const keys = [...c.doc.getMap('notes').keys()].sort()
          const target = `n:${keys[Math.floor(random() * keys.length)]}`
          c.pending.push(now())
          sendControl(c.provider, { type: 'dot', action: 'add', target })
        }
      }))
      await waitFor(() => clients.every(c => !c.pending.length), 60000, 'dot replies').catch(log)
      windows.dots = process.cpuUsage(cpuAt.dots)
      log('DOTSDONE')
    } else if (word === 'END') {
      const total = Number(rest[0])
      const settleStart = performance.now()
      await waitFor(() => clients.every(c => c.doc.getMap('notes').size >= total),
        args.settle * 1000, 'every note everywhere').catch(log)
      const settleMs = performance.now() - settleStart
      await sleep(500)
      dotRtts.sort((a, b) => a - b)
      const cpu = (u) => u ? (u.user + u.system) / 1e6 : null
      const result = {
        from: args.from,
        to: args.to,
        connect_ms: connectMs,
        settle_ms: settleMs,
        sent,
        got: Object.fromEntries(got),
        digests: clients.map(c => digest(c.doc, ['notes', 'clusters', 'comments'])),
        sizes: clients.map(c => c.doc.getMap('notes').size),
        socket_closes: clients.reduce((a, c) => a + c.closes, 0),
        dots_sent: dotRtts.length + clients.reduce((a, c) => a + c.pending.length, 0),
        dot_rtts: dotRtts,
        dot_errors: dotErrors,
        refused,
        voters_messages: voters,
        cpu_notes_s: cpu(windows.notes),
        cpu_dots_s: cpu(windows.dots)
      }
      for (const c of clients) c.provider.destroy()
      process.stdout.write(JSON.stringify(result) + '\n')
      setTimeout(() => process.exit(0), 200)
      return
    }
  }
}

// --- fill and open -----------------------------------------------------------------------

async function fill () {
  const update = new Uint8Array(readFileSync(args.updateFile))
  const doc = new Y.Doc()
  const provider = provide(doc, args.cookie)
  await waitFor(() => provider.synced, 60000, 'filler synced')
  Y.applyUpdate(doc, update)
  const want = digest(doc, [args.root])
  let ok = false
  for (let attempt = 0; attempt < 60 && !ok; attempt++) {
    await sleep(500)
    const check = new Y.Doc()
    const other = provide(check, args.cookie)
    await waitFor(() => other.synced, 60000, 'checker synced')
    ok = digest(check, [args.root]) === want
    other.destroy()
  }
  provider.destroy()
  process.stdout.write(JSON.stringify({ filled: ok, entries: doc.getMap(args.root).size }) + '\n')
  setTimeout(() => process.exit(ok ? 0 : 3), 200)
}

async function open () {
  if (args.warmRoom) { // warm this client up (JIT, first socket) on another document, untimed
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(args.url, args.warmRoom, doc, {
      WebSocketPolyfill: socketClass(args.cookie, args.origin), disableBc: true
    })
    await waitFor(() => provider.synced, 60000, 'warm-up synced')
    provider.destroy()
  }
  const runs = []
  for (let r = 0; r < args.repeat; r++) {
    const doc = new Y.Doc()
    const root = doc.getMap(args.root)
    const t0 = performance.now()
    let tOpen = null
    const provider = provide(doc, args.cookie)
    provider.on('status', ({ status }) => {
      if (status === 'connected' && tOpen === null) tOpen = performance.now()
      if (status === 'connected' && args.agora) sendControl(provider, { type: 'hello' })
    })
    await waitFor(() => provider.synced, 120000, 'synced')
    const tSynced = performance.now()
    runs.push({
      to_open_ms: tOpen - t0,
      to_synced_ms: tSynced - t0,
      open_to_synced_ms: tSynced - tOpen,
      entries: root.size,
      digest: digest(doc, args.roots ? args.roots.split(',') : [args.root]),
      state_bytes: Y.encodeStateAsUpdate(doc).length
    })
    provider.destroy()
    await sleep(300)
  }
  process.stdout.write(JSON.stringify({ runs }) + '\n')
  setTimeout(() => process.exit(0), 200)
}

const modes = { plenary, fill, open }
modes[args.mode]().catch((err) => {
  log(String(err && err.stack ? err.stack : err))
  process.exit(2)
})
