// The wall's columns and groups, in reading order: a heading per column (h2) and per group
// (h3), each with its list of notes. Elements are kept by id across renders and moved only
// when their place changes. Drag and drop (pointer) moves a note into a list at the place
// it is dropped; "Move to..." (Deplacer vers...) on each note does the same by keyboard.

import { h } from '../dom.js'
import { gettext, interpolate } from '../i18n.js'
import { createNote } from './note.js'
import { dotsCount, notesCount } from './words.js'

let serial = 0

/** Put `children` in `parent` in this order, moving only what is out of place. */
export function placeChildren(parent, children, start = 0) {
  const active = document.activeElement
  children.forEach((child, i) => {
    const at = parent.children[start + i]
    if (at !== child) parent.insertBefore(child, at || null)
  })
  while (parent.children.length > start + children.length) parent.lastElementChild.remove()
  // A focused element that moved lost its focus: give it back.
  if (active && active !== document.activeElement && active.isConnected && document.activeElement === document.body) {
    active.focus({ preventScroll: true })
  }
}

function notesList(column, cluster) {
  return h('ul', { class: 'wall-notes', 'data-column': column, 'data-cluster': cluster })
}

function createCluster(app, id) {
  const uid = `g${++serial}`
  const headingId = `${uid}-h`
  const name = h('span', { class: 'wall-cluster__name', lang: 'fr' })
  const count = h('span', { class: 'wall-count' })
  const heading = h('h3', { id: headingId, class: 'wall-cluster__title' }, name, ' ', count)
  const total = h('p', { class: 'wall-cluster__total' })
  const mine = h('span', { class: 'note__mine' })
  const addDot = h('button', { type: 'button', class: 'wall-button wall-button--dot', 'aria-describedby': headingId, onclick: () => app.dot('add', `c:${id}`) }, gettext('Add a dot'))
  const removeDot = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': headingId, onclick: () => app.dot('remove', `c:${id}`) }, gettext('Remove a dot'))
  const dots = h('div', { class: 'note__dots' }, mine, addDot, removeDot)
  const renameButton = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': headingId, onclick: () => open('rename') }, gettext('Rename'))
  const moveButton = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': headingId, onclick: () => open('move') }, gettext('Move to…'))
  const deleteButton = h('button', { type: 'button', class: 'wall-button wall-button--small', 'aria-describedby': headingId, onclick: () => open('delete') }, gettext('Delete the group'))
  const propose = app.proposeForm(`c:${id}`, gettext('Create a proposal from this group'))
  if (propose) propose.querySelector('button').setAttribute('aria-describedby', headingId)
  const tools = h('div', { class: 'wall-cluster__tools' }, renameButton, moveButton, deleteButton)
  const panel = h('div', { class: 'note__panel' })
  panel.hidden = true
  const list = notesList('', id)
  const empty = h('p', { class: 'wall-empty' }, gettext('No notes in this group yet.'))
  const el = h('section', { class: 'wall-cluster', 'aria-labelledby': headingId, 'data-cluster': id },
    h('div', { class: 'wall-cluster__head' }, heading, total, dots, tools), panel, list, empty, propose)

  let current = null
  let kind = null
  let opener = null

  function update(cluster, ctx) {
    current = cluster
    if (name.textContent !== cluster.name) name.textContent = cluster.name || gettext('Untitled group')
    const countText = `(${notesCount(cluster.notes.length)})`
    if (count.textContent !== countText) count.textContent = countText
    list.dataset.column = cluster.column
    empty.hidden = cluster.notes.length > 0
    tools.hidden = !ctx.canEditClusters || app.projection
    total.hidden = !ctx.total
    total.textContent = ctx.total ? dotsCount(ctx.total) : ''
    dots.hidden = !ctx.vote
    mine.textContent = interpolate(gettext('Your dots: %(count)s'), { count: ctx.mine })
    addDot.disabled = !(ctx.left > 0)
    removeDot.hidden = !(ctx.mine > 0)
    if (kind && !ctx.canEditClusters) close(false)
  }

  function open(which) {
    kind = which
    opener = { rename: renameButton, move: moveButton, delete: deleteButton }[which]
    panel.hidden = false
    if (which === 'rename') {
      const inputId = `${uid}-name`
      const input = h('input', { type: 'text', id: inputId, maxlength: app.limits().name, required: true })
      input.value = current.name
      panel.replaceChildren(h('form', { class: 'note__form', onsubmit: (event) => {
        event.preventDefault()
        if (app.renameCluster(current, input.value)) close()
      } },
      h('div', { class: 'field' }, h('label', { for: inputId }, gettext('Name of the group')), input),
      h('div', { class: 'wall-row' },
        h('button', { type: 'submit', class: 'wall-button' }, gettext('Rename')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => close() }, gettext('Cancel')))))
    } else if (which === 'move') {
      const selectId = `${uid}-move`
      const select = h('select', { id: selectId }, app.columns().map((c) => h('option', { value: c.key }, c.label || gettext('Sticky notes'))))
      select.value = current.column
      panel.replaceChildren(h('form', { class: 'note__form', onsubmit: (event) => {
        event.preventDefault()
        app.moveCluster(current, select.value)
        close()
      } },
      h('div', { class: 'field' }, h('label', { for: selectId }, gettext('Move the group to the column')), select),
      h('div', { class: 'wall-row' },
        h('button', { type: 'submit', class: 'wall-button' }, gettext('Move')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => app.stepCluster(current, -1) }, gettext('Up')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => app.stepCluster(current, 1) }, gettext('Down')),
        h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => close() }, gettext('Close')))))
    } else {
      panel.replaceChildren(h('div', { class: 'note__form', role: 'group', 'aria-label': gettext('Delete the group') },
        h('p', {}, gettext('Delete this group? Its notes stay on the wall, outside any group.')),
        h('div', { class: 'wall-row' },
          h('button', { type: 'button', class: 'wall-button wall-button--danger', onclick: () => app.deleteCluster(current) }, gettext('Delete the group')),
          h('button', { type: 'button', class: 'wall-button wall-button--secondary', onclick: () => close() }, gettext('Cancel')))))
    }
    const first = panel.querySelector('input, select, button')
    if (first) first.focus()
  }

  function close(restore = true) {
    kind = null
    panel.hidden = true
    panel.replaceChildren()
    if (restore && opener && !opener.hidden) opener.focus()
  }
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      close()
    }
  })

  return { el, list, update, focus: () => renameButton.focus() }
}

function createColumn(app, key, index) {
  const uid = `c${++serial}`
  const headingId = `${uid}-h`
  const label = h('span', { class: 'wall-column__label' })
  const count = h('span', { class: 'wall-count' })
  const heading = h('h2', { id: headingId, class: 'wall-column__title' }, label, ' ', count)
  const list = notesList(key, '')
  const empty = h('p', { class: 'wall-empty' })
  const clusters = h('div', { class: 'wall-clusters' })
  // Once the column has groups, its other notes get a heading of their own.
  const looseHeading = h('h3', { class: 'wall-loose__title' }, gettext('Outside any group'))

  const inputId = `${uid}-group`
  const input = h('input', { type: 'text', id: inputId, maxlength: 80, required: true })
  const newCluster = h(
    'details',
    { class: 'wall-newcluster' },
    h('summary', { class: 'wall-newcluster__summary' }, gettext('New group')),
    h('form', { class: 'note__form', onsubmit: (event) => {
      event.preventDefault()
      if (app.addCluster(key, input.value)) {
        input.value = ''
        newCluster.open = false
      }
    } },
    h('div', { class: 'field' }, h('label', { for: inputId }, gettext('Name of the group')), input),
    h('button', { type: 'submit', class: 'wall-button' }, gettext('Create the group'))),
  )
  const el = h('section', { class: 'wall-column', id: `wall-column-${index}`, 'aria-labelledby': headingId, 'data-column': key },
    heading, clusters, looseHeading, list, empty, newCluster)

  function update(column, ctx) {
    const text = column.label || gettext('Sticky notes')
    if (label.textContent !== text) label.textContent = text
    const n = column.notes.length + column.clusters.reduce((sum, c) => sum + c.notes.length, 0)
    const countText = `(${notesCount(n)})`
    if (count.textContent !== countText) count.textContent = countText
    // With groups and nothing outside them, the column says nothing more.
    looseHeading.hidden = column.clusters.length === 0 || column.notes.length === 0
    empty.hidden = column.notes.length > 0 || column.clusters.length > 0
    const emptyText = column.clusters.length ? gettext('No notes outside a group.') : gettext('No notes yet.')
    if (empty.textContent !== emptyText) empty.textContent = emptyText
    newCluster.hidden = !ctx.canEditClusters || app.projection
    input.maxLength = app.limits().name
  }

  return { el, list, clusters, update, headingId }
}

/** The board: `render(view, ctx)` brings the DOM in line with the wall's reading order. */
export function createBoard(app) {
  const el = h('div', { class: 'wall-board' })
  const columns = new Map()
  const clusters = new Map()
  const notes = new Map()

  function render(view, ctx) {
    const active = document.activeElement
    renderAll(view, ctx)
    if (active && active !== document.activeElement && active.isConnected && document.activeElement === document.body) {
      active.focus({ preventScroll: true })
    }
  }

  function renderAll(view, ctx) {
    const seenColumns = new Set()
    const seenClusters = new Set()
    const seenNotes = new Set()
    const columnEls = view.map((column, i) => {
      let comp = columns.get(column.key)
      if (!comp) {
        comp = createColumn(app, column.key, i)
        columns.set(column.key, comp)
      }
      seenColumns.add(column.key)
      comp.update(column, ctx)
      placeChildren(comp.list, column.notes.map((note) => noteEl(note, ctx, seenNotes)))
      const clusterEls = column.clusters.map((cluster) => {
        let cc = clusters.get(cluster.id)
        if (!cc) {
          cc = createCluster(app, cluster.id)
          clusters.set(cluster.id, cc)
        }
        seenClusters.add(cluster.id)
        cc.update(cluster, ctx.cluster(cluster))
        placeChildren(cc.list, cluster.notes.map((note) => noteEl(note, ctx, seenNotes)))
        return cc.el
      })
      placeChildren(comp.clusters, clusterEls)
      return comp.el
    })
    placeChildren(el, columnEls)
    for (const [key] of columns) if (!seenColumns.has(key)) columns.delete(key)
    for (const [key] of clusters) if (!seenClusters.has(key)) clusters.delete(key)
    for (const [key] of notes) if (!seenNotes.has(key)) notes.delete(key)
  }

  function noteEl(note, ctx, seen) {
    const key = `${note.source}:${note.id}`
    let comp = notes.get(key)
    if (!comp) {
      comp = createNote(app, note.id)
      notes.set(key, comp)
    }
    seen.add(key)
    comp.update(note, ctx.note(note))
    return comp.el
  }

  function noteComponent(note) {
    return notes.get(`${note.source}:${note.id}`)
  }

  function clusterComponent(id) {
    return clusters.get(id)
  }

  // --- Drag and drop ---------------------------------------------------------------------

  let marker = null
  function clearMarks() {
    for (const x of el.querySelectorAll('.wall-notes--over')) x.classList.remove('wall-notes--over')
    if (marker) marker.remove()
    marker = null
  }

  function dropPlace(event) {
    const list = event.target.closest && event.target.closest('.wall-notes, .wall-column, .wall-cluster')
    if (!list) return null
    let ul = list
    if (!list.classList.contains('wall-notes')) {
      // Over a column or group but not its list: drop at the end of that list.
      ul = list.classList.contains('wall-cluster')
        ? list.querySelector(':scope > .wall-notes')
        : list.querySelector(':scope > .wall-notes')
    }
    if (!ul) return null
    const dragged = app.dragging()
    const items = [...ul.children].filter((li) => li.classList.contains('note') && !li.classList.contains('note--dragging'))
    let index = items.length
    for (let i = 0; i < items.length; i++) {
      const r = items[i].getBoundingClientRect()
      if (event.clientY < r.top + r.height / 2) {
        index = i
        break
      }
    }
    return { ul, index, before: items[index] || null, column: ul.dataset.column || '', cluster: ul.dataset.cluster || '', dragged }
  }

  el.addEventListener('dragover', (event) => {
    const dragged = app.dragging()
    if (!dragged) return
    const place = dropPlace(event)
    if (!place || (dragged.source === 'sheet' && place.cluster)) return
    event.preventDefault()
    event.dataTransfer.dropEffect = 'move'
    if (!place.ul.classList.contains('wall-notes--over')) {
      clearMarks()
      place.ul.classList.add('wall-notes--over')
    }
    if (!marker) marker = h('li', { class: 'wall-drop-marker', 'aria-hidden': 'true' })
    if (marker.parentNode !== place.ul || marker.nextSibling !== place.before) place.ul.insertBefore(marker, place.before)
  })
  el.addEventListener('dragleave', (event) => {
    if (!el.contains(event.relatedTarget)) clearMarks()
  })
  el.addEventListener('drop', (event) => {
    const dragged = app.dragging()
    if (!dragged) return
    const place = dropPlace(event)
    clearMarks()
    if (!place || (dragged.source === 'sheet' && place.cluster)) return
    event.preventDefault()
    app.dropNote(dragged, { column: place.column, cluster: place.cluster, index: place.index })
  })

  return { el, render, noteComponent, clusterComponent, clearMarks }
}
