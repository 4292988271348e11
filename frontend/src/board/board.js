// Agora — the whiteboard (« tableau blanc », issue 14): the entry the board pages load.
// It is small on purpose: Excalidraw, React and the Yjs binding (app.js and its chunks) are
// fetched only here, once the page has a #board-editor. Excalidraw reads
// window.EXCALIDRAW_ASSET_PATH when it loads, to find its fonts on our own site.

const root = document.getElementById('board-editor')
if (root && root.dataset.ydocRoom) {
  window.EXCALIDRAW_ASSET_PATH = root.dataset.assetPath || '/static/boards/'
  import('./app.js').then(({ mount }) => mount(root))
}
