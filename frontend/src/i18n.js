// The editor's words in the page's language, from the site's one catalogue (locale/).
// The code calls gettext with an English msgid; the page embeds the translations of every msgid
// the editor uses as JSON in #draft-editor-text (deliberation/editor_text.py), which the
// CSP allows because it is data, not a script. A msgid it lacks shows in English.

let catalogue = null
let catalogueId = 'draft-editor-text'

/** Another bundle's catalogue (the idea wall's #wall-text); call before the first word. */
export function useCatalogue(id) {
  catalogueId = id
  catalogue = null
}

function load() {
  if (catalogue) return catalogue
  catalogue = {}
  const el = document.getElementById(catalogueId)
  if (el) {
    try {
      const data = JSON.parse(el.textContent)
      if (data && typeof data === 'object') catalogue = data
    } catch (e) {
      // A broken catalogue leaves the editor in English rather than not working.
    }
  }
  return catalogue
}

export function gettext(msgid) {
  const text = load()[msgid]
  return typeof text === 'string' && text ? text : msgid
}

/** Fill %(name)s placeholders (python-format, as in the catalogue) in one pass. */
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)[sd]/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
  )
}

/** The page's language (<html lang>), for dates and sorting names. */
export function language() {
  return document.documentElement.lang || 'fr'
}
