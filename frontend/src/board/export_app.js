// Renders a stored scene with Excalidraw's own exporters: PNG (exportToBlob) and SVG
// (exportToSvg, which the server prints to PDF). Called by workshops/board_export.py through
// window.agoraBoardExport; the scene is {elements, files: {id: {id, dataURL, mimeType}}}.

import { exportToBlob, exportToSvg, restoreElements } from '@excalidraw/excalidraw'

const MAX_SIDE = 4096 // pixels of the PNG's longer side
const APP_STATE = { exportBackground: true, viewBackgroundColor: '#ffffff', exportWithDarkMode: false, exportEmbedScene: false }

const blobToBase64 = (blob) =>
  new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1])
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(blob)
  })

export function install() {
  window.agoraBoardExport = {
    async png({ elements, files }) {
      const blob = await exportToBlob({
        elements: restoreElements(elements, null),
        files,
        appState: APP_STATE,
        mimeType: 'image/png',
        exportPadding: 24,
        getDimensions: (width, height) => {
          const scale = Math.min(2, MAX_SIDE / Math.max(width, height, 1))
          return { width: Math.round(width * scale), height: Math.round(height * scale), scale }
        },
      })
      return blobToBase64(blob)
    },
    async svg({ elements, files }, target) {
      const svg = await exportToSvg({ elements: restoreElements(elements, null), files, appState: APP_STATE, exportPadding: 24 })
      document.querySelector(target).replaceChildren(svg)
      return { width: Number(svg.getAttribute('width')) || 0, height: Number(svg.getAttribute('height')) || 0 }
    },
  }
  document.documentElement.dataset.ready = 'true'
}
