// Agora's Janus client for calls (bundled into static/calls/janus.js by frontend/build.mjs).
//
// The server (calls/janus.py media_for) hands the page one dict per person:
//   {url, token, room, videoroom, stream, pin, participant, speak, iceServers}
// A person who may speak joins the call's AudioBridge (the mix of speakers) and publishes the
// microphone; a listener watches the call's Streaming mountpoint, which carries that same mix
// (receive-only: Janus refuses a listener's join to the AudioBridge). Cameras and screens go
// through the call's VideoRoom (SFU). This module shows no text: it reports states
// (onState) and levels (onLevel); static/js/call.js says them in French.
import Janus from 'janus-gateway'
import adapter from 'webrtc-adapter'

const AUDIOBRIDGE = 'janus.plugin.audiobridge'
const STREAMING = 'janus.plugin.streaming'
const VIDEOROOM = 'janus.plugin.videoroom'

let initialised = null

function init () {
  if (!initialised) {
    initialised = new Promise((resolve) => {
      Janus.init({
        debug: false,
        dependencies: Janus.useDefaultDependencies({ adapter }),
        callback: resolve,
      })
    })
  }
  return initialised
}

function connect (media, onState) {
  return new Promise((resolve, reject) => {
    const janus = new Janus({
      server: media.url,
      token: media.token,
      iceServers: media.iceServers && media.iceServers.length ? media.iceServers : undefined,
      success: () => resolve(janus),
      error: (cause) => {
        onState('disconnected', { cause: String(cause) })
        reject(new Error(String(cause)))
      },
      destroyed: () => onState('closed', {}),
    })
  })
}

function attach (janus, plugin, callbacks) {
  return new Promise((resolve, reject) => {
    janus.attach({
      plugin,
      opaqueId: 'agora-' + Janus.randomString(8),
      success: resolve,
      error: (cause) => reject(new Error(String(cause))),
      ...callbacks,
    })
  })
}

// One request whose answer comes as an event (join, watch): resolves with it, rejects with
// the plugin's error code.
function request (handle, message, waiter) {
  return new Promise((resolve, reject) => {
    waiter.pending = { resolve, reject }
    handle.send({ message, error: (cause) => reject(new Error(String(cause))) })
  })
}

function play (element, track) {
  const stream = new MediaStream([track])
  element.srcObject = stream
  const started = element.play()
  if (started && started.catch) started.catch(() => {})
}

// Inbound audio of a PeerConnection: bytes, packets, the level (0..1) of the last sample and
// the energy received so far (grows only while something is heard).
async function inboundAudio (pc) {
  const out = { bytesReceived: 0, packetsReceived: 0, audioLevel: 0, totalAudioEnergy: 0, jitter: 0 }
  if (!pc) return out
  const report = await pc.getStats()
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && (s.kind === 'audio' || s.mediaType === 'audio')) {
      out.bytesReceived += s.bytesReceived || 0
      out.packetsReceived += s.packetsReceived || 0
      out.audioLevel = Math.max(out.audioLevel, s.audioLevel || 0)
      out.totalAudioEnergy += s.totalAudioEnergy || 0
      out.jitter = s.jitter || 0
    }
  })
  return out
}

/**
 * Join a call's audio through Janus.
 * @param {object} media what calls/janus.py media_for returned for this person
 * @param {object} options {onLevel(level), onState(state, detail), audioElement, display,
 *   muted (the microphone's state when joining)}
 * @returns {Promise<object>} {speak(bool), mute(bool), getStats(), publishCamera(),
 *   publishScreen(), unpublishVideo(), watchVideo(onTrack), leave(), janus}
 */
export async function joinJanus (media, options = {}) {
  const onState = options.onState || (() => {})
  const onLevel = options.onLevel || (() => {})
  const audio = options.audioElement || document.createElement('audio')
  audio.autoplay = true
  await init()
  if (!Janus.isWebrtcSupported()) {
    onState('unsupported', {})
    throw new Error('webrtc-unsupported')
  }
  onState('connecting', {})
  const janus = await connect(media, onState)
  let current = null // {handle, kind: 'speaker'|'listener'}
  let video = null
  const subscribers = new Map()
  let muted = Boolean(options.muted)
  // AudioBridge « configure » requests, one after the other: over Janus's HTTP transport
  // each is its own request, and two in flight may arrive in either order — a « mute »
  // clicked while the join's own configure travels could be overtaken by it, leaving the
  // person heard while their page says muted. Each waits for the previous one's answer
  // and reads `muted` when it is sent, so the last state asked for is the one Janus has.
  let configuring = Promise.resolve()
  function configure (handle, jsep) {
    const next = configuring.then(() => new Promise((resolve) => {
      const message = { message: { request: 'configure', muted }, success: resolve, error: resolve }
      if (jsep) message.jsep = jsep
      handle.send(message)
    }))
    configuring = next
    return next
  }

  async function listen () {
    const waiter = {}
    const handle = await attach(janus, STREAMING, {
      onmessage: (msg, jsep) => {
        if (msg.error_code && waiter.pending) waiter.pending.reject(Object.assign(new Error(msg.error), { code: msg.error_code }))
        if (jsep) {
          handle.createAnswer({
            jsep,
            tracks: [{ type: 'audio', capture: false, recv: true }],
            success: (answer) => handle.send({ message: { request: 'start' }, jsep: answer }),
            error: (cause) => onState('error', { cause: String(cause) }),
          })
          if (waiter.pending) waiter.pending.resolve(msg)
        }
      },
      onremotetrack: (track, mid, on) => { if (on && track.kind === 'audio') play(audio, track) },
      webrtcState: (up) => onState(up ? 'listening' : 'reconnecting', {}),
    })
    await request(handle, { request: 'watch', id: media.stream, pin: media.pin }, waiter)
    return { handle, kind: 'listener' }
  }

  async function speakOn () {
    const waiter = {}
    const handle = await attach(janus, AUDIOBRIDGE, {
      onmessage: (msg, jsep) => {
        if (msg.error_code && waiter.pending) waiter.pending.reject(Object.assign(new Error(msg.error), { code: msg.error_code }))
        if (msg.audiobridge === 'joined' && waiter.pending) waiter.pending.resolve(msg)
        if (msg.kicked === media.participant || (msg.audiobridge === 'event' && msg.result === 'kicked')) {
          onState('floor-withdrawn', {})
        }
        if (jsep) handle.handleRemoteJsep({ jsep })
      },
      onremotetrack: (track, mid, on) => { if (on && track.kind === 'audio') play(audio, track) },
      webrtcState: (up) => onState(up ? 'speaking' : 'reconnecting', {}),
      oncleanup: () => { if (current && current.handle === handle) onState('floor-withdrawn', {}) },
    })
    await request(handle, {
      request: 'join',
      room: media.room,
      id: media.participant,
      token: media.token,
      muted: true,
      display: options.display || '',
    }, waiter)
    await new Promise((resolve, reject) => {
      handle.createOffer({
        tracks: [{ type: 'audio', capture: true, recv: true }],
        success: (jsep) => {
          configure(handle, jsep)
          resolve()
        },
        error: (cause) => reject(new Error(String(cause))),
      })
    })
    return { handle, kind: 'speaker' }
  }

  async function switchTo (speak) {
    const previous = current
    current = speak ? await speakOn() : await listen()
    if (previous) previous.handle.detach()
  }

  try {
    await switchTo(Boolean(media.speak))
  } catch (error) {
    onState('refused', { code: error.code || 0 })
    janus.destroy()
    throw error
  }

  const levelTimer = setInterval(async () => {
    const pc = current && current.handle.webrtcStuff && current.handle.webrtcStuff.pc
    const stats = await inboundAudio(pc)
    onLevel(stats.audioLevel)
  }, 500)

  async function publishVideo (capture) {
    if (video) video.detach()
    const waiter = {}
    const handle = await attach(janus, VIDEOROOM, {
      onmessage: (msg, jsep) => {
        if (msg.error_code && waiter.pending) waiter.pending.reject(Object.assign(new Error(msg.error), { code: msg.error_code }))
        if (msg.videoroom === 'joined' && waiter.pending) waiter.pending.resolve(msg)
        if (jsep) handle.handleRemoteJsep({ jsep })
      },
    })
    await request(handle, {
      request: 'join', ptype: 'publisher', room: media.videoroom, token: media.token,
      display: options.display || '',
    }, waiter)
    await new Promise((resolve, reject) => {
      handle.createOffer({
        tracks: [{ type: capture === 'screen' ? 'screen' : 'video', capture: true, recv: false }],
        success: (jsep) => { handle.send({ message: { request: 'publish' }, jsep }); resolve() },
        error: (cause) => reject(new Error(String(cause))),
      })
    })
    video = handle
  }

  async function subscribe (feed, onTrack) {
    const handle = await attach(janus, VIDEOROOM, {
      onmessage: (msg, jsep) => {
        if (jsep) {
          handle.createAnswer({
            jsep,
            tracks: [{ type: 'data' }],
            success: (answer) => handle.send({ message: { request: 'start' }, jsep: answer }),
          })
        }
      },
      onremotetrack: (track, mid, on) => onTrack(feed, track, on),
    })
    handle.send({ message: { request: 'join', ptype: 'subscriber', room: media.videoroom, streams: [{ feed }] } })
    subscribers.set(feed, handle)
  }

  // Everyone may watch: the VideoRoom's publishers are polled and subscribed to.
  let watchTimer = null
  async function watchVideo (onTrack) {
    const lister = await attach(janus, VIDEOROOM, {})
    const poll = () => lister.send({
      message: { request: 'listparticipants', room: media.videoroom },
      success: (answer) => {
        const live = new Set()
        for (const p of (answer && answer.participants) || []) {
          if (!p.publisher || p.id === media.participant) continue
          live.add(p.id)
          if (!subscribers.has(p.id)) subscribe(p.id, onTrack).catch(() => {})
        }
        for (const [feed, handle] of subscribers) {
          if (!live.has(feed)) { handle.detach(); subscribers.delete(feed); onTrack(feed, null, false) }
        }
      },
    })
    poll()
    watchTimer = setInterval(poll, 3000)
  }

  return {
    janus,
    get speaking () { return current && current.kind === 'speaker' },
    // Given the floor (the server put this token on the list) or back to listening.
    speak: (yes) => switchTo(Boolean(yes)),
    mute: (yes) => {
      muted = Boolean(yes)
      if (current && current.kind === 'speaker') configure(current.handle)
    },
    getStats: () => {
      const pc = current && current.handle.webrtcStuff && current.handle.webrtcStuff.pc
      return pc ? pc.getStats() : Promise.resolve(new Map())
    },
    inboundAudio: () => inboundAudio(current && current.handle.webrtcStuff && current.handle.webrtcStuff.pc),
    publishCamera: () => publishVideo('camera'),
    publishScreen: () => publishVideo('screen'),
    unpublishVideo: () => { if (video) { video.send({ message: { request: 'unpublish' } }); video.detach(); video = null } },
    watchVideo,
    leave: () => {
      clearInterval(levelTimer)
      if (watchTimer) clearInterval(watchTimer)
      janus.destroy({ unload: false })
    },
  }
}

export default joinJanus
