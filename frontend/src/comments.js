// The comments panel (#draft-comments): threads on passages of the text, anchored by Yjs
// relative positions (anchors.js), read and written through the page's JSON endpoints.

import { absToRelJSON, anchorRange, commentKey } from './anchors.js'
import { formatDate, h } from './dom.js'
import { gettext, interpolate } from './i18n.js'

const QUOTE_MAX = 300

export function createComments(app) {
  const { cfg, state, projection } = app
  const commentsEl = document.getElementById('draft-comments')
  const commentsUrl = cfg.commentsUrl || ''
  const panel = { error: null, form: null, quote: null, textarea: null, list: null, submit: null }

  // --- The passage to comment: the editor's selection (or the DOM's when read only) ---
  function captureSelection() {
    const { state: pmState, view } = app.editor
    let { from, to, empty } = pmState.selection
    if (empty) {
      // Read-only editors: ProseMirror may not track the DOM selection, read it directly.
      const sel = window.getSelection()
      if (sel && sel.rangeCount && !sel.isCollapsed && view.dom.contains(sel.anchorNode) && view.dom.contains(sel.focusNode)) {
        try {
          const range = sel.getRangeAt(0)
          from = view.posAtDOM(range.startContainer, range.startOffset)
          to = view.posAtDOM(range.endContainer, range.endOffset)
          empty = to <= from
        } catch (e) {
          empty = true
        }
      }
    }
    let next = null
    if (!empty) {
      const quote = pmState.doc.textBetween(from, to, ' ', ' ').replace(/\s+/g, ' ').trim()
      if (quote) {
        next = {
          from,
          to,
          quote: quote.length > QUOTE_MAX ? `${quote.slice(0, QUOTE_MAX - 1)}…` : quote,
          anchor: { start: absToRelJSON(pmState, from), end: absToRelJSON(pmState, to) },
        }
      }
    }
    const changed = (next && next.quote) !== (state.selection && state.selection.quote)
    state.selection = next
    if (changed) {
      renderSelectionQuote()
      app.refreshToolbar()
    }
  }

  // --- Highlights ---
  function setCommentAnchors() {
    const { editor } = app
    const anchors = state.comments.filter((c) => !c.resolved && c.anchor).map((c) => ({ id: c.id, anchor: c.anchor }))
    editor.view.dispatch(editor.state.tr.setMeta(commentKey, { anchors }).setMeta('addToHistory', false))
  }
  function refreshAnchors() {
    // The relative positions only resolve once the document has its content.
    if (state.comments.length) setCommentAnchors()
  }

  // --- The server ---
  async function load() {
    if (projection || !commentsUrl) return
    try {
      const response = await fetch(commentsUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      if (!response.ok) throw new Error(String(response.status))
      const data = await response.json()
      state.comments = Array.isArray(data.comments) ? data.comments : []
      state.commentsLoaded = true
      showError('')
    } catch (e) {
      showError(gettext('The comments could not be loaded. Reload the page to try again.'))
    }
    render()
    setCommentAnchors()
  }

  async function post(url, body) {
    let response
    try {
      response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': cfg.csrfToken || '' },
        body: JSON.stringify(body),
      })
    } catch (e) {
      throw new Error(gettext('No connection: the comment was not sent. Try again.'))
    }
    let data = null
    try {
      data = await response.json()
    } catch (e) {
      data = null
    }
    if (!response.ok) {
      const fallback =
        response.status === 404
          ? gettext('This comment or this draft no longer exists.')
          : gettext('The action could not be saved. Try again.')
      // The server's own message is already in the person's language.
      throw new Error((data && typeof data.error === 'string' && data.error) || fallback)
    }
    return data
  }

  // --- The panel ---
  function showError(message) {
    if (!panel.error) return
    panel.error.textContent = message
    panel.error.hidden = !message
  }

  function renderSelectionQuote() {
    if (!panel.quote) return
    panel.quote.replaceChildren(
      state.selection
        ? h('span', {}, `${gettext('Selected passage:')} `, h('q', {}, state.selection.quote))
        : gettext('Select a passage of the text to comment on it.'),
    )
  }

  function focusForm() {
    if (!panel.textarea) return
    panel.textarea.focus()
    panel.textarea.scrollIntoView({ block: 'nearest' })
  }

  function selectPassage(comment) {
    const { editor } = app
    const range = anchorRange(editor.state, comment.anchor)
    if (!range) {
      showError(gettext('The commented passage was deleted from the text.'))
      return
    }
    showError('')
    editor.chain().setTextSelection(range).scrollIntoView().run()
    const { node } = editor.view.domAtPos(range.from)
    const el = node && (node.nodeType === 1 ? node : node.parentElement)
    if (el && el.scrollIntoView) el.scrollIntoView({ block: 'center' })
    if (editor.isEditable) editor.commands.focus()
  }

  function buildPanel() {
    panel.error = h('p', { class: 'comments__error notice notice--error', role: 'alert', hidden: true })
    panel.list = h('ol', { class: 'comments__threads' })
    commentsEl.replaceChildren(h('h2', { class: 'comments__title' }, gettext('Comments')), panel.error)
    panel.quote = h('p', { class: 'comments__quote', id: 'draft-comment-quote' })
    panel.textarea = h('textarea', { id: 'draft-comment-body', rows: '3', required: true, maxlength: '5000', 'aria-describedby': 'draft-comment-quote' })
    panel.submit = h('button', { type: 'submit', class: 'button button--small' }, gettext('Comment'))
    panel.form = h(
      'form',
      { class: 'comments__new' },
      panel.quote,
      h('label', { for: 'draft-comment-body' }, gettext('Your comment')),
      panel.textarea,
      h('div', { class: 'actions' }, panel.submit),
    )
    panel.form.addEventListener('submit', async (e) => {
      e.preventDefault()
      const body = panel.textarea.value.trim()
      if (!body) {
        showError(gettext('Write your comment before sending it.'))
        panel.textarea.focus()
        return
      }
      if (!state.selection) {
        showError(gettext('First select the passage of the text to comment on.'))
        return
      }
      panel.submit.disabled = true
      try {
        await post(commentsUrl, { body, anchor: state.selection.anchor, quote: state.selection.quote })
        panel.textarea.value = ''
        showError('')
        await load()
      } catch (err) {
        showError(err.message)
      } finally {
        panel.submit.disabled = false
      }
    })
    commentsEl.append(panel.form, panel.list)
    renderSelectionQuote()
  }

  function render() {
    if (!commentsEl || projection) return
    if (!panel.list) buildPanel()
    panel.form.hidden = !state.canComment
    const open = state.comments.filter((c) => !c.resolved)
    const resolved = state.comments.filter((c) => c.resolved)
    const items = [...open, ...resolved].map(renderThread)
    if (!items.length && state.commentsLoaded) items.push(h('li', { class: 'comments__empty muted' }, gettext('No comments yet.')))
    panel.list.replaceChildren(...items)
  }

  function renderThread(c) {
    const base = `${commentsUrl.replace(/\/?$/, '/')}${encodeURIComponent(c.id)}/resolu/`
    const thread = h('li', { class: `comment-thread${c.resolved ? ' comment-thread--resolved' : ''}`, 'data-comment-id': String(c.id) })
    if (c.quote) {
      thread.append(
        h(
          'button',
          {
            type: 'button',
            class: 'comment-thread__quote link-button',
            onclick: () => selectPassage(c),
            'aria-label': interpolate(gettext('Go to the commented passage: %(quote)s'), { quote: c.quote }),
          },
          h('q', {}, c.quote),
        ),
      )
    }
    thread.append(renderComment(c))
    if (c.replies && c.replies.length) thread.append(h('ul', { class: 'comment-thread__replies' }, c.replies.map((r) => h('li', {}, renderComment(r)))))
    if (c.resolved) {
      const resolvedBy = c.resolved_by ? interpolate(gettext('Resolved by %(name)s'), { name: c.resolved_by }) : gettext('Resolved')
      thread.append(h('p', { class: 'comment-thread__state muted' }, resolvedBy))
    }
    if (state.canComment) {
      const replyId = `draft-reply-${c.id}`
      const textarea = h('textarea', { id: replyId, rows: '2', required: true, maxlength: '5000' })
      const replyForm = h(
        'form',
        { class: 'comment-thread__reply', hidden: true },
        h('label', { for: replyId }, gettext('Your reply')),
        textarea,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button--small' }, gettext('Send the reply'))),
      )
      replyForm.addEventListener('submit', async (e) => {
        e.preventDefault()
        const body = textarea.value.trim()
        if (!body) return
        try {
          await post(commentsUrl, { body, parent: c.id })
          showError('')
          await load()
        } catch (err) {
          showError(err.message)
        }
      })
      const replyButton = h(
        'button',
        { type: 'button', class: 'button button--small button--secondary', 'aria-expanded': 'false', 'aria-controls': `draft-reply-form-${c.id}` },
        gettext('Reply'),
      )
      replyForm.id = `draft-reply-form-${c.id}`
      replyButton.addEventListener('click', () => {
        replyForm.hidden = !replyForm.hidden
        replyButton.setAttribute('aria-expanded', replyForm.hidden ? 'false' : 'true')
        if (!replyForm.hidden) textarea.focus()
      })
      const resolveButton = h(
        'button',
        { type: 'button', class: 'button button--small button--secondary' },
        c.resolved ? gettext('Reopen') : gettext('Mark as resolved'),
      )
      resolveButton.addEventListener('click', async () => {
        resolveButton.disabled = true
        try {
          await post(base, { resolved: !c.resolved })
          showError('')
          await load()
        } catch (err) {
          showError(err.message)
          resolveButton.disabled = false
        }
      })
      thread.append(h('div', { class: 'actions comment-thread__actions' }, c.resolved ? '' : replyButton, resolveButton), replyForm)
    }
    return thread
  }

  function renderComment(c) {
    const author = c.author_is_me ? interpolate(gettext('%(name)s (you)'), { name: c.author || '' }) : c.author || gettext('Anonymous')
    return h(
      'div',
      { class: 'comment' },
      h('p', { class: 'comment__meta' }, h('strong', {}, author), c.created_at ? [' · ', h('time', { datetime: c.created_at }, formatDate(c.created_at))] : ''),
      h('p', { class: 'comment__body' }, c.body || ''),
    )
  }

  return { captureSelection, refreshAnchors, load, render, focusForm }
}
