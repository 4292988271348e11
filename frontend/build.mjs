// Bundles the draft editor into static/drafts/ (ESM, minified, deterministic output).
// Usage: npm ci && npm run build   (from frontend/, or with --prefix frontend)
import { build } from 'esbuild'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

await build({
  absWorkingDir: here,
  entryPoints: ['src/editor.js', 'src/editor.css'],
  outdir: resolve(here, '../static/drafts'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: false,
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'info',
})
