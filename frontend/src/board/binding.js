// Binds an Excalidraw scene to the board's Yjs document (model.js) and its awareness.
//
// Local → document: Excalidraw calls onChange for every change (and for every pointer move);
// at most every PUSH_MS the elements whose version is above what the document holds are
// written, whole, in one transaction. A drag is thus a few updates a second, not sixty.
// Document → local: updates from the others (any origin but ours) are merged into the scene
// by Excalidraw's own reconcileElements (higher version wins; it also keeps the element the
// person is editing), without entering the person's undo history.
// Awareness: the pointer, the button and the selection; the server writes each state's
// `user` (name and colour), so the names shown are the ones it decides.

import { ELEMENTS, FILES, merge, readElements, wins, writeElements } from './model.js'

const PUSH_MS = 80
const POINTER_MS = 50

function throttle(fn, ms) {
  let timer = null
  return () => {
    if (timer !== null) return
    timer = setTimeout(() => {
      timer = null
      fn()
    }, ms)
  }
}

/**
 * @param {object} o
 * @param {import('yjs').Doc} o.doc
 * @param {object} o.awareness  the provider's awareness
 * @param {object} o.api        Excalidraw's imperative API
 * @param {Function} [o.reconcile]  (local, remote, appState) => elements; Excalidraw's
 * @param {object} [o.captureNever] Excalidraw's CaptureUpdateAction.NEVER
 * @param {Function} [o.loadFile]   (fileId, {document, mimeType}) => Promise<void>
 * @param {Function} [o.onForeignImages] (elements) => void: images not from the library
 * @param {boolean} [o.canEdit]
 */
export function bindBoard({ doc, awareness, api, reconcile = (l, r) => merge(l, r), captureNever, loadFile, onForeignImages, canEdit = false }) {
  const origin = { binding: 'board' } // our own transactions, skipped by our observers
  const elements = doc.getMap(ELEMENTS)
  const files = doc.getMap(FILES)
  const known = new Map() // element id → the last version exchanged with the document
  const requested = new Set() // file ids whose image was asked for
  let editable = canEdit

  const remember = (element) => {
    if (wins(element, known.get(element.id))) known.set(element.id, { version: element.version, versionNonce: element.versionNonce })
  }

  // An image element is shared only once its file is a library document in `files`.
  const accept = (element) => element.type !== 'image' || !element.fileId || files.has(element.fileId)

  const flush = () => {
    if (!editable) return
    const scene = api.getSceneElementsIncludingDeleted()
    // An image dropped from the computer is not shared (its bytes would have to enter the
    // document): the page takes it away and says where images come from.
    const foreign = scene.filter((e) => !e.isDeleted && !accept(e))
    if (foreign.length && onForeignImages) onForeignImages(foreign)
    const changed = scene.filter((e) => wins(e, known.get(e.id)) && accept(e))
    if (!changed.length) return
    writeElements(doc, changed, { origin })
    changed.forEach(remember)
  }
  const schedulePush = throttle(flush, PUSH_MS)

  const applyRemote = (remote) => {
    if (!remote.length) return
    remote.forEach(remember)
    const local = api.getSceneElementsIncludingDeleted()
    const next = reconcile(local, remote, api.getAppState())
    api.updateScene(captureNever ? { elements: next, captureUpdate: captureNever } : { elements: next })
  }

  const loadFiles = (ids) => {
    if (!loadFile) return
    for (const id of ids) {
      const entry = files.get(id)
      if (!entry || requested.has(id)) continue
      requested.add(id)
      Promise.resolve(loadFile(id, entry)).catch(() => requested.delete(id))
    }
  }

  const onElements = (event, transaction) => {
    if (transaction.origin === origin) return
    const remote = []
    for (const key of event.keysChanged) {
      const value = elements.get(key)
      if (value && typeof value === 'object') remote.push(value)
    }
    applyRemote(remote)
  }
  const onFiles = (event, transaction) => {
    if (transaction.origin === origin) return
    loadFiles([...event.keysChanged])
  }
  elements.observe(onElements)
  files.observe(onFiles)

  // Awareness: what we show of ourselves, and the others as Excalidraw collaborators.
  let pointer = null
  const sendPointer = throttle(() => {
    if (pointer) {
      awareness.setLocalStateField('pointer', pointer.pointer)
      awareness.setLocalStateField('button', pointer.button)
    }
  }, POINTER_MS)
  let selectionKey = ''
  const onAwareness = () => {
    const collaborators = new Map()
    awareness.getStates().forEach((state, clientId) => {
      if (clientId === doc.clientID || !state || !state.user) return
      const color = typeof state.user.color === 'string' ? state.user.color : '#4a5560'
      collaborators.set(String(clientId), {
        id: String(clientId),
        socketId: String(clientId),
        username: String(state.user.name || ''),
        pointer: state.pointer && Number.isFinite(state.pointer.x) && Number.isFinite(state.pointer.y) ? state.pointer : undefined,
        button: state.button === 'down' ? 'down' : 'up',
        selectedElementIds: state.selectedElementIds && typeof state.selectedElementIds === 'object' ? state.selectedElementIds : {},
        color: { background: color, stroke: color },
      })
    })
    api.updateScene({ collaborators })
  }
  awareness.on('change', onAwareness)

  return {
    /** Excalidraw's onChange. */
    onChange(_elements, appState) {
      if (!editable) return
      schedulePush()
      const selected = appState && appState.selectedElementIds ? appState.selectedElementIds : {}
      const key = Object.keys(selected).sort().join(',')
      if (key !== selectionKey) {
        selectionKey = key
        awareness.setLocalStateField('selectedElementIds', selected)
      }
    },
    /** Excalidraw's onPointerUpdate. */
    onPointerUpdate({ pointer: p, button }) {
      if (!awareness.getLocalState()) return // the projector shows no pointer
      pointer = { pointer: { x: p.x, y: p.y, tool: p.tool === 'laser' ? 'laser' : 'pointer' }, button }
      sendPointer()
    },
    /** After the first sync (or a fresh one): the scene becomes the document's, whole. */
    loadAll() {
      known.clear()
      const all = readElements(doc)
      all.forEach(remember)
      const local = api.getSceneElementsIncludingDeleted().filter((e) => wins(e, known.get(e.id)) && accept(e))
      const next = reconcile(local, all, api.getAppState())
      api.updateScene(captureNever ? { elements: next, captureUpdate: captureNever } : { elements: next })
      loadFiles([...files.keys()])
      flush() // what was drawn before the sync
    },
    /** The server refused our update: start again from its state, dropping ours. */
    replaceAll() {
      known.clear()
      const all = readElements(doc)
      all.forEach(remember)
      const next = reconcile([], all, api.getAppState())
      api.updateScene(captureNever ? { elements: next, captureUpdate: captureNever } : { elements: next })
    },
    setEditable(value) {
      editable = value
      if (value) flush()
    },
    flush,
    destroy() {
      elements.unobserve(onElements)
      files.unobserve(onFiles)
      awareness.off('change', onAwareness)
    },
  }
}
