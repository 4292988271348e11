// Sentences of the wall that depend on a number or a state, in one place.

import { gettext, interpolate } from '../i18n.js'

export function colourLabel(key) {
  switch (key) {
    case 'jaune':
      return gettext('Yellow')
    case 'rose':
      return gettext('Pink')
    case 'bleu':
      return gettext('Blue')
    case 'vert':
      return gettext('Green')
    case 'orange':
      return gettext('Orange')
    case 'violet':
      return gettext('Purple')
    default:
      return key
  }
}

/** The banner of the mode, for this person (dots left during a vote), or for the room's
 * screen (`projection`). Someone who may not write (a reader, a closed session) reads
 * "Read only". */
export function modeSentence(rights, dotsLeft, projection = false) {
  if (projection) return roomSentence(rights)
  if (!rights.edit && rights.mode !== 'vote') return gettext('Read only.')
  switch (rights.mode) {
    case 'open':
      return rights.add ? gettext('Open writing: add your ideas, move and group the notes.') : gettext('Open writing.')
    case 'silent':
      return rights.facilitate
        ? gettext('Silent writing: each person sees only their own notes until you reveal them.')
        : gettext('Silent writing: only you see your notes until the facilitator reveals them.')
    case 'vote':
      if (!rights.vote) return rights.round && rights.round.revealed ? gettext('Vote over: the results are shown.') : gettext('Vote in progress.')
      return dotsSentence(dotsLeft)
    default:
      return gettext('Read only.')
  }
}

export function dotsSentence(left) {
  if (left === null || left === undefined) return gettext('Vote in progress.')
  if (left <= 0) return gettext('Vote in progress: you have no dots left.')
  if (left === 1) return gettext('Vote in progress: you have 1 dot left.')
  return interpolate(gettext('Vote in progress: you have %(count)s dots left.'), { count: left })
}

export function dotsCount(count) {
  if (count === 1) return gettext('1 dot')
  return interpolate(gettext('%(count)s dots'), { count })
}

export function notesCount(count) {
  if (count === 0) return gettext('no notes')
  if (count === 1) return gettext('1 note')
  return interpolate(gettext('%(count)s notes'), { count })
}

export function commentsLabel(count) {
  if (count === 0) return gettext('Comments')
  return interpolate(gettext('Comments (%(count)s)'), { count })
}

export function refusedSentence(reason) {
  switch (reason) {
    case 'mode':
      return gettext('The mode of the wall changed: your last change was not saved.')
    case 'not_yours':
      return gettext('Only its author or a facilitator may change this note: your last change was not saved.')
    case 'too_long':
      return gettext('Text too long: your last change was not saved.')
    case 'limit':
      return gettext('The wall is full: your last change was not saved.')
    default:
      return gettext('Your last change was not accepted by the server and was not saved.')
  }
}

export function closeSentence(code) {
  switch (code) {
    case 4401:
      return gettext('Disconnected: your session has expired. Reload the page to connect again.')
    case 4403:
      return gettext('Disconnected: two-factor authentication is required. Reload the page.')
    case 4404:
      return gettext('This wall is no longer available.')
    case 4409:
      return gettext('Too many connections open (tabs or windows): close some of them, then reload the page.')
    case 4413:
      return gettext('Change too large: it was not saved. Reload the page.')
    case 4429:
      return gettext('Too many changes at once: reconnecting in a few seconds…')
    default:
      return gettext('Disconnected after a synchronisation error. Reload the page.')
  }
}

export function votersSentence(count) {
  if (count === 0) return gettext('Nobody has voted yet.')
  if (count === 1) return gettext('1 person has voted.')
  return interpolate(gettext('%(count)s people have voted.'), { count })
}

function roomSentence(rights) {
  switch (rights.mode) {
    case 'open':
      return gettext('Open writing.')
    case 'silent':
      return gettext('Silent writing: everyone writes alone; the notes appear when the facilitator reveals them.')
    case 'vote':
      return rights.round && rights.round.revealed ? gettext('Vote over: the results are shown.') : gettext('Vote in progress.')
    default:
      return gettext('Read only.')
  }
}
