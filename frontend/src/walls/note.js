// One sticky note of the wall: its text, author, the people looking at it, its dots, and
// what the person may do with it (edit, "Move to..." (Deplacer vers...), delete, comment). The element
// is kept across renders and only its parts change, so focus and a half-typed edit survive
// the others' changes.

import { formatDate, h } from '../dom.js'
import { gettext, interpolate } from '../i18n.js'
import { COLOURS, textLength } from './model.js'
import { colourLabel, commentsLabel, dotsCount } from './words.js'

let serial = 0

/** Radio buttons of the six colours (a fieldset), `current` checked. */
export function colourChoice(name, current, legend) {
  const choices = COLOURS.map((key) => {
    const id = `${name}-${key}`
    const input = h('input', { type: 'radio', name, id, value: key, class: 'colour-choice__input' })
    input.checked = key === current
    return h('span', { class: `colour-choice__item colour--${key}` }, input, h('label', { for: id, class: 'colour-choice__label' }, colourLabel(key)))
  })
  return h('fieldset', { class: 'colour-choice' }, h('legend', {}, legend), choices)
}

export const checkedColour = (form, name) => {
  const input = form.querySelector(`input[name="${name}"]:checked`)
  return input ? input.value : COLOURS[0]
}

/** A textarea with its label and a live count of characters (no more than `max`). */
export function textField({ id, label, max, value = '', rows = 3, required = true }) {
  const counterId = `${id}-count`
  const area = h('textarea', { id, rows, maxlength: max, 'aria-describedby': counterId, required })
  area.value = value
  const counter = h('span', { id: counterId, class: 'wall-counter' })
  const refresh = () => {
    counter.textContent = interpolate(gettext('%(count)s of %(max)s characters'), { count: textLength(area.value), max })
  }
  area.addEventListener('input', refresh)
  refresh()
  return { area, el: h('div', { class: 'field' }, h('label', { for: id }, label), area, counter), refresh }
}

export function createNote(app, id) {
  const uid = `n${++serial}`
  const textId = `${uid}-text`
  const text = h('p', { class: 'note__text', id: textId, lang: 'fr' })
  const author = h('span', { class: 'note__author' })
  const privateBadge = h('span', { class: 'note__private' }, gettext('Only you see it'))
  const meta = h('p', { class: 'note__meta' }, author, privateBadge)
  const here = h('p', { class: 'note__here' })

  // Dots: the results once revealed, the person's own during a vote.
  const total = h('p', { class: 'note__total' })
  const mine = h('span', { class: 'note__mine' })
  const addDot = h('button', { type: 'button', class: 'wall-button wall-button--dot', 'aria-describedby': textId, onclick: () => app.dot('add', target()) }, gettext('Add a dot'))
  const removeDot = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': textId, onclick: () => app.dot('remove', target()) }, gettext('Remove a dot'))
  const dots = h('div', { class: 'note__dots' }, mine, addDot, removeDot)

  const editButton = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': textId, onclick: () => open('edit') }, gettext('Edit'))
  const moveButton = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': textId, 'data-action': 'move', onclick: () => open('move') }, gettext('Move to…'))
  const deleteButton = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': textId, onclick: () => open('delete') }, gettext('Delete'))
  const actions = h('div', { class: 'note__actions' }, editButton, moveButton, deleteButton)
  const panel = h('div', { class: 'note__panel' })
  panel.hidden = true

  // Comments: a disclosure with the list and, for those who may write, a form.
  const commentsSummary = h('summary', { class: 'note__comments-summary' })
  const commentsList = h('ul', { class: 'note__comments-list' })
  const commentField = textField({ id: `${uid}-comment`, label: gettext('Your comment'), max: 500, rows: 2 })
  const commentForm = h(
    'form',
    { class: 'note__comment-form', onsubmit: (event) => {
      event.preventDefault()
      if (app.comment(current, commentField.area.value)) {
        commentField.area.value = ''
        commentField.refresh()
      }
    } },
    commentField.el,
    h('button', { type: 'submit', class: 'wall-button wall-button--small' }, gettext('Comment')),
  )
  const comments = h('details', { class: 'note__comments' }, commentsSummary, commentsList, commentForm)
  comments.addEventListener('toggle', () => {
    if (comments.open) renderComments(true)
  })

  const propose = app.proposeForm(`n:${id}`, gettext('Create a proposal'))
  if (propose) propose.querySelector('button').setAttribute('aria-describedby', textId)
  const el = h('li', { class: 'note', 'data-note': id, tabindex: '-1' }, text, meta, here, total, dots, actions, panel, comments, propose)
  el.addEventListener('focusin', () => app.focusNote(id))
  el.addEventListener('focusout', (event) => {
    if (!el.contains(event.relatedTarget)) app.focusNote(null)
  })
  let fromField = false
  el.addEventListener('pointerdown', (event) => {
    fromField = !!event.target.closest('textarea, input, select, details')
  })
  el.addEventListener('dragstart', (event) => {
    if (fromField || panelKind) {
      event.preventDefault()
      return
    }
    app.dragStart(event, current)
  })
  el.addEventListener('dragend', () => app.dragEnd())

  let current = null
  let shown = {}
  let panelKind = null
  let panelOpener = null
  let commentsKey = ''

  const target = () => `n:${id}`

  function set(key, value, apply) {
    if (shown[key] === value) return
    shown[key] = value
    apply(value)
  }

  function update(note, ctx) {
    current = note
    set('text', note.text, (v) => {
      text.textContent = v
    })
    set('colour', note.colour, (v) => {
      for (const c of COLOURS) el.classList.toggle(`note--${c}`, c === v)
    })
    const by = note.source === 'sheet' ? gettext('You') : note.name || (note.author ? gettext('Someone') : gettext('Anonymous'))
    set('author', by, (v) => {
      author.textContent = v
    })
    set('private', note.source === 'sheet', (v) => {
      privateBadge.hidden = !v
      el.classList.toggle('note--private', v)
    })
    const names = ctx.here.map((p) => p.name).join(', ')
    set('here', names, (v) => {
      here.textContent = v ? interpolate(gettext('Here: %(names)s'), { names: v }) : ''
      here.hidden = !v
    })
    set('total', ctx.total ? String(ctx.total) : '', (v) => {
      total.hidden = v === ''
      total.textContent = v === '' ? '' : dotsCount(Number(v))
    })
    set('dots', JSON.stringify([ctx.vote, ctx.mine, ctx.left]), () => {
      dots.hidden = !ctx.vote
      mine.textContent = interpolate(gettext('Your dots: %(count)s'), { count: ctx.mine })
      addDot.disabled = !(ctx.left > 0)
      removeDot.hidden = !(ctx.mine > 0)
    })
    set('rights', JSON.stringify([ctx.canEdit, ctx.canMove]), () => {
      editButton.hidden = !ctx.canEdit
      deleteButton.hidden = !ctx.canEdit
      moveButton.hidden = !ctx.canMove
      actions.hidden = !ctx.canEdit && !ctx.canMove
      el.draggable = ctx.canMove && !app.projection
      el.classList.toggle('note--movable', ctx.canMove && !app.projection)
      if ((panelKind === 'edit' || panelKind === 'delete') && !ctx.canEdit) close(false)
      if (panelKind === 'move' && !ctx.canMove) close(false)
    })
    set('commentable', ctx.canComment, (v) => {
      commentForm.hidden = !v
    })
    comments.hidden = app.projection || (ctx.commentCount === 0 && !ctx.canComment) || note.source === 'sheet'
    if (propose) propose.hidden = note.source === 'sheet'
    set('commentCount', ctx.commentCount, (v) => {
      commentsSummary.textContent = commentsLabel(v)
    })
    if (comments.open) renderComments(false)
    if (panelKind === 'move') refreshMoveTargets()
  }

  function renderComments(force) {
    const list = app.commentsOf(id)
    const key = JSON.stringify(list.map((c) => c.id))
    if (!force && key === commentsKey) return
    commentsKey = key
    commentsList.replaceChildren(
      ...list.map((c) =>
        h(
          'li',
          { class: 'note__comment' },
          h('span', { class: 'note__comment-by' }, c.name || gettext('Someone')),
          c.at ? h('time', { datetime: c.at, class: 'note__comment-at' }, formatDate(c.at)) : '',
          h('span', { class: 'note__comment-text', lang: 'fr' }, c.text),
        ),
      ),
    )
    if (!list.length) commentsList.append(h('li', { class: 'note__comment note__comment--none' }, gettext('No comments yet.')))
  }

  // --- The panel under the note: edit, move, or confirm a deletion ---------------------

  let moveSelect = null
  let moveKey = ''

  function refreshMoveTargets() {
    if (!moveSelect || !current) return
    const targets = app.moveTargets(current)
    const key = JSON.stringify(targets)
    if (key === moveKey) return
    moveKey = key
    const chosen = moveSelect.value
    moveSelect.replaceChildren(...targets.map((t) => h('option', { value: t.value }, t.label)))
    const here = `${current.cluster ? 'cluster' : 'column'}:${current.cluster || current.column}`
    moveSelect.value = targets.some((t) => t.value === chosen) && chosen ? chosen : here
  }

  function open(kind) {
    if (!current) return
    panelOpener = { edit: editButton, move: moveButton, delete: deleteButton }[kind]
    panelKind = kind
    panel.hidden = false
    moveSelect = null
    moveKey = ''
    if (kind === 'edit') panel.replaceChildren(editForm())
    else if (kind === 'move') panel.replaceChildren(moveForm())
    else panel.replaceChildren(deleteForm())
    el.classList.add('note--open')
    const first = panel.querySelector('textarea, select, button')
    if (first) first.focus()
  }

  function close(restoreFocus = true) {
    panelKind = null
    panel.hidden = true
    panel.replaceChildren()
    moveSelect = null
    el.classList.remove('note--open')
    if (restoreFocus && panelOpener && !panelOpener.hidden) panelOpener.focus()
  }

  const onEscape = (event) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      close()
    }
  }
  panel.addEventListener('keydown', onEscape)

  function editForm() {
    const field = textField({ id: `${uid}-edit`, label: gettext('Text of the note'), max: app.limits().text, value: current.text })
    const colours = colourChoice(`${uid}-colour`, current.colour, gettext('Colour'))
    return h(
      'form',
      { class: 'note__form', onsubmit: (event) => {
        event.preventDefault()
        if (app.editNote(current, { text: field.area.value, colour: checkedColour(event.target, `${uid}-colour`) })) close()
      } },
      field.el,
      colours,
      h('div', { class: 'wall-row' },
        h('button', { type: 'submit', class: 'wall-button' }, gettext('Save')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => close() }, gettext('Cancel'))),
    )
  }

  function moveForm() {
    const selectId = `${uid}-move`
    moveSelect = h('select', { id: selectId })
    refreshMoveTargets()
    return h(
      'form',
      { class: 'note__form', onsubmit: (event) => {
        event.preventDefault()
        app.moveNoteTo(current, moveSelect.value)
        close(false)
      } },
      h('div', { class: 'field' }, h('label', { for: selectId }, gettext('Move to…')), moveSelect),
      h('div', { class: 'wall-row' },
        h('button', { type: 'submit', class: 'wall-button' }, gettext('Move')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => app.stepNote(current, -1) }, gettext('Up')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => app.stepNote(current, 1) }, gettext('Down')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => close() }, gettext('Close'))),
    )
  }

  function deleteForm() {
    return h(
      'div',
      { class: 'note__form', role: 'group', 'aria-label': gettext('Delete this note?') },
      h('p', {}, gettext('Delete this note? Its comments go with it.')),
      h('div', { class: 'wall-row' },
        h('button', { type: 'button', class: 'wall-button wall-button--danger', onclick: () => app.deleteNote(current) }, gettext('Delete the note')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => close() }, gettext('Cancel'))),
    )
  }

  function focus() {
    el.focus({ preventScroll: false })
  }

  return { el, update, focus, close, get note() { return current } }
}
