// Prompts in the template's empty paragraphs ("Describe what you observed…"),
// shown but never written in the text: nothing to delete before writing. Tiptap's
// Placeholder extension (@tiptap/extensions) puts the prompt in a data-placeholder
// attribute of the empty paragraph; editor.css shows it with ::before. The prompt
// depends on the heading just above (the page gives them in #draft-placeholders,
// deliberation/drafts.py template_sections); other empty paragraphs have none.

import { Placeholder } from '@tiptap/extensions'

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
  return Placeholder.configure({
    includeChildren: false,
    showOnlyCurrent: false,
    showOnlyWhenEditable: true,
    placeholder: ({ editor, node, pos }) => {
      if (node.type.name !== 'paragraph') return ''
      const $pos = editor.state.doc.resolve(pos)
      if ($pos.depth !== 0) return '' // inside a list, a table…: no prompt
      const before = $pos.nodeBefore
      if (!before || before.type.name !== 'heading') return ''
      const prompt = byHeading[before.textContent.trim()]
      return typeof prompt === 'string' ? prompt : ''
    },
  })
}
