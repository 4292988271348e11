// Agora — live co-writing of a proposal draft (issue 5).
// Tiptap (ProseMirror) bound to a Yjs document synced with the server's /ws/drafts/<id>
// socket through the stock y-websocket provider. Built by `npm run build` into
// static/drafts/editor.js; the page's #draft-editor element carries the settings and
// #draft-editor-text the translated words (i18n.js).
//
// This file puts the parts together; each module owns one part of the page:
// toolbar.js and linkform.js (formatting), comments.js and anchors.js (comments and their
// highlights), presence.js (carets and who is connected), connection.js (socket state and
// control messages), access.js (read only, frozen), projection.js (the room's screen).
//
// CSP: the page allows only 'self' for scripts and styles, so nothing writes a style=""
// attribute or a <style> element (see dom.js), and Tiptap's injected stylesheet is off.

import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { Table, TableRow, TableHeader, TableCell } from '@tiptap/extension-table'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

import { createAccess } from './access.js'
import { CommentAnchors } from './anchors.js'
import { createComments } from './comments.js'
import { createStatus, followConnection } from './connection.js'
import { flag, h } from './dom.js'
import { gettext } from './i18n.js'
import { SAFE_URL, createLinkForm } from './linkform.js'
import { Callout, FigureCaption } from './nodes.js'
import { templatePlaceholder } from './placeholder.js'
import { localUser, renderCaret, renderSelection, watchPresence } from './presence.js'
import { followWriters, markProjection } from './projection.js'
import { createToolbar } from './toolbar.js'
import { Deletion, Insertion, Suggest, SuggestedBlock, setSuggesting } from './suggest.js'
import { createSuggestPanel } from './suggestpanel.js'

function extensions({ doc, provider, cfg, people, suggestPanelChanged }) {
  return [
    StarterKit.configure({
      undoRedo: false, // Collaboration brings Yjs' own undo manager
      trailingNode: false, // would make every client append its own paragraph
      code: false,
      codeBlock: false,
      strike: false,
      underline: false,
      heading: { levels: [1, 2, 3] },
      link: {
        openOnClick: false,
        autolink: true,
        linkOnPaste: true,
        defaultProtocol: 'https',
        protocols: ['http', 'https', 'mailto'],
        isAllowedUri: (url) => SAFE_URL.test(String(url || '').trim()),
        shouldAutoLink: (url) => SAFE_URL.test(String(url || '').trim()) || /^[\w.-]+\.[a-z]{2,}/i.test(url),
      },
    }),
    Table.configure({ resizable: false }),
    TableRow,
    TableHeader,
    TableCell,
    Callout,
    FigureCaption,
    Collaboration.configure({ document: doc, field: 'default' }),
    CollaborationCaret.configure({ provider, user: localUser(cfg), render: renderCaret, selectionRender: renderSelection }),
    CommentAnchors,
    templatePlaceholder(),
    Insertion,
    Deletion,
    SuggestedBlock,
    Suggest.configure({ me: cfg.userId || '', people, onChange: suggestPanelChanged }),
  ]
}

function mount(root) {
  const cfg = root.dataset
  const projection = cfg.mode === 'projection'
  const state = {
    // A reader who may suggest edits the text in suggestion mode only (suggest.js).
    suggestOnly: !projection && flag(cfg.suggestOnly),
    canEdit: !projection && (flag(cfg.canEdit) || flag(cfg.suggestOnly)),
    canComment: !projection && flag(cfg.canComment),
    frozen: false,
    connection: 'connecting', // connecting | connected | synced | offline | closed
    closedMessage: '',
    comments: [],
    commentsLoaded: false,
    selection: null, // {from, to, quote, anchor} of the passage to comment
  }

  // Yjs document and provider. BroadcastChannel is off: every change goes through the
  // server, which decides who may write.
  const doc = new Y.Doc()
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const wsPath = (cfg.wsPath || '/ws/drafts').replace(/\/+$/, '')
  const provider = new WebsocketProvider(`${scheme}://${window.location.host}${wsPath}`, cfg.draftId, doc, {
    disableBc: true,
  })

  // The parts call one another through `app`; the editor is filled in once created.
  const app = { root, cfg, projection, state, doc, provider, editor: null, toolbar: null, linkForm: null }
  app.people = peopleOf(provider)
  app.suggestPanelChanged = () => app.suggestPanel && app.suggestPanel.render()
  app.refreshToolbar = () => app.toolbar && app.toolbar.refresh()
  app.status = createStatus(app)
  app.comments = createComments(app)
  app.access = createAccess(app)

  // Replace the server-rendered fallback with the editor.
  root.replaceChildren()
  root.classList.add('draft-editor')
  if (projection) markProjection(root)
  else {
    app.toolbar = createToolbar(app)
    app.linkForm = createLinkForm(app)
    root.append(app.toolbar.el, app.linkForm.el)
  }
  const surface = h('div', { class: 'draft-editor__surface' })
  root.append(surface)
  if (!projection) {
    // The way out of the text, said where a keyboard user meets it (see below).
    app.keysHint = h('p', { id: 'draft-editor-keys', class: 'draft-editor__keys', tabindex: '-1' },
      gettext('Keyboard: Escape, then Tab, leaves the text.'))
    root.append(app.keysHint)
    app.suggestPanel = createSuggestPanel(app)
    root.append(app.suggestPanel.el)
  }

  const editor = new Editor({
    element: surface,
    extensions: extensions(app),
    editable: state.canEdit,
    injectCSS: false,
    editorProps: {
      attributes: {
        class: 'draft-editor__content',
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-label': projection ? gettext('Text of the proposal (projection)') : gettext('Text of the proposal'),
        lang: 'fr', // the proposal is written in French, whatever the interface's language
        ...(projection ? {} : { 'aria-describedby': 'draft-editor-keys' }),
      },
    },
  })
  app.editor = editor

  // No keyboard trap (WCAG 2.1.2, RGAA 12.9): in a list Tab indents, in a table it goes to
  // the next cell (and adds a row at the end), so Tab alone may never leave the text.
  // Escape puts the focus on the line that says so, just after the text: Tab then goes on
  // past the editor, Shift+Tab back into the text. (ProseMirror marks every Escape as
  // handled, so defaultPrevented cannot be asked here.)
  if (!projection) {
    surface.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || e.isComposing) return
      app.keysHint.focus()
    })
  }

  if (projection) followWriters(app)
  followConnection(app)
  watchPresence(app)

  editor.on('selectionUpdate', () => {
    app.comments.captureSelection()
    app.refreshToolbar()
  })
  editor.on('transaction', () => app.refreshToolbar())
  let selTimer = null
  document.addEventListener('selectionchange', () => {
    if (editor.isEditable) return
    window.clearTimeout(selTimer)
    selTimer = window.setTimeout(app.comments.captureSelection, 150)
  })

  app.access.setEditable(state.canEdit)
  if (state.suggestOnly) setSuggesting(editor, true)
  app.suggestPanelChanged()
  app.status.render()
  if (!projection) {
    app.comments.render()
    app.comments.load()
  }

  // The server refused an update (a suggester's that did more than suggest): everything
  // this client sends after it would wait for it, so start again from a fresh document.
  app.restart = () =>
    window.setTimeout(() => {
      provider.destroy()
      editor.destroy()
      doc.destroy()
      const again = mount(root)
      again.app.state.notice = gettext('Your last change was not accepted: the text was reloaded.')
      again.app.status.render()
    }, 0)

  window.agoraDraft = { editor, doc, provider, app }
  return window.agoraDraft
}

/** Who wrote a suggestion: the page's list (#draft-people), then who is connected. */
function peopleOf(provider) {
  let known = {}
  const el = document.getElementById('draft-people')
  if (el) {
    try {
      known = JSON.parse(el.textContent) || {}
    } catch (e) {
      known = {}
    }
  }
  return (author) => {
    if (!author) return null
    for (const aw of provider.awareness.getStates().values()) {
      if (aw && aw.user && aw.user.id === author) return aw.user
    }
    return known[author] || null
  }
}

const root = document.getElementById('draft-editor')
if (root && root.dataset.draftId) mount(root)
