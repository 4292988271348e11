"""The French catalogue is complete, safe to format, compiled, and actually used.

The code's msgids are English; the interface must be French by default. These
tests catch the usual ways a catalogue rots: an entry left empty or fuzzy, a
placeholder or HTML tag lost in translation (a KeyError or broken markup at
runtime), a .mo that was not recompiled after the .po changed, and a string
added to a template or to Python code without running ``make messages``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped]
import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
PO_PATH = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# %(name)s, %(count)d, %s, %d… (but not the escaped %%)
PYTHON_FORMAT = re.compile(
    r"%(?:\((?P<name>\w+)\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])"
)
# {name}, {0}, {name!r:>10}… (but not the escaped {{ and }})
BRACE_FORMAT = re.compile(r"(?<!\{)\{(?P<field>[^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def _entries() -> list[polib.POEntry]:
    return [entry for entry in _catalogue() if not entry.obsolete]


def _placeholders(entry: polib.POEntry, text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    if "python-format" in entry.flags:
        for match in PYTHON_FORMAT.finditer(text):
            if match.group("conv") == "%":
                continue
            name = match.group("name")
            found[f"%({name}){match.group('conv')}" if name else f"%{match.group('conv')}"] += 1
    if "python-brace-format" in entry.flags:
        for match in BRACE_FORMAT.finditer(text):
            found["{" + match.group("field") + "}"] += 1
    return found


def _translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: the singular msgid for msgstr[0], the plural for the rest."""
    if entry.msgid_plural:
        return [
            (entry.msgid if index == 0 else entry.msgid_plural, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


def _label(entry: polib.POEntry) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
    return f"{entry.msgid!r} ({where})"


def test_the_catalogue_is_french_with_french_plurals() -> None:
    catalogue = _catalogue()
    assert catalogue.metadata.get("Language") == "fr"
    assert "charset=UTF-8" in catalogue.metadata.get("Content-Type", "")
    assert catalogue.metadata.get("Plural-Forms", "").replace(" ", "") == (
        "nplurals=2;plural=(n>1);"
    )
    assert not catalogue.metadata_is_fuzzy
    assert len(_entries()) > 100


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    catalogue = _catalogue()
    untranslated = [_label(entry) for entry in catalogue.untranslated_entries()]
    fuzzy = [_label(entry) for entry in catalogue.fuzzy_entries()]
    assert not untranslated, "untranslated:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)
    plural_gaps = [
        _label(entry) for entry in _entries()
        if entry.msgid_plural and sorted(entry.msgstr_plural) != [0, 1]
    ]
    assert not plural_gaps, "French needs exactly two plural forms:\n" + "\n".join(plural_gaps)


def test_every_placeholder_survives_translation() -> None:
    problems = []
    for entry in _entries():
        allowed = _placeholders(entry, entry.msgid) | _placeholders(entry, entry.msgid_plural or "")
        for source, translation in _translations(entry):
            if not translation:
                continue  # reported by test_every_entry_is_translated_and_none_is_fuzzy
            expected = set(_placeholders(entry, source))
            found = set(_placeholders(entry, translation))
            if expected - found:
                problems.append(f"{_label(entry)}: lost {sorted(expected - found)}")
            if found - set(allowed):
                problems.append(f"{_label(entry)}: unknown {sorted(found - set(allowed))}")
    assert not problems, "\n".join(problems)


def test_python_format_is_declared_where_placeholders_are_used() -> None:
    """An entry with %(name)s but no python-format flag escapes the check above."""
    undeclared = [
        _label(entry) for entry in _entries()
        if re.search(r"%\(\w+\)[sd]", entry.msgid) and "python-format" not in entry.flags
    ]
    assert not undeclared, "\n".join(undeclared)


def test_html_tags_survive_translation() -> None:
    problems = []
    for entry in _entries():
        for source, translation in _translations(entry):
            if Counter(HTML_TAG.findall(source)) != Counter(HTML_TAG.findall(translation)):
                problems.append(_label(entry))
    assert not problems, "HTML tags differ:\n" + "\n".join(problems)


def _mo_entries(mo: polib.MOFile) -> dict[tuple[str | None, str], Any]:
    return {
        (entry.msgctxt, entry.msgid): (
            tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr
        )
        for entry in mo
    }


def test_the_compiled_catalogue_matches_the_po(tmp_path: Path) -> None:
    assert MO_PATH.exists(), "compile it: make translations"
    fresh = tmp_path / "django.mo"
    _catalogue().save_as_mofile(str(fresh))
    compiled = _mo_entries(polib.mofile(str(MO_PATH)))
    expected = _mo_entries(polib.mofile(str(fresh)))
    stale = sorted(str(key) for key in expected.keys() ^ compiled.keys()) + sorted(
        str(key) for key in expected.keys() & compiled.keys() if expected[key] != compiled[key]
    )
    assert not stale, (
        "django.mo is out of date, run `python -m config.i18n compile "
        "locale/fr/LC_MESSAGES/django.po`:\n" + "\n".join(stale[:20])
    )


# Simple literal msgids: {% translate "…" %} in templates, _("…") / gettext("…") in Python.
TEMPLATE_TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(["'])(?P<msgid>(?:(?!\1).)+)\1\s*%\}"""
)
PYTHON_GETTEXT = re.compile(
    r"""\b(?:_|gettext|gettext_lazy)\(\s*(["'])(?P<msgid>[^"'\\\n]+)\1\s*\)"""
)
SOURCE_DIRS_IGNORED = {".venv", "var", "tests", "bench", "node_modules", "migrations"}


def _source_files(pattern: str) -> list[Path]:
    return [
        path for path in ROOT.rglob(pattern)
        if not SOURCE_DIRS_IGNORED.intersection(path.relative_to(ROOT).parts)
    ]


def test_simple_msgids_in_the_code_are_in_the_catalogue() -> None:
    """A new string without `make messages` would show in English to everyone."""
    known = {entry.msgid for entry in _entries()}
    missing = []
    for path in _source_files("*.html") + _source_files("*.txt"):
        for match in TEMPLATE_TRANSLATE.finditer(path.read_text(encoding="utf-8")):
            if match.group("msgid") not in known:
                missing.append(f"{path.relative_to(ROOT)}: {match.group('msgid')!r}")
    for path in _source_files("*.py"):
        for match in PYTHON_GETTEXT.finditer(path.read_text(encoding="utf-8")):
            if match.group("msgid") not in known:
                missing.append(f"{path.relative_to(ROOT)}: {match.group('msgid')!r}")
    assert not missing, "run `make messages` and translate:\n" + "\n".join(missing)


# The co-writing editor (frontend/src): gettext('English msgid') calls, whose translations the
# draft pages embed from deliberation.editor_text (frontend/src/i18n.js reads them).
EDITOR_SOURCES = ROOT / "frontend" / "src"
JS_GETTEXT_CALL = re.compile(r"(?<!function )\bgettext\(")
JS_GETTEXT = re.compile(r"""(?<!function )\bgettext\(\s*(['"])(?P<msgid>[^'"\\\n]+)\1\s*\)""")
# A French word typed straight into the editor's code instead of going through gettext.
FRENCH_LETTERS = re.compile(r"[àâçéèêëîïôöûùüÿœæÀÂÇÉÈÊËÎÏÔÖÛÙÜŸŒÆ’«»]")


# The idea wall's client (frontend/src/walls), whose words the wall pages embed from
# workshops.wall_text the same way.
WALL_SOURCES = EDITOR_SOURCES / "walls"


def _editor_msgids(sources: Path = EDITOR_SOURCES) -> dict[str, list[str]]:
    """{msgid: files} of every gettext call in the editor; a call on a non-literal fails."""
    found: dict[str, list[str]] = {}
    for path in sorted(sources.glob("*.js")):
        source = path.read_text(encoding="utf-8")
        literal = list(JS_GETTEXT.finditer(source))
        assert len(literal) == len(JS_GETTEXT_CALL.findall(source)), (
            f"{path.name}: gettext() takes one literal string, or its msgid cannot be checked"
        )
        for match in literal:
            found.setdefault(match.group("msgid"), []).append(path.name)
    return found


def test_every_word_of_the_editor_is_translated_and_reaches_its_page() -> None:
    from deliberation.editor_text import EDITOR_MSGIDS

    used = _editor_msgids()
    assert len(used) > 50, "the editor's gettext calls were not found"
    translated = {
        entry.msgid for entry in _entries() if entry.msgstr and "fuzzy" not in entry.flags
    }
    untranslated = sorted(f"{msgid!r} ({', '.join(files)})" for msgid, files in used.items()
                          if msgid not in translated)
    assert not untranslated, (
        "translate in locale/fr/LC_MESSAGES/django.po and compile:\n" + "\n".join(untranslated)
    )
    unsent = sorted(set(used) - set(EDITOR_MSGIDS))
    assert not unsent, "add to deliberation/editor_text.py, or the page will not send it:\n" + (
        "\n".join(map(repr, unsent))
    )
    unused = sorted(set(EDITOR_MSGIDS) - set(used))
    assert not unused, "no longer used by the editor:\n" + "\n".join(map(repr, unused))
    assert len(EDITOR_MSGIDS) == len(set(EDITOR_MSGIDS))


def test_every_word_of_the_idea_wall_is_translated_and_reaches_its_page() -> None:
    from workshops.wall_text import WALL_MSGIDS

    used = _editor_msgids(WALL_SOURCES)
    assert len(used) > 50, "the wall's gettext calls were not found"
    translated = {
        entry.msgid for entry in _entries() if entry.msgstr and "fuzzy" not in entry.flags
    }
    untranslated = sorted(f"{msgid!r} ({', '.join(files)})" for msgid, files in used.items()
                          if msgid not in translated)
    assert not untranslated, (
        "translate in locale/fr/LC_MESSAGES/django.po and compile:\n" + "\n".join(untranslated)
    )
    unsent = sorted(set(used) - set(WALL_MSGIDS))
    assert not unsent, "add to workshops/wall_text.py, or the page will not send it:\n" + (
        "\n".join(map(repr, unsent))
    )
    unused = sorted(set(WALL_MSGIDS) - set(used))
    assert not unused, "no longer used by the wall:\n" + "\n".join(map(repr, unused))
    assert len(WALL_MSGIDS) == len(set(WALL_MSGIDS))


def test_the_idea_wall_words_follow_the_language() -> None:
    from django.utils import translation

    from workshops.wall_text import wall_text

    with translation.override("fr"):
        french = wall_text()
    with translation.override("en"):
        english = wall_text()
    assert french["Move to…"] == "Déplacer vers…"
    assert french["Vote in progress: you have %(count)s dots left."] == (
        "Vote en cours : il vous reste %(count)s gommettes."
    )
    assert english["Move to…"] == "Move to…"


def test_the_editor_has_no_french_outside_the_catalogue() -> None:
    typed = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(EDITOR_SOURCES.glob("*.js")) + sorted(WALL_SOURCES.glob("*.js"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FRENCH_LETTERS.search(line)
    ]
    assert not typed, "write gettext('English msgid') and translate it:\n" + "\n".join(typed)


def test_the_editor_words_follow_the_language() -> None:
    from django.utils import translation

    from deliberation.editor_text import editor_text

    with translation.override("fr"):
        french = editor_text()
    with translation.override("en"):
        english = editor_text()
    assert french["Bold"] == "Gras"
    assert french["Read only"] == "Lecture seule"
    assert french["Too many connections open (tabs or windows): close some of them, then "
                  "reload the page."].startswith("Trop de connexions ouvertes")
    assert english["Bold"] == "Bold"


# --- The catalogue in use ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_is_in_french_by_default(client: Client) -> None:
    response = client.get("/comptes/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="fr"' in page
    assert "Aller au contenu principal" in page  # templates/base.html
    assert '<label for="language">Langue</label>' in page  # templates/base.html
    assert "connectez-vous avec votre mot de passe" in page.lower()  # account/login.html
    assert "Skip to main content" not in page


@pytest.mark.django_db
def test_the_login_page_is_in_english_on_request(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/comptes/login/").content.decode()
    assert 'lang="en"' in page
    assert "Skip to main content" in page
    assert '<label for="language">Language</label>' in page
    assert "Aller au contenu principal" not in page
