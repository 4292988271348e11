// Agora's own nodes. Their names are read by the server's export: keep them.

import { Node, mergeAttributes } from '@tiptap/core'

export const Callout = Node.create({
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

export const FigureCaption = Node.create({
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
