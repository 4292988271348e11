// The whiteboard's export page, opened by headless Chromium on the server
// (workshops/board_export.py): it never runs in a person's browser. Like board.js, it sets
// Excalidraw's asset path before Excalidraw loads, so its fonts come from our static files.
window.EXCALIDRAW_ASSET_PATH = '/static/boards/'
import('./export_app.js').then(({ install }) => install())
