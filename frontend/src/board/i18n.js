// The whiteboard's own words (Excalidraw has its French catalogue): English msgids looked up in
// the JSON the page embeds as #board-editor-text (workshops/board_text.py, from locale/).

let catalogue = null

export function gettext(msgid) {
  if (catalogue === null) {
    catalogue = {}
    const el = document.getElementById('board-editor-text')
    try {
      const data = el ? JSON.parse(el.textContent) : null
      if (data && typeof data === 'object') catalogue = data
    } catch (e) {
      // A broken catalogue leaves the words in English rather than the board not working.
    }
  }
  const text = catalogue[msgid]
  return typeof text === 'string' && text ? text : msgid
}
