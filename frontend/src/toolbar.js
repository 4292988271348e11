// The formatting toolbar: an ARIA toolbar (one tab stop, arrow keys between buttons),
// each button enabled, pressed or hidden according to the editor's state.

import { h } from './dom.js'
import { gettext } from './i18n.js'

const TABLE = { rows: 3, cols: 3, withHeaderRow: true }

export function createToolbar(app) {
  const { state } = app
  const editor = () => app.editor // created after the toolbar, used only on events
  const buttons = []
  const group = (label, ...items) => h('div', { class: 'draft-toolbar__group', role: 'group', 'aria-label': label }, items)
  const button = (name, label, run, opts = {}) => {
    const b = h(
      'button',
      {
        type: 'button',
        class: `draft-toolbar__button draft-toolbar__button--${name}`,
        'aria-label': opts.ariaLabel || label,
        'aria-pressed': opts.toggle ? 'false' : null,
        tabindex: '-1',
        'data-command': name,
      },
      h('span', { class: 'draft-toolbar__text', 'aria-hidden': opts.ariaLabel ? null : 'true' }, label),
    )
    // Keep the editor's selection and focus when a button is pressed with the mouse.
    b.addEventListener('mousedown', (e) => e.preventDefault())
    b.addEventListener('click', () => {
      if (!b.disabled) run()
    })
    buttons.push({ el: b, name, isActive: opts.isActive, canRun: opts.canRun, hidden: opts.hidden })
    return b
  }
  const chain = () => editor().chain().focus()
  const active = (...args) => () => editor().isActive(...args)
  const outsideTable = () => !editor().isActive('table')
  const el = h(
    'div',
    { class: 'draft-toolbar', role: 'toolbar', 'aria-label': gettext('Text formatting'), 'aria-controls': 'draft-editor' },
    group(
      gettext('Block type'),
      button('h1', gettext('Heading 1'), () => chain().toggleHeading({ level: 1 }).run(), { toggle: true, isActive: active('heading', { level: 1 }) }),
      button('h2', gettext('Heading 2'), () => chain().toggleHeading({ level: 2 }).run(), { toggle: true, isActive: active('heading', { level: 2 }) }),
      button('h3', gettext('Heading 3'), () => chain().toggleHeading({ level: 3 }).run(), { toggle: true, isActive: active('heading', { level: 3 }) }),
      button('paragraph', gettext('Paragraph'), () => chain().setParagraph().run(), { toggle: true, isActive: active('paragraph') }),
    ),
    group(
      gettext('Text style'),
      button('bold', gettext('Bold'), () => chain().toggleBold().run(), { toggle: true, isActive: active('bold'), canRun: () => editor().can().toggleBold() }),
      button('italic', gettext('Italic'), () => chain().toggleItalic().run(), { toggle: true, isActive: active('italic'), canRun: () => editor().can().toggleItalic() }),
      button('link', gettext('Link'), () => app.linkForm.open(), { toggle: true, isActive: active('link') }),
    ),
    group(
      gettext('Structure'),
      button('bulletList', gettext('Bulleted list'), () => chain().toggleBulletList().run(), { toggle: true, isActive: active('bulletList') }),
      button('orderedList', gettext('Numbered list'), () => chain().toggleOrderedList().run(), { toggle: true, isActive: active('orderedList') }),
      button('blockquote', gettext('Quotation'), () => chain().toggleBlockquote().run(), { toggle: true, isActive: active('blockquote') }),
      button('callout', gettext('Callout'), () => chain().toggleWrap('callout').run(), { toggle: true, isActive: active('callout') }),
      button('table', gettext('Table'), () => chain().insertTable(TABLE).run(), { canRun: () => editor().can().insertTable(TABLE) }),
      button('caption', gettext('Caption'), () => chain().toggleNode('figureCaption', 'paragraph').run(), { toggle: true, isActive: active('figureCaption') }),
    ),
    group(
      gettext('Table'),
      button('addRow', gettext('Add a row'), () => chain().addRowAfter().run(), { hidden: outsideTable }),
      button('addColumn', gettext('Add a column'), () => chain().addColumnAfter().run(), { hidden: outsideTable }),
      button('deleteTable', gettext('Delete the table'), () => chain().deleteTable().run(), { hidden: outsideTable }),
    ),
    group(
      gettext('History'),
      button('undo', gettext('Undo'), () => chain().undo().run(), { canRun: () => editor().can().undo() }),
      button('redo', gettext('Redo'), () => chain().redo().run(), { canRun: () => editor().can().redo() }),
    ),
    group(
      gettext('Comments'),
      button('comment', gettext('Comment'), () => app.comments.focusForm(), { hidden: () => !state.canComment || !state.selection }),
    ),
  )
  // ARIA toolbar pattern: one tab stop, arrow keys move between buttons.
  el.addEventListener('keydown', (e) => {
    const visible = buttons.filter((b) => !b.el.hidden && !b.el.disabled && b.el.offsetParent !== null)
    const index = visible.findIndex((b) => b.el === document.activeElement)
    if (index < 0) return
    let next = null
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = (index + 1) % visible.length
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = (index - 1 + visible.length) % visible.length
    else if (e.key === 'Home') next = 0
    else if (e.key === 'End') next = visible.length - 1
    else if (e.key === 'Escape') {
      e.preventDefault()
      editor().commands.focus()
      return
    }
    if (next === null) return
    e.preventDefault()
    visible.forEach((b) => b.el.setAttribute('tabindex', '-1'))
    visible[next].el.setAttribute('tabindex', '0')
    visible[next].el.focus()
  })
  el.addEventListener('focusin', (e) => {
    const target = buttons.find((b) => b.el === e.target)
    if (!target) return
    buttons.forEach((b) => b.el.setAttribute('tabindex', b === target ? '0' : '-1'))
  })

  function refresh() {
    let focusable = null
    for (const b of buttons) {
      const hidden = b.hidden ? b.hidden() : false
      b.el.hidden = hidden
      if (b.isActive) b.el.setAttribute('aria-pressed', b.isActive() ? 'true' : 'false')
      let can = state.canEdit
      if (can && b.canRun) {
        try {
          can = !!b.canRun()
        } catch (e) {
          can = false
        }
      }
      if (b.name === 'comment') can = state.canComment && !!state.selection
      b.el.disabled = !can
      if (!hidden && !b.el.disabled && b.el.getAttribute('tabindex') === '0') focusable = b
    }
    // Keep exactly one tab stop on an enabled, visible button.
    if (!focusable) {
      const first = buttons.find((b) => !b.el.hidden && !b.el.disabled)
      buttons.forEach((b) => b.el.setAttribute('tabindex', b === first ? '0' : '-1'))
    }
    buttons.forEach((b) => {
      const parent = b.el.parentElement
      if (parent) parent.hidden = [...parent.children].every((c) => c.hidden)
    })
  }

  return { el, buttons, refresh }
}
