// Helpers shared by the benches' Node load generators (writers.mjs, walls.mjs).

import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'

export const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))

// A small deterministic PRNG (mulberry32): the same choices on every server.
export function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// A ws.WebSocket that sends the session cookie and the Origin (Agora's sockets need both).
export function socketClass (cookie, origin) {
  const headers = {}
  if (cookie) headers.Cookie = cookie
  if (origin) headers.Origin = origin
  return class extends WebSocket {
    constructor (url, protocols) {
      super(url, protocols, { headers, perMessageDeflate: false })
    }
  }
}

export async function waitFor (predicate, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timeout waiting for ${what}`)
    await sleep(50)
  }
}

export function percentile (sorted, p) {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p / 100 * sorted.length) - 1))]
}
