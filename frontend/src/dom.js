// Small DOM and colour helpers shared by the editor's modules.
//
// CSP: the page allows only 'self' for scripts and styles, so nothing here writes a
// style="" attribute or a <style> element: colours go through the CSSOM (el.style.x = …),
// which the policy does not block.

import { formatWhen } from '../../static/js/dates.js'

export function h(tag, attrs = {}, ...children) {
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

export const flag = (value) => value === 'true' || value === '1'
export const validColor = (color) => typeof color === 'string' && /^#[0-9a-fA-F]{6}$/.test(color)

/** Black or white, whichever reads better on the given #rrggbb background. */
export function textColorOn(color) {
  if (!validColor(color)) return '#000000'
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16) / 255)
  const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
  const lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
  return lum > 0.179 ? '#000000' : '#ffffff'
}

// The one date format of the site (static/js/dates.js, the same as the server's |when).
export function formatDate(iso) {
  return formatWhen(iso)
}
