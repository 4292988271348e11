// Bundles the draft editor into static/drafts/, the idea wall into static/walls/ and the calls' Janus client into static/calls/
// (ESM, minified, deterministic output).
// Usage: npm ci && npm run build   (from frontend/, or with --prefix frontend)
import { build } from 'esbuild'
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
