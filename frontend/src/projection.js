// Projection mode (the room's screen): read only, large type, no toolbar nor comments, and
// the projector is not a writer (no name, no caret in the others' editors).

/** Marks the page; call before the editor is created so the layout is right at once. */
export function markProjection(root) {
  root.classList.add('draft--projection')
  document.body.classList.add('draft--projection')
}

/** Once the editor exists: leave the awareness, keep the latest writer's caret in view. */
export function followWriters({ root, provider }) {
  provider.awareness.setLocalState(null)
  let scrollTimer = null
  provider.awareness.on('change', ({ updated }) => {
    if (!updated.length) return
    window.clearTimeout(scrollTimer)
    scrollTimer = window.setTimeout(() => {
      const carets = root.querySelectorAll('.collaboration-carets__caret')
      const last = carets[carets.length - 1]
      if (!last) return
      const r = last.getBoundingClientRect()
      if (r.top < 0 || r.bottom > window.innerHeight) last.scrollIntoView({ block: 'center', behavior: 'smooth' })
    }, 300)
  })
}
