// The small form that sets or removes a link (http, https and mailto only).

import { h } from './dom.js'
import { gettext } from './i18n.js'

export const SAFE_URL = /^(https?:\/\/|mailto:)/i

export function createLinkForm(app) {
  const editor = () => app.editor // created after the form, used only on events
  const id = 'draft-link-url'
  const input = h('input', { id, type: 'text', inputmode: 'url', autocomplete: 'url', spellcheck: 'false' })
  const error = h('p', { class: 'draft-linkform__error', id: 'draft-link-error', role: 'alert' })
  const unsetLink = () => {
    editor().chain().focus().extendMarkRange('link').unsetLink().run()
    close(true)
  }
  const form = h(
    'form',
    { class: 'draft-linkform', hidden: true, 'aria-label': gettext('Link') },
    h('label', { for: id }, gettext('Link address (https://…, mailto:…)')),
    input,
    error,
    h(
      'div',
      { class: 'draft-linkform__actions' },
      h('button', { type: 'submit', class: 'button button--small' }, gettext('Apply')),
      h('button', { type: 'button', class: 'button button--small button--secondary', 'data-action': 'unset', onclick: unsetLink }, gettext('Remove the link')),
      h('button', { type: 'button', class: 'button button--small button--secondary', onclick: () => close(true) }, gettext('Cancel')),
    ),
  )
  function open() {
    const current = editor().getAttributes('link').href || ''
    input.value = current
    error.textContent = ''
    input.removeAttribute('aria-invalid')
    form.hidden = false
    input.focus()
    input.select()
  }
  function close(refocus) {
    form.hidden = true
    if (refocus) editor().commands.focus()
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    let url = input.value.trim()
    if (url && !/^[a-z][a-z0-9+.-]*:/i.test(url)) url = url.includes('@') && !url.includes('/') ? `mailto:${url}` : `https://${url}`
    if (!url) {
      unsetLink()
      return
    }
    if (!SAFE_URL.test(url)) {
      error.textContent = gettext('Invalid address: it must start with http://, https:// or mailto:.')
      input.setAttribute('aria-invalid', 'true')
      input.setAttribute('aria-describedby', error.id)
      input.focus()
      return
    }
    const chain = editor().chain().focus().extendMarkRange('link')
    if (editor().state.selection.empty && !editor().isActive('link')) {
      chain.insertContent({ type: 'text', text: url, marks: [{ type: 'link', attrs: { href: url } }] }).run()
    } else {
      chain.setLink({ href: url }).run()
    }
    close(false)
  })
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault()
      close(true)
    }
  })
  return { el: form, open, close }
}
