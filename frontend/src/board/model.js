// The whiteboard's Yjs document model (docs/protocol.md, « Whiteboards »), without Excalidraw:
// shared by the browser binding (binding.js) and the Node test with stock Yjs clients.
//
//   elements: Y.Map<element id, the Excalidraw element as plain JSON, with its version>
//   files:    Y.Map<file id, {"document": <library document id>, "mimeType": "image/png"}>
//
// An element is only ever replaced whole by a higher version (Excalidraw bumps `version` on
// every change and draws `versionNonce` anew); deleting keeps it with `isDeleted: true`, as
// Excalidraw does, so a late edit of a deleted element cannot bring it back by accident.
// Image bytes never enter the document: `files` names a library document.

export const ELEMENTS = 'elements'
export const FILES = 'files'

/** True when element `a` should replace `b` (the rule of Excalidraw's reconcileElements). */
export function wins(a, b) {
  if (!b) return true
  if (!a) return false
  if (a.version !== b.version) return a.version > b.version
  // Same version made twice (two people at once): the lower nonce wins, everywhere alike.
  return a.versionNonce < b.versionNonce
}

/** A plain JSON copy: what goes into the document (no prototype, no undefined, no functions). */
export function plain(element) {
  return JSON.parse(JSON.stringify(element))
}

/**
 * Writes the elements that win over the document's copy, in one transaction.
 * Returns how many were written. `accept(element)` may keep some out (e.g. an image
 * whose file is not from the library).
 */
export function writeElements(doc, elements, { origin = null, accept = () => true } = {}) {
  const map = doc.getMap(ELEMENTS)
  const changed = []
  for (const element of elements) {
    if (!element || typeof element.id !== 'string' || !accept(element)) continue
    if (wins(element, map.get(element.id))) changed.push(element)
  }
  if (changed.length) {
    doc.transact(() => {
      for (const element of changed) map.set(element.id, plain(element))
    }, origin)
  }
  return changed.length
}

/** Excalidraw's stacking order: by fractional `index`, then id (a stable tie-break). */
export function ordered(elements) {
  return [...elements].sort((a, b) => {
    const ia = a.index || ''
    const ib = b.index || ''
    if (ia !== ib) return ia < ib ? -1 : 1
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  })
}

/** Every element of the document (deleted ones included), in stacking order. */
export function readElements(doc) {
  return ordered([...doc.getMap(ELEMENTS).values()].filter((e) => e && typeof e === 'object'))
}

/** Local elements merged with remote ones, the winner of each id kept, in stacking order. */
export function merge(local, remote) {
  const byId = new Map()
  for (const element of local) byId.set(element.id, element)
  for (const element of remote) {
    if (wins(element, byId.get(element.id))) byId.set(element.id, element)
  }
  return ordered(byId.values())
}

/** Records that an image element shows a library document. */
export function writeFile(doc, fileId, documentId, mimeType, origin = null) {
  doc.transact(() => doc.getMap(FILES).set(fileId, { document: String(documentId), mimeType }), origin)
}
