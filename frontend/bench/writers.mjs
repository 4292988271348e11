#!/usr/bin/env node
// Co-writing load generator: N stock Yjs clients (yjs + y-websocket's WebsocketProvider),
// split among P Node processes (--procs, so that the generator is not the bottleneck),
// each writer typing 5 characters a second into its own paragraph of one shared
// document, for D seconds. Used by bench/drafts_writers.py; runnable alone:
//
//   node frontend/bench/writers.mjs --url ws://127.0.0.1:1234/ws/drafts --room <draft id> \
//        --writers 20 --procs 4 --duration 60 [--cookies cookies.json] [--origin http://...]
//
// Latency is keystroke-to-other-writer: before each insert the writer records
// (its clientID, its clock) -> send time; every other writer, when the remote update that
// carries that clock is applied to its document (doc 'update' event, origin = provider),
// records now. Times are `performance.timeOrigin + performance.now()` (one clock for all
// the processes of the machine); the parent joins what the children sent and received.
// One keystroke is timed at all N-1 other writers.
// Output: one JSON object on stdout. Progress ("PHASE typing-start", "PHASE typing-end")
// on stderr, so the orchestrator can sample server CPU over the typing window only.

import { performance, monitorEventLoopDelay } from 'node:perf_hooks'
import { readFileSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { prng, socketClass, waitFor, percentile, sleep } from './common.mjs'

function parseArgs (argv) {
  const args = {
    url: 'ws://127.0.0.1:1234/ws/drafts',
    room: 'bench',
    writers: 20,
    procs: 1,
    duration: 60,
    rate: 5,
    settle: 15,
    cookies: null,
    origin: null,
    seed: 1,
    endBias: 0.8,
    cursor: false,
    stagger: 25,
    child: -1,
    tmp: ''
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

const args = parseArgs(process.argv)
const log = (line) => process.stderr.write(line + '\n')
const now = () => performance.timeOrigin + performance.now()

// --- A child: its share of the writers, driven by the parent over IPC -----------------

async function child () {
  const Y = await import('yjs')
  const { WebsocketProvider } = await import('y-websocket')
  process.setMaxListeners(0) // one exit listener per provider
  const cookies = args.cookies ? JSON.parse(readFileSync(args.cookies, 'utf8')) : []
  const total = args.writers
  // Writers i ≡ child (mod procs): each process holds writers spread over the grid.
  const mine = []
  for (let i = args.child; i < total; i += args.procs) mine.push(i)
  // Deterministic per child: the same keystroke positions on every server.
  const random = prng(args.seed * 1000 + args.child)
  const sent = [] // [client, clock, t] flattened
  const got = [] // [client, clock, t] flattened: remote clocks applied here
  const writers = []
  for (const i of mine) {
    // Writers open one after the other (--stagger ms apart, over all the processes): a
    // stampede on a loaded machine can outlast daphne's 5 s connect timeout, and every
    // retry then queues behind the others.
    await sleep(args.stagger * (i === mine[0] ? i : args.procs))
    const doc = new Y.Doc()
    const fragment = doc.getXmlFragment('default')
    const cookie = cookies.length ? cookies[i % cookies.length] : null
    const provider = new WebsocketProvider(args.url, args.room, doc, {
      WebSocketPolyfill: socketClass(cookie, args.origin),
      disableBc: true,
      maxBackoffTime: 1000
    })
    const writer = { i, doc, fragment, provider, text: null, typed: 0, closes: 0 }
    provider.on('connection-close', () => { writer.closes++ })
    doc.on('update', (update, origin) => {
      if (origin !== provider) return // our own keystrokes and local setup
      const t = now()
      const meta = Y.parseUpdateMeta(update)
      for (const [client, from] of meta.from) {
        const to = meta.to.get(client)
        for (let clock = from; clock < to; clock++) got.push(client, clock, t)
      }
    })
    writers.push(writer)
  }
  const paragraphs = (fragment) => {
    const lengths = {}
    for (const c of fragment.toArray()) {
      if (c instanceof Y.XmlElement && c.getAttribute('writer') !== undefined) {
        const text = c.get(0)
        lengths[String(c.getAttribute('writer'))] = text ? text.length : 0
      }
    }
    return lengths
  }
  const ask = (type, extra = {}) => process.send({ type, ...extra })
  const handlers = {
    async connect () {
      await waitFor(() => writers.every(w => w.provider.synced), 60000, 'every writer synced')
      ask('synced')
    },
    async paragraphs () {
      for (const w of writers) {
        const text = new Y.XmlText()
        const paragraph = new Y.XmlElement('paragraph')
        paragraph.setAttribute('writer', String(w.i))
        paragraph.insert(0, [text])
        w.doc.transact(() => { w.fragment.push([paragraph]) })
        w.text = text
      }
      await waitFor(
        () => writers.every(w => Object.keys(paragraphs(w.fragment)).length === total),
        30000, 'every paragraph everywhere'
      )
      ask('ready')
    },
    async type ({ start }) {
      const loop = monitorEventLoopDelay({ resolution: 10 })
      loop.enable()
      const cpu0 = process.cpuUsage()
      const interval = 1000 / args.rate
      const end = start + args.duration * 1000
      const alphabet = 'abcdefghijklmnopqrstuvwxyz     éèàç'
      await Promise.all(writers.map(w => new Promise(resolve => {
        // Each writer has its own phase on the grid, whatever process it is in.
        const phase = (w.i / total) * interval
        let n = 0
        const next = () => {
          if (now() >= end) return resolve()
          const position = random() < args.endBias ? w.text.length : Math.floor(random() * (w.text.length + 1))
          const char = alphabet[Math.floor(random() * alphabet.length)]
          sent.push(w.doc.clientID, Y.getState(w.doc.store, w.doc.clientID), now())
          w.text.insert(position, char)
          w.typed++
          if (args.cursor) w.provider.awareness.setLocalStateField('cursor', { pos: position + 1 })
          n++
          setTimeout(next, Math.max(0, start + phase + n * interval - now()))
        }
        setTimeout(next, Math.max(0, start + phase - now()))
      })))
      const cpu = process.cpuUsage(cpu0)
      loop.disable()
      ask('typed', {
        typed: Object.fromEntries(writers.map(w => [String(w.i), w.typed])),
        cpu_s: (cpu.user + cpu.system) / 1e6,
        loop_p99_ms: loop.percentile(99) / 1e6,
        loop_max_ms: loop.max / 1e6
      })
    },
    async settle ({ typed }) {
      const keystrokes = Object.values(typed).reduce((a, b) => a + b, 0)
      const expected = writers.reduce((a, w) => a + keystrokes - typed[String(w.i)], 0)
      const agree = () => writers.every(w => w.fragment.toString() === writers[0].fragment.toString())
      const t0 = performance.now()
      while (performance.now() - t0 < args.settle * 1000) {
        if (got.length / 3 >= expected && agree()) break
        await sleep(200)
      }
      const lengthsOk = writers.every(w => {
        const lengths = paragraphs(w.fragment)
        return Object.entries(typed).every(([k, n]) => lengths[k] === n)
      })
      const file = join(args.tmp, `child-${args.child}.bin`)
      const s = Float64Array.from(sent)
      const g = Float64Array.from(got)
      const header = Float64Array.from([s.length, g.length])
      writeFileSync(file, Buffer.concat([header, s, g].map(a => Buffer.from(a.buffer))))
      ask('settled', {
        file,
        text: writers[0].fragment.toString(),
        identical: agree(),
        lengths_ok: lengthsOk,
        closes: writers.reduce((a, w) => a + w.closes, 0),
        settle_ms: performance.now() - t0
      })
      for (const w of writers) w.provider.destroy()
      setTimeout(() => process.exit(0), 200)
    }
  }
  process.on('message', (message) => {
    handlers[message.type](message).catch((err) => {
      log(String(err && err.stack ? err.stack : err))
      process.exit(2)
    })
  })
  ask('started')
}

// --- The parent: phases, then the merged figures -------------------------------------

async function parent () {
  const tmp = mkdtempSync(join(tmpdir(), 'writers-'))
  const procs = Math.max(1, Math.min(args.procs, args.writers))
  const self = fileURLToPath(import.meta.url)
  const children = []
  const inbox = []
  const wanted = (type) => waitFor(
    () => inbox.filter(m => m.type === type).length === procs, 120000, `${type} from every child`
  )
  const failed = []
  for (let c = 0; c < procs; c++) {
    const argv = process.argv.slice(2).concat(['--child', String(c), '--procs', String(procs), '--tmp', tmp])
    const proc = fork(self, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    proc.on('message', (m) => inbox.push({ ...m, child: c }))
    proc.on('exit', (code) => { if (code) failed.push(code) })
    children.push(proc)
  }
  const take = (type) => inbox.filter(m => m.type === type)
  const all = (message) => children.forEach(p => p.send(message))
  const guard = (p) => Promise.race([p, (async () => {
    await waitFor(() => failed.length > 0, 1e9, 'a failure')
    throw new Error(`a writers child exited with ${failed[0]}`)
  })()])
  try {
    await guard(wanted('started'))
    const started = performance.now()
    all({ type: 'connect' })
    await guard(wanted('synced'))
    const connectMs = performance.now() - started
    all({ type: 'paragraphs' })
    await guard(wanted('ready'))
    await sleep(1000)
    const start = now() + 200
    const parentCpu0 = process.cpuUsage()
    await sleep(Math.max(0, start - now()))
    log('PHASE typing-start')
    all({ type: 'type', start })
    await guard(wanted('typed'))
    const typingMs = now() - start
    log('PHASE typing-end')
    const typedMsgs = take('typed')
    const typed = Object.assign({}, ...typedMsgs.map(m => m.typed))
    all({ type: 'settle', typed })
    await guard(wanted('settled'))
    const parentCpu = process.cpuUsage(parentCpu0)
    const settled = take('settled')

    // Join: sent (client:clock -> t) from every child, then every receipt.
    const sentAt = new Map()
    const receipts = []
    for (const m of settled) {
      const buf = readFileSync(m.file)
      const all64 = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8)
      const ns = all64[0]
      const ng = all64[1]
      const s = all64.subarray(2, 2 + ns)
      for (let k = 0; k < s.length; k += 3) sentAt.set(`${s[k]}:${s[k + 1]}`, s[k + 2])
      receipts.push(all64.subarray(2 + ns, 2 + ns + ng))
    }
    const latencies = []
    for (const g of receipts) {
      for (let k = 0; k < g.length; k += 3) {
        const t = sentAt.get(`${g[k]}:${g[k + 1]}`)
        if (t !== undefined) latencies.push(g[k + 2] - t)
      }
    }
    latencies.sort((a, b) => a - b)
    const keystrokes = sentAt.size
    const expected = keystrokes * (args.writers - 1)
    const identical = settled.every(m => m.identical && m.text === settled[0].text)
    const lengthsOk = settled.every(m => m.lengths_ok)
    const childCpu = typedMsgs.reduce((a, m) => a + m.cpu_s, 0)
    const result = {
      url: args.url,
      room: args.room,
      writers: args.writers,
      procs,
      duration_s: typingMs / 1000,
      connect_ms: connectMs,
      settle_ms: Math.max(...settled.map(m => m.settle_ms)),
      keystrokes,
      deliveries_expected: expected,
      deliveries_received: latencies.length,
      p50_ms: percentile(latencies, 50),
      p90_ms: percentile(latencies, 90),
      p99_ms: percentile(latencies, 99),
      max_ms: latencies.length ? latencies[latencies.length - 1] : null,
      mean_ms: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : null,
      identical,
      lengths_ok: lengthsOk,
      converged: identical && lengthsOk && latencies.length === expected,
      document_chars: settled[0].text.length,
      socket_closes: settled.reduce((a, m) => a + m.closes, 0),
      // Generator CPU over the typing window: all the children (and the parent, idle).
      loadgen_cpu_s: childCpu + (parentCpu.user + parentCpu.system) / 1e6,
      loadgen_cpu_pct: 100 * childCpu / (typingMs / 1000),
      loadgen_max_child_cpu_pct: Math.max(...typedMsgs.map(m => 100 * m.cpu_s / (typingMs / 1000))),
      loadgen_loop_delay_p99_ms: Math.max(...typedMsgs.map(m => m.loop_p99_ms)),
      loadgen_loop_delay_max_ms: Math.max(...typedMsgs.map(m => m.loop_max_ms)),
      cursor_awareness: args.cursor
    }
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    for (const p of children) if (p.exitCode === null) p.kill()
    rmSync(tmp, { recursive: true, force: true })
  }
  setTimeout(() => process.exit(0), 300)
}

if (args.child >= 0) {
  child().catch((err) => { log(String(err && err.stack ? err.stack : err)); process.exit(2) })
} else {
  parent().catch((err) => { log(String(err && err.stack ? err.stack : err)); process.exit(2) })
}
