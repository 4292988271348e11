// Comment highlights: decorations recomputed from the comments' Yjs relative positions,
// so a highlight follows its passage as the others edit the text.

import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import {
  ySyncPluginKey,
  absolutePositionToRelativePosition,
  relativePositionToAbsolutePosition,
} from '@tiptap/y-tiptap'
import * as Y from 'yjs'

export const commentKey = new PluginKey('agoraComments')

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

export function absToRelJSON(state, pos) {
  const ystate = ySync(state)
  if (!ystate) return null
  const rel = absolutePositionToRelativePosition(pos, ystate.type, ystate.binding.mapping)
  return Y.relativePositionToJSON(rel)
}

/** Absolute range {from, to} of a comment anchor in the current document, or null. */
export function anchorRange(state, anchor) {
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

export const CommentAnchors = Extension.create({
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
