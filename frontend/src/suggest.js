// Suggestions (tracked changes) in the draft: the suggestion mode, where what one types or
// deletes is recorded as a suggestion instead of an edit, and the writers' accept / reject.
//
// A suggestion lives in the Yjs document like any mark (deliberation/suggestions.py says
// what the server accepts from a person who may only suggest):
// - `insertion` / `deletion` marks with {author: user id, at: ISO time};
// - a paragraph added with Enter carries the attribute `suggestion` (its author's id).
// The transaction filter below turns a local edit into those marks: typed or pasted text
// is inserted with my insertion mark, deleted text gets my deletion mark (my own pending
// insertion is really removed), formatting and structure changes are dropped. Remote
// changes (y-sync) and accept / reject pass through untouched.

import { Extension, Mark } from '@tiptap/core'
import { Fragment } from '@tiptap/pm/model'
import { Plugin, PluginKey, TextSelection } from '@tiptap/pm/state'
import { ReplaceStep } from '@tiptap/pm/transform'
import { Decoration, DecorationSet } from '@tiptap/pm/view'

export const suggestKey = new PluginKey('agoraSuggest')
const SKIP = 'agoraSuggestSkip' // meta on transactions the filter leaves alone

function suggestionMark(name, tag) {
  return Mark.create({
    name,
    inclusive: false,
    addAttributes() {
      return {
        author: { default: null, parseHTML: (el) => el.getAttribute('data-author'), renderHTML: (a) => ({ 'data-author': a.author }) },
        at: { default: null, parseHTML: (el) => el.getAttribute('data-at'), renderHTML: (a) => ({ 'data-at': a.at }) },
      }
    },
    parseHTML() {
      return [{ tag: `${tag}[data-author]` }]
    },
    renderHTML({ HTMLAttributes }) {
      return [tag, { ...HTMLAttributes, class: `suggestion suggestion--${name}` }, 0]
    },
  })
}

export const Insertion = suggestionMark('insertion', 'ins')
export const Deletion = suggestionMark('deletion', 'del')

/** The `suggestion` attribute of a paragraph added in suggestion mode. */
export const SuggestedBlock = Extension.create({
  name: 'suggestedBlock',
  addGlobalAttributes() {
    return [
      {
        types: ['paragraph'],
        attributes: {
          suggestion: {
            default: null,
            parseHTML: (el) => el.getAttribute('data-suggestion'),
            renderHTML: (a) => (a.suggestion ? { 'data-suggestion': a.suggestion, class: 'suggestion-block' } : {}),
          },
        },
      },
    ]
  },
})

// --- Turning an edit into suggestions ----------------------------------------------------

function ownInsertion(node, marks, me) {
  const mark = marks.insertion.isInSet(node.marks)
  return mark && mark.attrs.author === me ? mark : null
}

/** Inline content of a slice, flattened (blocks joined by a space), text only. */
function inlineContent(slice, schema, mark) {
  const nodes = []
  let blocks = 0
  const strip = (node) => node.mark(mark.addToSet(node.marks.filter((m) => m.type.name !== 'insertion' && m.type.name !== 'deletion')))
  slice.content.descendants((node) => {
    if (node.isTextblock) {
      if (blocks++ && nodes.length) nodes.push(schema.text(' ', [mark]))
      return true
    }
    if (node.isText) {
      nodes.push(strip(node))
      return false
    }
    if (node.isInline) {
      nodes.push(schema.text(' ', [mark])) // a line break or an inline node: a space
      return false
    }
    return true
  })
  return Fragment.from(nodes)
}

function emptySlice(slice) {
  let text = false
  slice.content.descendants((node) => {
    if (node.isText && node.text.length) text = true
    return !text
  })
  return !text
}

/** A new suggested paragraph after the block at `pos`, the cursor in it. */
function suggestParagraph(out, pos, me) {
  const $pos = out.doc.resolve(pos)
  for (let depth = $pos.depth; depth > 0; depth--) {
    if (!$pos.node(depth).isTextblock) continue
    const after = $pos.after(depth)
    const container = $pos.node(depth - 1)
    const index = $pos.index(depth - 1) + 1
    const paragraph = out.doc.type.schema.nodes.paragraph.create({ suggestion: me })
    if (!container.canReplaceWith(index, index, paragraph.type)) return false
    out.insert(after, paragraph)
    out.setSelection(TextSelection.create(out.doc, after + 1))
    return true
  }
  return false
}

function trackStep(out, step, from, to, me, at) {
  const { schema } = out.doc.type
  const marks = schema.marks
  // 1. What the step removes: my own pending insertion goes; the rest gets my deletion mark.
  if (to > from) {
    const drop = []
    const strike = []
    let text = false
    out.doc.nodesBetween(from, to, (node, pos) => {
      if (!node.isText) return true
      text = true
      const range = [Math.max(pos, from), Math.min(pos + node.nodeSize, to)]
      if (ownInsertion(node, marks, me)) drop.push(range)
      else if (!marks.deletion.isInSet(node.marks)) strike.push(range)
      return false
    })
    for (const [a, b] of strike) out.addMark(a, b, marks.deletion.create({ author: me, at }))
    for (const [a, b] of drop.reverse()) out.delete(a, b)
    if (!text) {
      // Joining two blocks (backspace at a paragraph's start): only my own empty
      // suggested paragraph may go.
      const $to = out.doc.resolve(to)
      const block = $to.parent
      if (block.attrs.suggestion === me && block.textContent === '' && $to.depth > 0) {
        out.delete($to.before(), $to.after())
        out.setSelection(TextSelection.near(out.doc.resolve(Math.max(0, from)), -1))
      }
    }
  }
  if (!step.slice.size) return
  // 2. What the step inserts, after any text just marked as deleted.
  const insertAt = out.mapping.map(to, 1)
  if (step.slice.openStart > 0 && emptySlice(step.slice)) {
    suggestParagraph(out, insertAt, me) // Enter: a new suggested paragraph
    return
  }
  const $at = out.doc.resolve(insertAt)
  if (!$at.parent.inlineContent) return
  const before = $at.nodeBefore
  const own = before && before.isText && ownInsertion(before, marks, me)
  const mark = own || marks.insertion.create({ author: me, at })
  const content = inlineContent(step.slice, schema, mark)
  if (!content.size) return
  out.insert(insertAt, content)
  out.setSelection(TextSelection.create(out.doc, insertAt + content.size))
}

/** The transaction `tr` as suggestions by `me`, or null when nothing of it remains. */
export function toSuggestions(state, tr, me) {
  const out = state.tr
  const at = new Date().toISOString()
  tr.steps.forEach((step, i) => {
    if (!(step instanceof ReplaceStep)) return // formatting, wrapping: not suggested
    let from = step.from
    let to = step.to
    for (let j = i - 1; j >= 0; j--) {
      const back = tr.steps[j].getMap().invert()
      from = back.map(from, -1)
      to = back.map(to, 1)
    }
    from = out.mapping.map(from, -1)
    to = out.mapping.map(to, 1)
    trackStep(out, step, from, to, me, at)
  })
  if (!out.docChanged && !out.selectionSet && tr.selectionSet) {
    out.setSelection(tr.selection.map(out.doc, tr.mapping.invert()))
  }
  if (tr.scrolledIntoView) out.scrollIntoView()
  return out
}

// --- Accepting and rejecting (editors only: their updates are not checked) ---------------

/** Every suggestion in reading order: runs of one kind by one author at one time. */
export function listSuggestions(doc) {
  const found = []
  doc.descendants((node, pos, parent) => {
    if (node.type.name === 'paragraph' && node.attrs.suggestion) {
      found.push({ kind: 'block', author: node.attrs.suggestion, at: '', from: pos, to: pos + node.nodeSize, text: node.textContent })
    }
    if (!node.isText) return true
    for (const name of ['insertion', 'deletion']) {
      const mark = node.marks.find((m) => m.type.name === name)
      if (!mark) continue
      const last = found[found.length - 1]
      if (last && last.kind === name && last.author === mark.attrs.author && last.at === mark.attrs.at && last.to === pos && last.parent === parent) {
        last.to = pos + node.nodeSize
        last.text += node.text
      } else {
        found.push({ kind: name, author: mark.attrs.author, at: mark.attrs.at, from: pos, to: pos + node.nodeSize, text: node.text, parent })
      }
    }
    return false
  })
  return found
}

function settle(state, items, accept) {
  const tr = state.tr.setMeta(SKIP, true)
  const { insertion, deletion } = state.schema.marks
  // From the end, so that the positions before stay valid.
  const ordered = [...items].sort((a, b) => b.from - a.from || (a.kind === 'block' ? 1 : -1))
  for (const item of ordered) {
    const from = tr.mapping.map(item.from)
    const to = tr.mapping.map(item.to)
    if (item.kind === 'block') {
      const node = tr.doc.nodeAt(from)
      if (!node || node.attrs.suggestion !== item.author) continue
      if (accept || node.textContent !== '') tr.setNodeMarkup(from, undefined, { ...node.attrs, suggestion: null })
      else tr.delete(from, from + node.nodeSize)
    } else if ((item.kind === 'insertion') === accept) {
      tr.removeMark(from, to, item.kind === 'insertion' ? insertion : deletion)
    } else {
      tr.delete(from, to)
    }
  }
  return tr
}

/** Accept or reject one suggestion (an item of listSuggestions), or all of them. */
export function settleSuggestions(editor, items, accept) {
  const all = listSuggestions(editor.state.doc)
  // A paragraph goes with the suggestions in it: rejecting them all empties it.
  const chosen = items || all
  const blocks = all.filter((b) => b.kind === 'block' && chosen.some((i) => i.from >= b.from && i.to <= b.to))
  const set = [...new Set([...chosen, ...blocks])]
  editor.view.dispatch(settle(editor.state, set, accept))
}

// --- The mode, the filter and the colours ------------------------------------------------

/**
 * options: me (my user id), people(authorId) -> {name, color}, onChange().
 */
export const Suggest = Extension.create({
  name: 'agoraSuggest',
  addOptions() {
    return { me: '', people: () => null, onChange: () => {} }
  },
  addProseMirrorPlugins() {
    const options = this.options
    return [
      new Plugin({
        key: suggestKey,
        state: {
          init: () => ({ enabled: false }),
          apply: (tr, value) => {
            const set = tr.getMeta(suggestKey)
            return set ? { enabled: !!set.enabled } : value
          },
        },
        props: {
          decorations(state) {
            // Colours through decorations: the CSP forbids style attributes in marks.
            const decorations = []
            state.doc.descendants((node, pos) => {
              if (node.type.name === 'paragraph' && node.attrs.suggestion) {
                const who = options.people(node.attrs.suggestion)
                if (who) decorations.push(Decoration.node(pos, pos + node.nodeSize, { style: `border-left-color: ${who.color}` }))
              }
              if (!node.isText) return true
              const mark = node.marks.find((m) => m.type.name === 'insertion' || m.type.name === 'deletion')
              if (!mark) return false
              const who = options.people(mark.attrs.author)
              if (who) decorations.push(Decoration.inline(pos, pos + node.nodeSize, { style: `color: ${who.color}; text-decoration-color: ${who.color}`, title: who.name }))
              return false
            })
            return DecorationSet.create(state.doc, decorations)
          },
        },
        view: () => ({ update: (view, prev) => prev.doc !== view.state.doc && options.onChange() }),
      }),
    ]
  },
  dispatchTransaction({ transaction, next }) {
    const state = this.editor.state
    const enabled = suggestKey.getState(state)?.enabled
    const ysync = transaction.getMeta('y-sync$') || {}
    if (!enabled || !transaction.docChanged || ysync.isChangeOrigin || ysync.isUndoRedoOperation || transaction.getMeta(SKIP)) {
      next(transaction)
      return
    }
    next(toSuggestions(state, transaction, this.options.me))
  },
})

export function setSuggesting(editor, enabled) {
  editor.view.dispatch(editor.state.tr.setMeta(suggestKey, { enabled }))
}

export function isSuggesting(editor) {
  return !!suggestKey.getState(editor.state)?.enabled
}
