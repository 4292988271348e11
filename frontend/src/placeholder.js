// Prompts in the template's empty paragraphs ("Describe what you observed…"), shown but
// never written in the text: nothing to delete before writing. A small ProseMirror
// plugin (rather than Tiptap's Placeholder, whose callback sees the editor's state of
// before the change): each empty top-level paragraph right after a heading of the
// template gets a data-placeholder attribute, which editor.css shows with ::before (a data
// attribute, not a style: the CSP allows no inline style). The page gives the prompts
// by heading in #draft-placeholders (deliberation/drafts.py template_sections).

import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'

function prompts() {
  const el = document.getElementById('draft-placeholders')
  if (!el) return {}
  try {
    const data = JSON.parse(el.textContent)
    return data && typeof data === 'object' ? data : {}
  } catch (e) {
    return {}
  }
}

export function templatePlaceholder() {
  const byHeading = prompts()
  return Extension.create({
    name: 'agoraTemplatePrompts',
    addProseMirrorPlugins() {
      const editor = this.editor
      return [
        new Plugin({
          key: new PluginKey('agoraTemplatePrompts'),
          props: {
            decorations(state) {
              if (!editor.isEditable) return null
              const found = []
              let previous = null
              state.doc.forEach((node, offset) => {
                if (node.type.name === 'paragraph' && node.content.size === 0 && previous
                  && previous.type.name === 'heading') {
                  const prompt = byHeading[previous.textContent.trim()]
                  if (typeof prompt === 'string' && prompt) {
                    found.push(Decoration.node(offset, offset + node.nodeSize, {
                      class: 'is-empty', 'data-placeholder': prompt,
                    }))
                  }
                }
                previous = node
              })
              return found.length ? DecorationSet.create(state.doc, found) : null
            },
          },
        }),
      ]
    },
  })
}
