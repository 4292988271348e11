// The socket's state as the person sees it (#draft-status), and Agora's control messages
// on the y-websocket connection (docs/protocol.md): type 100 + a JSON string, `hello`
// after each connection, `abilities` and `comments.changed` from the server.

import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import { gettext } from './i18n.js'

const MESSAGE_AGORA = 100 // Agora control messages: varUint 100 + varString JSON
const RETRY_AFTER_RATE_LIMIT_MS = 5000

// The server refused for good (4400-4499): the provider stops reconnecting.
function closeMessage(code) {
  switch (code) {
    case 4401:
      return gettext('Disconnected: your session has expired. Reload the page to connect again.')
    case 4403:
      return gettext('Disconnected: two-factor authentication is required. Reload the page.')
    case 4404:
      return gettext('This draft is no longer available.')
    case 4409: // too many sockets open for this session or person
      return gettext('Too many connections open (tabs or windows): close some of them, then reload the page.')
    case 4400:
      return gettext('Disconnected after a synchronisation error. Reload the page.')
    case 4413:
      return gettext('Change too large: it was not saved. Reload the page.')
    case 4429:
      return gettext('Too many changes at once: reconnecting in a few seconds…')
    default:
      return gettext('Disconnected.')
  }
}

/** The status line: connection, then read-only or frozen. */
export function createStatus({ state, projection }) {
  const statusEl = document.getElementById('draft-status')
  let lastStatus = ''
  function render() {
    if (!statusEl) return
    const parts = []
    const conn = {
      connecting: gettext('Connecting…'),
      connected: gettext('Connected'),
      synced: state.canEdit ? gettext('Saved') : gettext('Connected'),
      offline: state.canEdit ? gettext('Reconnecting… (your changes will be sent)') : gettext('Reconnecting…'),
      closed: state.closedMessage,
    }[state.connection]
    if (conn) parts.push(conn)
    if (state.notice) parts.push(state.notice)
    if (!state.canEdit && !projection) parts.push(state.frozen ? gettext('Draft frozen by the facilitators') : gettext('Read only'))
    if (projection && state.frozen) parts.push(gettext('Draft frozen by the facilitators'))
    const text = parts.join(' · ')
    if (text !== lastStatus) {
      lastStatus = text
      statusEl.textContent = text
      statusEl.dataset.state = state.connection
    }
  }
  return { render }
}

function sendControl(provider, message) {
  const ws = provider.ws
  if (!ws || ws.readyState !== 1) return
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MESSAGE_AGORA)
  encoding.writeVarString(enc, JSON.stringify(message))
  ws.send(encoding.toUint8Array(enc))
}

/** Follows the provider's events into `app.state` and dispatches the control messages. */
export function followConnection(app) {
  const { state, provider } = app
  provider.messageHandlers[MESSAGE_AGORA] = (_encoder, decoder) => {
    let message
    try {
      message = JSON.parse(decoding.readVarString(decoder))
    } catch (e) {
      return
    }
    if (!message || typeof message !== 'object') return
    if (message.type === 'abilities') app.access.applyAbilities(message)
    else if (message.type === 'comments.changed') app.comments.load()
    else if (message.type === 'refused' && app.restart) app.restart()
  }

  provider.on('status', ({ status }) => {
    if (status === 'connected') {
      state.connection = 'connected'
      sendControl(provider, { type: 'hello' })
    } else if (status === 'disconnected') {
      if (state.connection !== 'closed') state.connection = 'offline'
    } else if (status === 'connecting' && state.connection !== 'offline') {
      state.connection = 'connecting'
    }
    app.status.render()
  })
  provider.on('sync', (synced) => {
    if (synced) {
      state.connection = 'synced'
      document.documentElement.dataset.draftSynced = 'true'
      app.status.render()
      app.comments.refreshAnchors()
    }
  })
  provider.on('closed', ({ code }) => {
    state.connection = 'closed'
    state.closedMessage = closeMessage(code)
    app.status.render()
    if (code === 4429) {
      window.setTimeout(() => {
        state.connection = 'connecting'
        provider.connect()
      }, RETRY_AFTER_RATE_LIMIT_MS)
    }
  })
}
