// The whiteboard page: Excalidraw (React) bound to the board's Yjs document, synced with the
// server's /ws/boards/<board id> socket by the stock y-websocket WebsocketProvider.
//
// #board-editor carries the settings: data-ydoc-url (the provider's serverUrl),
// data-ydoc-room (the board id), data-mode (edit | projection), data-can-edit,
// data-images-url (the library images the person may read, JSON) and data-image-url (where one
// image is fetched, with 00000000-0000-0000-0000-000000000000 for its document id).
// Agora's control messages (type 100 + JSON, docs/protocol.md) come on the same socket:
// `hello` after each connection; `abilities` (edit, frozen) and `refused` from the server.

import React from 'react'
import { createRoot } from 'react-dom/client'
import { CaptureUpdateAction, Excalidraw, convertToExcalidrawElements, reconcileElements, restoreElements } from '@excalidraw/excalidraw'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

import { bindBoard } from './binding.js'
import { gettext } from './i18n.js'
import { writeFile } from './model.js'

const h = React.createElement
const MESSAGE_AGORA = 100
const NO_ID = '00000000-0000-0000-0000-000000000000'
const IMAGE_MAX_SIDE = 480

const flag = (value) => value === 'true'

function closeMessage(code) {
  switch (code) {
    case 4401:
      return gettext('Disconnected: your session has expired. Reload the page to connect again.')
    case 4403:
      return gettext('Disconnected: two-factor authentication is required. Reload the page.')
    case 4404:
      return gettext('This board is no longer available.')
    case 4409:
      return gettext('Too many connections open (tabs or windows): close some of them, then reload the page.')
    case 4413:
      return gettext('Change too large: it was not saved. Reload the page.')
    case 4429:
      return gettext('Too many changes at once: reconnecting in a few seconds…')
    default:
      return gettext('Disconnected.')
  }
}

function sendControl(provider, message) {
  const ws = provider.ws
  if (!ws || ws.readyState !== 1) return
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MESSAGE_AGORA)
  encoding.writeVarString(enc, JSON.stringify(message))
  ws.send(encoding.toUint8Array(enc))
}

const blobToDataURL = (blob) =>
  new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(reader.result)
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(blob)
  })

const imageSize = (dataURL) =>
  new Promise((resolve) => {
    const img = new Image()
    img.onload = () => resolve({ width: img.naturalWidth || 200, height: img.naturalHeight || 200 })
    img.onerror = () => resolve({ width: 200, height: 200 })
    img.src = dataURL
  })

export function mount(root) {
  const cfg = root.dataset
  const projection = cfg.mode === 'projection'
  const state = {
    canEdit: !projection && flag(cfg.canEdit),
    frozen: false,
    connection: 'connecting',
    closedMessage: '',
    notice: '',
  }
  const statusEl = document.getElementById('board-status')
  const renderStatus = () => {
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
    if (!state.canEdit && !projection) parts.push(state.frozen ? gettext('Board frozen by the facilitators') : gettext('Read only'))
    if (state.notice) parts.push(state.notice)
    const text = parts.join(' · ')
    if (statusEl.textContent !== text) statusEl.textContent = text
    statusEl.dataset.state = state.connection
  }

  // --- Images from the library -------------------------------------------------------------
  const imageUrl = (documentId) => (cfg.imageUrl || '').replace(NO_ID, encodeURIComponent(documentId))
  const fetchDataURL = async (documentId) => {
    const response = await fetch(imageUrl(documentId), { credentials: 'same-origin' })
    if (!response.ok) throw new Error(String(response.status))
    return blobToDataURL(await response.blob())
  }

  let session = null // {doc, provider, binding}
  let api = null
  const reactRoot = createRoot(root)

  const loadFile = async (fileId, entry) => {
    const dataURL = await fetchDataURL(entry.document)
    api.addFiles([{ id: fileId, dataURL, mimeType: entry.mimeType, created: Date.now() }])
  }

  async function insertImage(choice) {
    if (!api || !session || !state.canEdit) return
    const dataURL = await fetchDataURL(choice.id)
    const mimeType = choice.mimeType || dataURL.slice(5, dataURL.indexOf(';'))
    const fileId = choice.id // one library document, one file, however often it is placed
    api.addFiles([{ id: fileId, dataURL, mimeType, created: Date.now() }])
    writeFile(session.doc, fileId, choice.id, mimeType)
    let { width, height } = await imageSize(dataURL)
    const scale = Math.min(1, IMAGE_MAX_SIDE / Math.max(width, height))
    width = Math.round(width * scale)
    height = Math.round(height * scale)
    const app = api.getAppState()
    const zoom = (app.zoom && app.zoom.value) || 1
    const x = -app.scrollX + app.width / 2 / zoom - width / 2
    const y = -app.scrollY + app.height / 2 / zoom - height / 2
    const [element] = convertToExcalidrawElements([{ type: 'image', fileId, x, y, width, height, status: 'saved' }])
    api.updateScene({ elements: [...api.getSceneElementsIncludingDeleted(), element], captureUpdate: CaptureUpdateAction.IMMEDIATELY })
    session.binding.flush()
  }

  let dialog = null
  async function openPicker(opener) {
    if (!dialog) {
      dialog = document.createElement('dialog')
      dialog.className = 'board-picker'
      dialog.setAttribute('aria-labelledby', 'board-picker-title')
      document.body.append(dialog)
      dialog.addEventListener('close', () => opener && opener.focus())
    }
    const title = document.createElement('h2')
    title.id = 'board-picker-title'
    title.textContent = gettext('Insert an image from the library')
    const list = document.createElement('ul')
    list.className = 'board-picker__list'
    const close = document.createElement('button')
    close.type = 'button'
    close.className = 'button button--secondary'
    close.textContent = gettext('Cancel')
    close.addEventListener('click', () => dialog.close())
    const info = document.createElement('p')
    info.textContent = gettext('Loading…')
    dialog.replaceChildren(title, info, list, close)
    dialog.showModal()
    let images = []
    try {
      const response = await fetch(cfg.imagesUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      images = (await response.json()).images || []
    } catch (e) {
      info.textContent = gettext('The library could not be reached. Try again later.')
      return
    }
    info.textContent = images.length ? '' : gettext('The library has no image you may use.')
    for (const image of images) {
      const item = document.createElement('li')
      const button = document.createElement('button')
      button.type = 'button'
      button.className = 'board-picker__choice'
      button.textContent = image.title
      button.addEventListener('click', async () => {
        dialog.close()
        try {
          await insertImage(image)
        } catch (e) {
          state.notice = gettext('The image could not be loaded.')
          renderStatus()
        }
      })
      item.append(button)
      list.append(item)
    }
    const first = list.querySelector('button')
    if (first) first.focus()
  }

  // --- The Yjs session (made again from scratch when the server refuses an update) ----------
  function connect({ fresh = false } = {}) {
    const doc = new Y.Doc()
    // BroadcastChannel off: every change goes through the server, which decides who writes.
    const provider = new WebsocketProvider(cfg.ydocUrl, cfg.ydocRoom, doc, { disableBc: true })
    if (projection) provider.awareness.setLocalState(null) // the room's screen is nobody
    const binding = bindBoard({
      doc,
      awareness: provider.awareness,
      api,
      // restoreElements fills what a stock client may have left out (and drops unknown types),
      // so one partial element cannot break everyone's canvas.
      reconcile: (local, remote, appState) => reconcileElements(local, restoreElements(remote, null), appState),
      captureNever: CaptureUpdateAction.NEVER,
      loadFile,
      onForeignImages: (images) => {
        const ids = new Set(images.map((e) => e.id))
        api.updateScene({
          elements: api.getSceneElementsIncludingDeleted().filter((e) => !ids.has(e.id)),
          captureUpdate: CaptureUpdateAction.NEVER,
        })
        state.notice = gettext('Images come from the library: use « Insert an image ».')
        renderStatus()
      },
      canEdit: state.canEdit,
    })
    const current = { doc, provider, binding }
    provider.messageHandlers[MESSAGE_AGORA] = (_encoder, decoder) => {
      let message
      try {
        message = JSON.parse(decoding.readVarString(decoder))
      } catch (e) {
        return
      }
      if (!message || typeof message !== 'object') return
      if (message.type === 'abilities') {
        state.frozen = Boolean(message.frozen)
        state.canEdit = !projection && Boolean(message.edit)
        binding.setEditable(state.canEdit)
        render()
      } else if (message.type === 'refused') {
        state.notice = gettext('The last change was refused by the server (too large or too many shapes); the board shows what was saved.')
        window.setTimeout(() => restart(current), 0)
      }
      renderStatus()
    }
    provider.on('status', ({ status }) => {
      if (status === 'connected') {
        state.connection = 'connected'
        sendControl(provider, { type: 'hello' })
      } else if (status === 'disconnected' && state.connection !== 'closed') state.connection = 'offline'
      renderStatus()
    })
    let first = true
    provider.on('sync', (synced) => {
      if (!synced) return
      state.connection = 'synced'
      if (first) {
        first = false
        if (fresh) binding.replaceAll()
        else binding.loadAll()
        if (projection) fitSoon()
        else if (!fresh && api.getSceneElements().length) api.scrollToContent(undefined, { animate: false })
        document.documentElement.dataset.boardSynced = 'true'
      }
      renderStatus()
    })
    provider.on('connection-close', (event) => {
      const code = event && event.code
      if (code >= 4400 && code < 4500) {
        provider.shouldConnect = code === 4429
        state.connection = 'closed'
        state.closedMessage = closeMessage(code)
        renderStatus()
        if (code === 4429) window.setTimeout(() => provider.connect(), 5000)
      }
    })
    if (projection) doc.getMap('elements').observe(() => fitSoon())
    session = current
    window.agoraBoard = { api, doc, provider, binding }
    return current
  }

  function restart(old) {
    if (session !== old) return
    old.binding.destroy()
    old.provider.destroy()
    old.doc.destroy()
    connect({ fresh: true })
  }

  let fitTimer = null
  const fitToContent = () => api && api.scrollToContent(undefined, { fitToViewport: true, viewportZoomFactor: 0.9, animate: false })
  const fitSoon = () => {
    window.clearTimeout(fitTimer)
    fitTimer = window.setTimeout(fitToContent, 300)
  }

  const langCode = (document.documentElement.lang || 'fr').startsWith('fr') ? 'fr-FR' : 'en'

  function render() {
    reactRoot.render(
      h(Excalidraw, {
        excalidrawAPI: (value) => {
          if (api) return
          api = value
          connect()
        },
        initialData: { elements: [], appState: { viewBackgroundColor: '#ffffff', currentItemFontFamily: 5 } },
        langCode,
        isCollaborating: !projection,
        viewModeEnabled: !state.canEdit,
        zenModeEnabled: projection,
        theme: 'light',
        name: cfg.boardTitle || '',
        detectScroll: true,
        handleKeyboardGlobally: false,
        autoFocus: false,
        validateEmbeddable: () => false, // nothing embedded from another site
        UIOptions: {
          canvasActions: { loadScene: false, saveToActiveFile: false, export: false, saveAsImage: false, toggleTheme: false, clearCanvas: state.canEdit },
          tools: { image: false }, // images come from the library (the button above the board)
        },
        onChange: (elements, appState) => session && session.binding.onChange(elements, appState),
        onPointerUpdate: (payload) => session && session.binding.onPointerUpdate(payload),
        onPaste: (data) => {
          if (data && data.files && Object.keys(data.files).length) {
            state.notice = gettext('Images come from the library: use « Insert an image ».')
            renderStatus()
            return false
          }
          return true
        },
      }),
    )
    const button = document.getElementById('board-insert-image')
    if (button) button.hidden = !state.canEdit
  }

  const insert = document.getElementById('board-insert-image')
  if (insert && !projection) insert.addEventListener('click', () => openPicker(insert))
  const fullscreen = document.getElementById('board-fullscreen')
  if (fullscreen) {
    fullscreen.addEventListener('click', () => {
      const target = document.querySelector('.board-stage') || root
      if (document.fullscreenElement) document.exitFullscreen()
      else if (target.requestFullscreen) target.requestFullscreen().then(fitSoon, () => {})
    })
  }

  // Excalidraw's menu button has an icon and no name: give it one for screen readers.
  new MutationObserver(() => {
    for (const button of root.querySelectorAll('.main-menu-trigger:not([aria-label])')) {
      button.setAttribute('aria-label', gettext('Menu'))
    }
  }).observe(root, { childList: true, subtree: true })

  root.classList.add('board-editor--live')
  if (projection) {
    document.body.classList.add('board--projection')
    window.addEventListener('resize', () => fitSoon())
  }
  render()
  renderStatus()
}
