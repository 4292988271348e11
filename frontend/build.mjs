// Bundles the draft editor into static/drafts/, the idea wall into static/walls/, the calls' Janus
// client into static/calls/ and the whiteboard (Excalidraw) into static/boards/ (ESM, minified,
// deterministic output).
// Usage: npm ci && npm run build   (from frontend/, or with --prefix frontend)
import { build } from 'esbuild'
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

const common = {
  absWorkingDir: here,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'info',
}

await build({
  ...common,
  entryPoints: ['src/editor.js', 'src/editor.css'],
  outdir: resolve(here, '../static/drafts'),
})

// The idea wall (issue 14): static/walls/wall.js and wall.css.
await build({
  ...common,
  entryPoints: [
    { in: 'src/walls/wall.js', out: 'wall' },
    { in: 'src/walls/wall.css', out: 'wall' },
  ],
  outdir: resolve(here, '../static/walls'),
})

// janus-gateway (janus.js) and webrtc-adapter, for calls through Janus (calls/janus.py).
await build({
  ...common,
  entryPoints: [{ in: 'src/calls/janus_client.js', out: 'janus' }],
  outdir: resolve(here, '../static/calls'),
})

// The whiteboard (frontend/src/board/): a small entry that the board pages alone load, which
// imports Excalidraw, React and the Yjs binding on demand (code splitting: chunks/). Excalidraw
// fetches its drawing fonts from window.EXCALIDRAW_ASSET_PATH (set by the entry to
// /static/boards/), so its fonts/ folder is copied there; its interface font comes through
// its stylesheet (assets/).
const EXCALIDRAW = resolve(here, 'node_modules/@excalidraw/excalidraw/dist/prod')
// Excalidraw lists a CDN (esm.sh) after our own address as a fallback for every font: a font
// missing here would be fetched from there. It becomes our own address again, so nothing
// ever leaves the site; the build fails if a new version changes that code.
const CDN_FALLBACK = /`https:\/\/esm\.sh\/\$\{.*?\}\/dist\/prod\/`/
// Evaluated when the module loads, in the page or in the font worker (no window there).
const SAME_SITE = 'new URL((typeof window<"u"&&window.EXCALIDRAW_ASSET_PATH)||"/static/boards/",self.location.href).href'
const noCdn = {
  name: 'no-cdn',
  setup(b) {
    b.onLoad({ filter: /@excalidraw[\\/]excalidraw[\\/]dist[\\/]prod[\\/][^\\/]+\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8')
      if (!code.includes('esm.sh')) return { contents: code, loader: 'js' }
      if (!CDN_FALLBACK.test(code)) throw new Error(`${args.path}: Excalidraw's font fallback changed; check it`)
      return { contents: code.replace(CDN_FALLBACK, SAME_SITE), loader: 'js' }
    })
  },
}
const boards = resolve(here, '../static/boards')
rmSync(boards, { recursive: true, force: true })
await build({
  ...common,
  entryPoints: ['src/board/board.js', 'src/board/export.js', 'src/board/board.css'],
  outdir: boards,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  assetNames: 'assets/[name]-[hash]',
  conditions: ['production'],
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff2': 'file' },
  plugins: [noCdn],
})
cpSync(resolve(EXCALIDRAW, 'fonts'), resolve(boards, 'fonts'), { recursive: true })
