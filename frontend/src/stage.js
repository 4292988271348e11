// The proposal's stage, live: when the server's `abilities` message says the status or
// the freeze changed (a facilitator moved the proposal, froze or reopened the draft),
// the page's badge, stepper and frozen banner follow without a reload. The buttons that
// move the proposal depend on who may do what next: they give way to a "reload" notice.


const byId = (id) => document.getElementById(id)

export function createStage() {
  const badge = byId('proposal-status')
  const initial = badge ? badge.dataset.status : null

  function apply(message) {
    if (!badge) return // the projection page has none of these
    if (message.status && message.status !== badge.dataset.status) {
      badge.classList.remove(`status--${badge.dataset.status}`)
      badge.classList.add(`status--${message.status}`)
      badge.dataset.status = message.status
      const label = String(message.status_label || message.status)
      badge.textContent = label.charAt(0).toUpperCase() + label.slice(1)
      for (const step of document.querySelectorAll('.workflow__step[data-status]')) {
        const current = step.dataset.status === message.status
        step.classList.toggle('workflow__step--current', current)
        if (current) step.setAttribute('aria-current', 'step')
        else step.removeAttribute('aria-current')
      }
    }
    const freeze = byId('proposal-freeze')
    const frozenChanged = freeze && (freeze.dataset.frozen === 'true') !== !!message.frozen
    const changed = (message.status && message.status !== initial) || frozenChanged
    if (freeze) freeze.hidden = !!frozenChanged
    const notice = byId('proposal-status-changed')
    if (notice) notice.hidden = !changed
    const transitions = byId('proposal-transitions')
    if (transitions) transitions.hidden = !!changed

    const banner = byId('draft-frozen')
    if (banner) {
      banner.hidden = !message.frozen
      const note = byId('draft-frozen-note')
      if (note) note.textContent = message.frozen ? String(message.frozen_note || '') : ''
    }
    const access = byId('proposal-access')
    if (access) {
      access.hidden = !message.frozen && !!message.edit
      access.textContent = message.frozen ? access.dataset.frozenText : access.dataset.readText
    }
  }

  return { apply }
}
