// Agora — live co-writing of a proposal draft (issue 5).
// Tiptap (ProseMirror) bound to a Yjs document synced with the server's /ws/drafts/<id>
// socket through the stock y-websocket provider. Built by `npm run build` into
// static/drafts/editor.js; the page's #draft-editor element carries the settings.
//
// CSP: the page allows only 'self' for scripts and styles, so nothing here writes a
// style="" attribute or a <style> element: colours go through the CSSOM (el.style.x = …),
// which the policy does not block, and Tiptap's injected stylesheet is turned off.

import { Editor, Extension, Node, mergeAttributes } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { Table, TableRow, TableHeader, TableCell } from '@tiptap/extension-table'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import {
  ySyncPluginKey,
  absolutePositionToRelativePosition,
  relativePositionToAbsolutePosition,
} from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const MESSAGE_AGORA = 100 // Agora control messages: varUint 100 + varString JSON
const QUOTE_MAX = 300
const SAFE_URL = /^(https?:\/\/|mailto:)/i

// --- Small helpers -------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue
    if (key === 'class') el.className = value
    else if (key === 'text') el.textContent = value
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof window.Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const flag = (value) => value === 'true' || value === '1'
const validColor = (color) => typeof color === 'string' && /^#[0-9a-fA-F]{6}$/.test(color)

/** Black or white, whichever reads better on the given #rrggbb background. */
function textColorOn(color) {
  if (!validColor(color)) return '#000000'
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16) / 255)
  const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
  const lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
  return lum > 0.179 ? '#000000' : '#ffffff'
}

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'medium', timeStyle: 'short' })
function formatDate(iso) {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d)
}

// --- Custom nodes (names are read by the server's export: keep them) -----------------------

const Callout = Node.create({
  name: 'callout',
  group: 'block',
  content: 'block+',
  defining: true,
  parseHTML() {
    return [{ tag: 'aside.callout' }]
  },
  renderHTML({ HTMLAttributes }) {
    return ['aside', mergeAttributes(HTMLAttributes, { class: 'callout', role: 'note' }), 0]
  },
})

const FigureCaption = Node.create({
  name: 'figureCaption',
  group: 'block',
  content: 'inline*',
  parseHTML() {
    return [{ tag: 'p.caption', priority: 60 }]
  },
  renderHTML({ HTMLAttributes }) {
    return ['p', mergeAttributes(HTMLAttributes, { class: 'caption' }), 0]
  },
})

// --- Comment highlights: decorations recomputed from Yjs relative positions -----------------

const commentKey = new PluginKey('agoraComments')

function ySync(state) {
  const ystate = ySyncPluginKey.getState(state)
  return ystate && ystate.binding && ystate.type ? ystate : null
}

function relToAbs(state, json) {
  const ystate = ySync(state)
  if (!ystate || !json) return null
  try {
    const rel = Y.createRelativePositionFromJSON(json)
    return relativePositionToAbsolutePosition(ystate.doc, ystate.type, rel, ystate.binding.mapping)
  } catch (e) {
    return null
  }
}

function absToRelJSON(state, pos) {
  const ystate = ySync(state)
  if (!ystate) return null
  const rel = absolutePositionToRelativePosition(pos, ystate.type, ystate.binding.mapping)
  return Y.relativePositionToJSON(rel)
}

/** Absolute range {from, to} of a comment anchor in the current document, or null. */
function anchorRange(state, anchor) {
  if (!anchor) return null
  const from = relToAbs(state, anchor.start)
  const to = relToAbs(state, anchor.end)
  if (from === null || to === null) return null
  const size = state.doc.content.size
  const a = Math.max(0, Math.min(from, to, size))
  const b = Math.min(Math.max(from, to), size)
  return b > a ? { from: a, to: b } : null
}

function buildCommentDecorations(state, anchors) {
  const decos = []
  for (const { id, anchor } of anchors) {
    const range = anchorRange(state, anchor)
    if (range) {
      decos.push(
        Decoration.inline(range.from, range.to, {
          class: 'comment-anchor',
          'data-comment-id': String(id),
        }),
      )
    }
  }
  return DecorationSet.create(state.doc, decos)
}

const CommentAnchors = Extension.create({
  name: 'agoraCommentAnchors',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: commentKey,
        state: {
          init: () => ({ anchors: [], decos: DecorationSet.empty }),
          apply(tr, value, _old, newState) {
            const meta = tr.getMeta(commentKey)
            if (meta && meta.anchors) {
              return { anchors: meta.anchors, decos: buildCommentDecorations(newState, meta.anchors) }
            }
            const sync = tr.getMeta(ySyncPluginKey)
            if (sync && sync.isChangeOrigin) {
              // A change that came from Yjs (a remote edit, undo, first sync): the binding's
              // mapping is up to date, read the relative positions again.
              return { anchors: value.anchors, decos: buildCommentDecorations(newState, value.anchors) }
            }
            if (tr.docChanged) {
              // A local edit (not yet written to Yjs): map the highlights through it.
              return { anchors: value.anchors, decos: value.decos.map(tr.mapping, tr.doc) }
            }
            return value
          },
        },
        props: {
          decorations(state) {
            return commentKey.getState(state).decos
          },
        },
      }),
    ]
  },
})

// --- Carets -------------------------------------------------------------------------------

function renderCaret(user) {
  const color = validColor(user.color) ? user.color : '#4a5560'
  const name = user.name || 'Quelqu’un'
  const caret = h('span', {
    class: 'collaboration-carets__caret',
    role: 'img',
    'aria-label': `Curseur de ${name}`,
  })
  caret.style.borderColor = color
  const label = h('span', { class: 'collaboration-carets__label', 'aria-hidden': 'true' }, name)
  label.style.backgroundColor = color
  label.style.color = textColorOn(color)
  caret.append(label)
  return caret
}

function renderSelection(user) {
  // prosemirror-view applies decoration styles through the CSSOM (CSP-safe).
  const color = validColor(user.color) ? user.color : '#4a5560'
  return { class: 'collaboration-carets__selection', style: `background-color: ${color}33` }
}

// --- The application ----------------------------------------------------------------------

function mount(root) {
  const cfg = root.dataset
  const projection = cfg.mode === 'projection'
  const self = { name: cfg.userName || 'Moi', color: validColor(cfg.userColor) ? cfg.userColor : '#1f5fbf' }
  const state = {
    canEdit: !projection && flag(cfg.canEdit),
    canComment: !projection && flag(cfg.canComment),
    frozen: false,
    connection: 'connecting', // connecting | connected | synced | offline | closed
    closedMessage: '',
    comments: [],
    commentsLoaded: false,
    selection: null, // {from, to, quote} of the passage to comment
  }
  const statusEl = document.getElementById('draft-status')
  const presenceEl = document.getElementById('draft-presence')
  const commentsEl = document.getElementById('draft-comments')

  // Yjs document and provider. BroadcastChannel is off: every change goes through the
  // server, which decides who may write.
  const doc = new Y.Doc()
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const wsPath = (cfg.wsPath || '/ws/drafts').replace(/\/+$/, '')
  const provider = new WebsocketProvider(`${scheme}://${window.location.host}${wsPath}`, cfg.draftId, doc, {
    disableBc: true,
  })

  // Replace the server-rendered fallback with the editor.
  root.replaceChildren()
  root.classList.add('draft-editor')
  if (projection) {
    root.classList.add('draft--projection')
    document.body.classList.add('draft--projection')
  }
  const toolbar = projection ? null : buildToolbar()
  const linkForm = projection ? null : buildLinkForm()
  const surface = h('div', { class: 'draft-editor__surface' })
  if (toolbar) root.append(toolbar.el, linkForm.el)
  root.append(surface)

  const extensions = [
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
    CollaborationCaret.configure({ provider, user: self, render: renderCaret, selectionRender: renderSelection }),
    CommentAnchors,
  ]

  const editor = new Editor({
    element: surface,
    extensions,
    editable: state.canEdit,
    injectCSS: false,
    editorProps: {
      attributes: {
        class: 'draft-editor__content',
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-label': projection ? 'Texte de la proposition (projection)' : 'Texte de la proposition',
        lang: 'fr',
      },
    },
  })

  if (projection) {
    // The projector is not a writer: no name, no caret in the others' editors.
    provider.awareness.setLocalState(null)
  }

  // --- Editable or not ---
  function setEditable(editable) {
    const value = !projection && editable
    state.canEdit = value
    if (editor.isEditable !== value) editor.setEditable(value)
    editor.view.dom.setAttribute('aria-readonly', value ? 'false' : 'true')
    if (toolbar) {
      toolbar.el.hidden = !value
      if (!value) linkForm.close(false)
    }
    renderStatus()
    refreshToolbar()
  }

  // --- Status line ---
  let lastStatus = ''
  function renderStatus() {
    if (!statusEl) return
    const parts = []
    const conn = {
      connecting: 'Connexion…',
      connected: 'Connecté',
      synced: state.canEdit ? 'Enregistré' : 'Connecté',
      offline: state.canEdit ? 'Reconnexion… (vos modifications seront envoyées)' : 'Reconnexion…',
      closed: state.closedMessage,
    }[state.connection]
    if (conn) parts.push(conn)
    if (!state.canEdit && !projection) parts.push(state.frozen ? 'Brouillon gelé par l’animation' : 'Lecture seule')
    if (projection && state.frozen) parts.push('Brouillon gelé par l’animation')
    const text = parts.join(' · ')
    if (text !== lastStatus) {
      lastStatus = text
      statusEl.textContent = text
      statusEl.dataset.state = state.connection
    }
  }

  // --- Control messages (type 100) ---
  function sendControl(message) {
    const ws = provider.ws
    if (!ws || ws.readyState !== 1) return
    const enc = encoding.createEncoder()
    encoding.writeVarUint(enc, MESSAGE_AGORA)
    encoding.writeVarString(enc, JSON.stringify(message))
    ws.send(encoding.toUint8Array(enc))
  }

  provider.messageHandlers[MESSAGE_AGORA] = (_encoder, decoder) => {
    let message
    try {
      message = JSON.parse(decoding.readVarString(decoder))
    } catch (e) {
      return
    }
    if (!message || typeof message !== 'object') return
    if (message.type === 'abilities') {
      state.frozen = !!message.frozen
      state.canComment = !projection && !!message.comment
      setEditable(!!message.edit)
      renderComments()
    } else if (message.type === 'comments.changed') {
      loadComments()
    }
  }

  const CLOSE_MESSAGES = {
    4401: 'Déconnecté : votre session a expiré. Rechargez la page pour vous reconnecter.',
    4403: 'Déconnecté : la double authentification est requise. Rechargez la page.',
    4404: 'Ce brouillon n’est plus accessible.',
    4409: 'Trop de connexions ouvertes (onglets ou fenêtres) : fermez-en quelques-unes puis rechargez la page.',
    4400: 'Déconnecté après une erreur de synchronisation. Rechargez la page.',
    4413: 'Modification trop volumineuse : elle n’a pas été enregistrée. Rechargez la page.',
    4429: 'Trop de modifications d’un coup : reconnexion dans quelques secondes…',
  }

  provider.on('status', ({ status }) => {
    if (status === 'connected') {
      state.connection = 'connected'
      sendControl({ type: 'hello' })
    } else if (status === 'disconnected') {
      if (state.connection !== 'closed') state.connection = 'offline'
    } else if (status === 'connecting' && state.connection !== 'offline') {
      state.connection = 'connecting'
    }
    renderStatus()
  })
  provider.on('sync', (synced) => {
    if (synced) {
      state.connection = 'synced'
      document.documentElement.dataset.draftSynced = 'true'
      renderStatus()
      refreshComments()
    }
  })
  provider.on('closed', ({ code }) => {
    // The server refused for good (4400-4499): the provider stops reconnecting.
    state.connection = 'closed'
    state.closedMessage = CLOSE_MESSAGES[code] || 'Déconnecté.'
    renderStatus()
    if (code === 4429) {
      window.setTimeout(() => {
        state.connection = 'connecting'
        provider.connect()
      }, 5000)
    }
  })

  // --- Presence ---
  let presenceKey = null
  function renderPresence() {
    if (!presenceEl) return
    const people = new Map()
    const localId = doc.clientID
    provider.awareness.getStates().forEach((aw, clientId) => {
      const user = aw && aw.user
      if (!user || !user.name) return
      const isSelf = clientId === localId
      const prev = people.get(user.name)
      people.set(user.name, {
        name: user.name,
        color: (prev && prev.color) || user.color,
        self: (prev && prev.self) || isSelf,
      })
    })
    const list = [...people.values()].sort((a, b) =>
      a.self === b.self ? a.name.localeCompare(b.name, 'fr') : a.self ? -1 : 1,
    )
    const key = JSON.stringify(list.map((p) => [p.name, p.color, p.self]))
    if (key === presenceKey) return // only announce when the set of people changes
    presenceKey = key
    const items = list.map((p) => {
      const swatch = h('span', { class: 'presence__swatch', 'aria-hidden': 'true' })
      if (validColor(p.color)) swatch.style.backgroundColor = p.color
      return h('li', { class: 'presence__person' }, swatch, p.self ? `${p.name} (vous)` : p.name)
    })
    const count = list.length
    presenceEl.replaceChildren(
      h('p', { class: 'presence__title' }, count === 0 ? 'Personne d’autre n’est connecté.' : count === 1 ? 'Une personne connectée :' : `${count} personnes connectées :`),
      count ? h('ul', { class: 'presence__list' }, items) : '',
    )
  }
  provider.awareness.on('change', renderPresence)
  renderPresence()

  // --- Toolbar ---
  function buildToolbar() {
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
    const chain = () => editor.chain().focus()
    const el = h(
      'div',
      { class: 'draft-toolbar', role: 'toolbar', 'aria-label': 'Mise en forme du texte', 'aria-controls': 'draft-editor' },
      group(
        'Type de bloc',
        button('h1', 'Titre 1', () => chain().toggleHeading({ level: 1 }).run(), { toggle: true, isActive: () => editor.isActive('heading', { level: 1 }) }),
        button('h2', 'Titre 2', () => chain().toggleHeading({ level: 2 }).run(), { toggle: true, isActive: () => editor.isActive('heading', { level: 2 }) }),
        button('h3', 'Titre 3', () => chain().toggleHeading({ level: 3 }).run(), { toggle: true, isActive: () => editor.isActive('heading', { level: 3 }) }),
        button('paragraph', 'Paragraphe', () => chain().setParagraph().run(), { toggle: true, isActive: () => editor.isActive('paragraph') }),
      ),
      group(
        'Style du texte',
        button('bold', 'Gras', () => chain().toggleBold().run(), { toggle: true, isActive: () => editor.isActive('bold'), canRun: () => editor.can().toggleBold() }),
        button('italic', 'Italique', () => chain().toggleItalic().run(), { toggle: true, isActive: () => editor.isActive('italic'), canRun: () => editor.can().toggleItalic() }),
        button('link', 'Lien', () => linkForm.open(), { toggle: true, isActive: () => editor.isActive('link') }),
      ),
      group(
        'Structure',
        button('bulletList', 'Liste à puces', () => chain().toggleBulletList().run(), { toggle: true, isActive: () => editor.isActive('bulletList') }),
        button('orderedList', 'Liste numérotée', () => chain().toggleOrderedList().run(), { toggle: true, isActive: () => editor.isActive('orderedList') }),
        button('blockquote', 'Citation', () => chain().toggleBlockquote().run(), { toggle: true, isActive: () => editor.isActive('blockquote') }),
        button('callout', 'Encadré', () => chain().toggleWrap('callout').run(), { toggle: true, isActive: () => editor.isActive('callout') }),
        button('table', 'Tableau', () => chain().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run(), { canRun: () => editor.can().insertTable({ rows: 3, cols: 3, withHeaderRow: true }) }),
        button('caption', 'Légende', () => chain().toggleNode('figureCaption', 'paragraph').run(), { toggle: true, isActive: () => editor.isActive('figureCaption') }),
      ),
      group(
        'Tableau',
        button('addRow', 'Ajouter une ligne', () => chain().addRowAfter().run(), { hidden: () => !editor.isActive('table') }),
        button('addColumn', 'Ajouter une colonne', () => chain().addColumnAfter().run(), { hidden: () => !editor.isActive('table') }),
        button('deleteTable', 'Supprimer le tableau', () => chain().deleteTable().run(), { hidden: () => !editor.isActive('table') }),
      ),
      group(
        'Historique',
        button('undo', 'Annuler', () => chain().undo().run(), { canRun: () => editor.can().undo() }),
        button('redo', 'Rétablir', () => chain().redo().run(), { canRun: () => editor.can().redo() }),
      ),
      group(
        'Commentaires',
        button('comment', 'Commenter', () => focusCommentForm(), { hidden: () => !state.canComment || !state.selection }),
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
        editor.commands.focus()
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
    return { el, buttons }
  }

  function refreshToolbar() {
    if (!toolbar) return
    let focusable = null
    for (const b of toolbar.buttons) {
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
      const first = toolbar.buttons.find((b) => !b.el.hidden && !b.el.disabled)
      toolbar.buttons.forEach((b) => b.el.setAttribute('tabindex', b === first ? '0' : '-1'))
    }
    toolbar.buttons.forEach((b) => {
      const group = b.el.parentElement
      if (group) group.hidden = [...group.children].every((c) => c.hidden)
    })
  }

  // --- Link form ---
  function buildLinkForm() {
    const id = 'draft-link-url'
    const input = h('input', { id, type: 'text', inputmode: 'url', autocomplete: 'url', spellcheck: 'false' })
    const error = h('p', { class: 'draft-linkform__error', id: 'draft-link-error', role: 'alert' })
    const form = h(
      'form',
      { class: 'draft-linkform', hidden: true, 'aria-label': 'Lien' },
      h('label', { for: id }, 'Adresse du lien (https://…, mailto:…)'),
      input,
      error,
      h(
        'div',
        { class: 'draft-linkform__actions' },
        h('button', { type: 'submit', class: 'button button--small' }, 'Appliquer'),
        h('button', { type: 'button', class: 'button button--small button--secondary', 'data-action': 'unset', onclick: () => { editor.chain().focus().extendMarkRange('link').unsetLink().run(); close(true) } }, 'Retirer le lien'),
        h('button', { type: 'button', class: 'button button--small button--secondary', onclick: () => close(true) }, 'Annuler'),
      ),
    )
    function open() {
      const current = editor.getAttributes('link').href || ''
      input.value = current
      error.textContent = ''
      input.removeAttribute('aria-invalid')
      form.hidden = false
      input.focus()
      input.select()
    }
    function close(refocus) {
      form.hidden = true
      if (refocus) editor.commands.focus()
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      let url = input.value.trim()
      if (url && !/^[a-z][a-z0-9+.-]*:/i.test(url)) url = url.includes('@') && !url.includes('/') ? `mailto:${url}` : `https://${url}`
      if (!url) {
        editor.chain().focus().extendMarkRange('link').unsetLink().run()
        close(true)
        return
      }
      if (!SAFE_URL.test(url)) {
        error.textContent = 'Adresse non valide : elle doit commencer par http://, https:// ou mailto:.'
        input.setAttribute('aria-invalid', 'true')
        input.setAttribute('aria-describedby', error.id)
        input.focus()
        return
      }
      const chain = editor.chain().focus().extendMarkRange('link')
      if (editor.state.selection.empty && !editor.isActive('link')) {
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

  // --- Selection for comments ---
  function captureSelection() {
    const { state: pmState, view } = editor
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
      refreshToolbar()
    }
  }

  editor.on('selectionUpdate', () => {
    captureSelection()
    refreshToolbar()
  })
  editor.on('transaction', () => refreshToolbar())
  let selTimer = null
  document.addEventListener('selectionchange', () => {
    if (editor.isEditable) return
    window.clearTimeout(selTimer)
    selTimer = window.setTimeout(captureSelection, 150)
  })

  // --- Comments panel ---
  const commentsUrl = cfg.commentsUrl || ''
  const panel = { error: null, form: null, quote: null, textarea: null, list: null }

  function setCommentAnchors() {
    const anchors = state.comments.filter((c) => !c.resolved && c.anchor).map((c) => ({ id: c.id, anchor: c.anchor }))
    editor.view.dispatch(editor.state.tr.setMeta(commentKey, { anchors }).setMeta('addToHistory', false))
  }
  function refreshComments() {
    // The relative positions only resolve once the document has its content.
    if (state.comments.length) setCommentAnchors()
  }

  async function loadComments() {
    if (projection || !commentsUrl) return
    try {
      const response = await fetch(commentsUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      if (!response.ok) throw new Error(String(response.status))
      const data = await response.json()
      state.comments = Array.isArray(data.comments) ? data.comments : []
      state.commentsLoaded = true
      showError('')
    } catch (e) {
      showError('Les commentaires n’ont pas pu être chargés. Rechargez la page pour réessayer.')
    }
    renderComments()
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
      throw new Error('Pas de connexion : le commentaire n’a pas été envoyé. Réessayez.')
    }
    let data = null
    try {
      data = await response.json()
    } catch (e) {
      data = null
    }
    if (!response.ok) {
      const fallback = response.status === 404 ? 'Ce commentaire ou ce brouillon n’existe plus.' : 'L’action n’a pas pu être enregistrée. Réessayez.'
      throw new Error((data && typeof data.error === 'string' && data.error) || fallback)
    }
    return data
  }

  function showError(message) {
    if (!panel.error) return
    panel.error.textContent = message
    panel.error.hidden = !message
  }

  function renderSelectionQuote() {
    if (!panel.quote) return
    panel.quote.replaceChildren(
      state.selection
        ? h('span', {}, 'Passage sélectionné : ', h('q', {}, state.selection.quote))
        : 'Sélectionnez un passage du texte pour le commenter.',
    )
  }

  function focusCommentForm() {
    if (!panel.textarea) return
    panel.textarea.focus()
    panel.textarea.scrollIntoView({ block: 'nearest' })
  }

  function selectPassage(comment) {
    const range = anchorRange(editor.state, comment.anchor)
    if (!range) {
      showError('Le passage commenté a été supprimé du texte.')
      return
    }
    showError('')
    editor.chain().setTextSelection(range).scrollIntoView().run()
    const { node } = editor.view.domAtPos(range.from)
    const el = node && (node.nodeType === 1 ? node : node.parentElement)
    if (el && el.scrollIntoView) el.scrollIntoView({ block: 'center' })
    if (editor.isEditable) editor.commands.focus()
  }

  function renderComments() {
    if (!commentsEl || projection) return
    if (!panel.list) {
      panel.error = h('p', { class: 'comments__error notice notice--error', role: 'alert', hidden: true })
      panel.list = h('ol', { class: 'comments__threads' })
      commentsEl.replaceChildren(h('h2', { class: 'comments__title' }, 'Commentaires'), panel.error)
      panel.quote = h('p', { class: 'comments__quote', id: 'draft-comment-quote' })
      panel.textarea = h('textarea', { id: 'draft-comment-body', rows: '3', required: true, maxlength: '5000', 'aria-describedby': 'draft-comment-quote' })
      panel.submit = h('button', { type: 'submit', class: 'button button--small' }, 'Commenter')
      panel.form = h(
        'form',
        { class: 'comments__new' },
        panel.quote,
        h('label', { for: 'draft-comment-body' }, 'Votre commentaire'),
        panel.textarea,
        h('div', { class: 'actions' }, panel.submit),
      )
      panel.form.addEventListener('submit', async (e) => {
        e.preventDefault()
        const body = panel.textarea.value.trim()
        if (!body) {
          showError('Écrivez votre commentaire avant de l’envoyer.')
          panel.textarea.focus()
          return
        }
        if (!state.selection) {
          showError('Sélectionnez d’abord le passage du texte à commenter.')
          return
        }
        panel.submit.disabled = true
        try {
          await post(commentsUrl, { body, anchor: state.selection.anchor, quote: state.selection.quote })
          panel.textarea.value = ''
          showError('')
          await loadComments()
        } catch (err) {
          showError(err.message)
        } finally {
          panel.submit.disabled = false
        }
      })
      commentsEl.append(panel.form, panel.list)
      renderSelectionQuote()
    }
    panel.form.hidden = !state.canComment
    const open = state.comments.filter((c) => !c.resolved)
    const resolved = state.comments.filter((c) => c.resolved)
    const items = [...open, ...resolved].map(renderThread)
    if (!items.length && state.commentsLoaded) items.push(h('li', { class: 'comments__empty muted' }, 'Aucun commentaire pour l’instant.'))
    panel.list.replaceChildren(...items)
  }

  function renderThread(c) {
    const base = `${commentsUrl.replace(/\/?$/, '/')}${encodeURIComponent(c.id)}/resolu/`
    const thread = h('li', { class: `comment-thread${c.resolved ? ' comment-thread--resolved' : ''}`, 'data-comment-id': String(c.id) })
    if (c.quote) {
      thread.append(
        h(
          'button',
          { type: 'button', class: 'comment-thread__quote link-button', onclick: () => selectPassage(c), 'aria-label': `Aller au passage commenté : ${c.quote}` },
          h('q', {}, c.quote),
        ),
      )
    }
    thread.append(renderComment(c))
    if (c.replies && c.replies.length) thread.append(h('ul', { class: 'comment-thread__replies' }, c.replies.map((r) => h('li', {}, renderComment(r)))))
    if (c.resolved) thread.append(h('p', { class: 'comment-thread__state muted' }, c.resolved_by ? `Résolu par ${c.resolved_by}` : 'Résolu'))
    if (state.canComment) {
      const replyId = `draft-reply-${c.id}`
      const textarea = h('textarea', { id: replyId, rows: '2', required: true, maxlength: '5000' })
      const replyForm = h(
        'form',
        { class: 'comment-thread__reply', hidden: true },
        h('label', { for: replyId }, 'Votre réponse'),
        textarea,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button button--small' }, 'Envoyer la réponse')),
      )
      replyForm.addEventListener('submit', async (e) => {
        e.preventDefault()
        const body = textarea.value.trim()
        if (!body) return
        try {
          await post(commentsUrl, { body, parent: c.id })
          showError('')
          await loadComments()
        } catch (err) {
          showError(err.message)
        }
      })
      const replyButton = h('button', { type: 'button', class: 'button button--small button--secondary', 'aria-expanded': 'false', 'aria-controls': `draft-reply-form-${c.id}` }, 'Répondre')
      replyForm.id = `draft-reply-form-${c.id}`
      replyButton.addEventListener('click', () => {
        replyForm.hidden = !replyForm.hidden
        replyButton.setAttribute('aria-expanded', replyForm.hidden ? 'false' : 'true')
        if (!replyForm.hidden) textarea.focus()
      })
      const resolveButton = h('button', { type: 'button', class: 'button button--small button--secondary' }, c.resolved ? 'Rouvrir' : 'Marquer comme résolu')
      resolveButton.addEventListener('click', async () => {
        resolveButton.disabled = true
        try {
          await post(base, { resolved: !c.resolved })
          showError('')
          await loadComments()
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
    const author = c.author_is_me ? `${c.author || ''} (vous)` : c.author || 'Anonyme'
    return h(
      'div',
      { class: 'comment' },
      h('p', { class: 'comment__meta' }, h('strong', {}, author), c.created_at ? [' · ', h('time', { datetime: c.created_at }, formatDate(c.created_at))] : ''),
      h('p', { class: 'comment__body' }, c.body || ''),
    )
  }

  // --- Projection: keep the writer's caret in view ---
  if (projection) {
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

  setEditable(state.canEdit)
  renderStatus()
  if (!projection) {
    renderComments()
    loadComments()
  }

  window.agoraDraft = { editor, doc, provider }
  return window.agoraDraft
}

const root = document.getElementById('draft-editor')
if (root && root.dataset.draftId) mount(root)
