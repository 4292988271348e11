"""Searching the library, in French, only among the documents someone may see.

``reindex(document)`` keeps ``Document.search_text``: the document's words as plain,
readable text (title, summary, sheet without its HTML, address, file name, the text
extracted from the current file), capped at ``MAX_TEXT`` characters. Call it after
every change of any of these (the actions do; ``documents.files.store_upload`` does
after a new file).

``search(user, query, …)`` starts from ``visible_documents(user)`` — a document
someone may not read is never a result, nor counted — then:

- **PostgreSQL** (production): the stored ``Document.search_vector`` (search_text
  through ``agora_french`` — the ``french`` configuration with ``unaccent`` before the
  stemmer, migration 0002 — the title's words weighing A), GIN-indexed (migration
  0003) and kept by ``reindex``. The query is read by ``websearch_to_tsquery``: every
  word must match, "a quoted phrase" matches those words in a row, ``-mot`` excludes,
  ``or`` offers an alternative. Ranked by ``ts_rank``; excerpts by ``ts_headline``.
- **SQLite** (development and the embedded demo): the same normalisation in Python
  — lower case, accents removed, the same French stop words, the Snowball French
  stemmer (the one PostgreSQL uses) — over the visible documents, whose stems are
  kept in a per-process cache. Fine for a few thousand documents (see
  docs/performance.md, « Library search »); PostgreSQL is the production path.
  Supports words, "phrases" and ``-mot``; ``or`` is ignored (every word must match).

Excerpts are safe HTML: the text is escaped, and only the ``<mark>`` elements around
the matching words are markup.
"""

from __future__ import annotations

import html
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import nh3
import snowballstemmer
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, QuerySet, TextField, Value
from django.db.models.functions import Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from documents.access import visible_documents
from documents.models import Document, DocumentFile

CONFIG = "agora_french"
# Also in migration 0003 (filling the column for existing rows).
VECTOR_SQL = (
    f"setweight(setweight(to_tsvector('{CONFIG}'::regconfig, COALESCE({{0}}, '')), 'D'), 'A', "
    f"tsvector_to_array(to_tsvector('{CONFIG}'::regconfig, COALESCE({{1}}, ''))))"
)
MAX_TEXT = 1_000_000  # characters of search_text kept per document
MAX_QUERY = 200  # characters of a query read; the rest is ignored
MAX_TERMS = 16  # words of a query read
MAX_LIMIT = 100
MAX_OFFSET = 10_000
# How much of a document ts_headline reads for its excerpt (it parses all it is given).
EXCERPT_SOURCE = 100_000
EXCERPT_WORDS = 30
PART_SEPARATOR = "\n\n"

# Markers ts_headline puts around matches; stripped from every indexed text, so the
# excerpt can be escaped whole and only then given its <mark> elements.
_START, _STOP = "\x02", "\x03"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u202f]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_BLOCK_END = re.compile(
    r"(?i)(<br\b[^>]*>|</(?:p|li|h[1-6]|div|blockquote|tr|td|th|pre|figcaption)\s*>)"
)
_WORD = re.compile(r"[^\W_]+")

# PostgreSQL's french.stop (tsearch_data/french.stop). agora_french drops these before
# unaccent (dictionary agora_french_stop), then the stemmer drops them once more after
# (« etre » unaccented is not one, « ete » is not either; « as » is): `stems` does both.
_STOP_WORDS = frozenset(
    """au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me même
    mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi
    ton tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante étants
    étantes suis es est sommes êtes sont serai seras sera serons serez seront serais serait
    serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent sois
    soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante ayantes
    ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront aurais
    aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes eurent aie
    aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent""".split()
)


@dataclass(frozen=True)
class Result:
    document: Document
    excerpt: SafeString  # escaped text, matching words in <mark>
    title_html: SafeString  # the title, escaped, matching words in <mark>
    rank: float


# --- Keeping search_text -------------------------------------------------------------------------


def _clean(text: str) -> str:
    text = _CONTROL.sub(" ", text or "")
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n", text).strip()


def sheet_text(body: str) -> str:
    """A sheet's HTML as plain text: block ends become line breaks, tags go, entities
    are decoded."""
    if not body:
        return ""
    spaced = _BLOCK_END.sub(lambda m: m.group(0) + "\n", body)
    return html.unescape(nh3.clean(spaced, tags=set()))


def build_search_text(document: Document) -> str:
    current = (
        DocumentFile.objects.filter(document=document)
        .order_by("-version")
        .annotate(head=Substr("text", 1, MAX_TEXT))
        .values_list("original_name", "head")
        .first()
    )
    parts = [
        document.title,
        document.summary,
        sheet_text(document.body),
        document.url,
        *(current or ()),
    ]
    text = PART_SEPARATOR.join(p for p in (_clean(part) for part in parts) if p)
    return text[:MAX_TEXT]


def _stored_vector() -> Any:
    """The stored search_vector: search_text (which starts with the title), its words
    weighing D, or A for the words of the title. One vector, not title || text: a
    concatenation would let a "phrase" run across the seam between the two."""
    from django.contrib.postgres.search import SearchVectorField

    return _Sql(VECTOR_SQL, F("search_text"), F("title"), output_field=SearchVectorField())


def _refresh_vectors(queryset: QuerySet[Document]) -> None:
    if connection.vendor == "postgresql":
        queryset.update(search_vector=_stored_vector())


def reindex(document: Document) -> None:
    """Recompute ``document.search_text`` (and, on PostgreSQL, its stored vector)."""
    text = build_search_text(document)
    if text != document.search_text:
        document.search_text = text
        document.save(update_fields=["search_text"])
    # Always: the title may have changed without the text.
    _refresh_vectors(Document.objects.filter(pk=document.pk))


def reindex_all(queryset: QuerySet[Document] | None = None, *, batch: int = 500) -> int:
    """Recompute every document's search_text (after an import, or a change of the
    rules above). Returns how many changed."""
    queryset = Document.objects.all() if queryset is None else queryset
    changed = 0
    pending: list[Document] = []
    for document in queryset.order_by("pk").iterator(chunk_size=batch):
        text = build_search_text(document)
        if text != document.search_text:
            document.search_text = text
            pending.append(document)
        if len(pending) >= batch:
            Document.objects.bulk_update(pending, ["search_text"])
            changed += len(pending)
            pending = []
    if pending:
        Document.objects.bulk_update(pending, ["search_text"])
        changed += len(pending)
    _refresh_vectors(queryset)
    return changed


# --- Reading a query -----------------------------------------------------------------------------


def unaccent(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")


_stemmer = snowballstemmer.stemmer("french")
_stem_lock = threading.Lock()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    with _stem_lock:  # a Snowball stemmer object is not thread-safe
        return _stemmer.stemWord(word)


def _words(text: str) -> list[str]:
    """Words as PostgreSQL's parser roughly splits them (apostrophes and hyphens split)."""
    return _WORD.findall(text.lower())


def stems(text: str) -> list[str]:
    """The searchable forms of ``text``'s words, in order, stop words left out."""
    kept = (word for word in _words(text) if word not in _STOP_WORDS)
    bare = (unaccent(word) for word in kept)
    return [_stem(word) for word in bare if word not in _STOP_WORDS]


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the (truncated) query, as given to websearch_to_tsquery
    terms: tuple[str, ...]  # stems every result must contain
    phrases: tuple[tuple[str, ...], ...]  # stem sequences that must appear in a row
    excluded: tuple[str, ...]  # stems no result may contain

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases


_PHRASE = re.compile(r'"([^"]*)"?')


def parse_query(query: str) -> ParsedQuery:
    text = _CONTROL.sub(" ", (query or "")[:MAX_QUERY]).strip()
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    rest = []
    position = 0
    for match in _PHRASE.finditer(text):
        rest.append(text[position : match.start()])
        phrase = tuple(stems(match.group(1)))
        if len(phrase) > 1:
            phrases.append(phrase)
        terms.extend(phrase)
        position = match.end()
    rest.append(text[position:])
    for chunk in " ".join(rest).split():
        if chunk.lower() == "or":
            continue
        negative = chunk.startswith("-") and len(chunk) > 1
        found = stems(chunk[1:] if negative else chunk)
        (excluded if negative else terms).extend(found)
    terms = list(dict.fromkeys(terms))[:MAX_TERMS]
    return ParsedQuery(text, tuple(terms), tuple(phrases[:MAX_TERMS]), tuple(excluded))


# --- Searching -----------------------------------------------------------------------------------


def _filtered(
    user: Any, *, mandate: Any, kind: str | None, contributor_type: str | None, theme: Any
) -> QuerySet[Document]:
    documents = visible_documents(user)
    if mandate:
        documents = documents.filter(mandates=getattr(mandate, "pk", mandate))
    if theme:
        if isinstance(theme, str) and not theme.isdigit():
            documents = documents.filter(themes__slug=theme)
        else:
            documents = documents.filter(themes=getattr(theme, "pk", theme))
    if kind:
        documents = documents.filter(kind=kind)
    if contributor_type:
        documents = documents.filter(contributor_type=contributor_type)
    return documents


def search(
    user: Any,
    query: str,
    *,
    mandate: Any = None,
    kind: str | None = None,
    contributor_type: str | None = None,
    theme: Any = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[Result], int]:
    """The visible documents matching ``query``, best first: (one page of results,
    how many match in all). An empty query finds nothing."""
    parsed = parse_query(query)
    if parsed.empty:
        return [], 0
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    try:
        documents = _filtered(
            user, mandate=mandate, kind=kind, contributor_type=contributor_type, theme=theme
        )
        if connection.vendor == "postgresql":
            return _search_postgresql(documents, parsed, limit, offset)
        return _search_python(documents, parsed, limit, offset)
    except (ValidationError, ValueError, TypeError):
        # A malformed filter value (not a UUID, not a number): nothing matches it.
        return [], 0


# --- PostgreSQL ----------------------------------------------------------------------------------


class _Sql(Func):
    """A fixed SQL template over compiled expressions: ``{0}``, ``{1}``… each used once,
    in order (their parameters follow that order). The configuration name is a
    constant of this module, never user input; the query text is always a parameter."""

    def __init__(self, template: str, *expressions: Any, output_field: Any) -> None:
        super().__init__(*expressions, output_field=output_field)
        self.sql_template = template

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, *args: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return self.sql_template.format(*parts), params


def _tsquery(text: str) -> _Sql:
    from django.contrib.postgres.search import SearchQueryField

    return _Sql(
        f"websearch_to_tsquery('{CONFIG}'::regconfig, {{0}})",
        Value(text, output_field=TextField()),
        output_field=SearchQueryField(),
    )


def _rank(text: str) -> _Sql:
    """ts_rank over the title (weight A) and the whole text (weight D): a word of the
    title outweighs any number of occurrences elsewhere (D positions add up to less
    than 0.1 × π²/6 per word, one A position is 1)."""
    return _Sql("ts_rank({0}, {1})", F("search_vector"), _tsquery(text), output_field=FloatField())


def _html_escaped_sql(source: str) -> str:
    """The text HTML-escaped in SQL, before ts_headline: ts_headline drops what looks like
    a tag (« <script> ») and escapes nothing, so it must be given text with no markup
    left. Entities (« &lt; ») are single tokens to its parser, never cut."""
    return f"replace(replace(replace({source}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


def _headline(source: str, text: str, options: str) -> _Sql:
    return _Sql(
        f"ts_headline('{CONFIG}'::regconfig, {_html_escaped_sql(source)}, {{0}}, '{options}')",
        _tsquery(text),
        output_field=TextField(),
    )


# The excerpt is taken from the text after the title (shown on its own), within the
# first EXCERPT_SOURCE characters (ts_headline parses everything it is given).
_T = '"documents_document"."title"'
_S = '"documents_document"."search_text"'
_AFTER_TITLE = (
    f"(CASE WHEN left({_S}, char_length({_T})) = {_T} "
    f"THEN substr({_S}, char_length({_T}) + {len(PART_SEPARATOR) + 1}, {EXCERPT_SOURCE}) "
    f"ELSE left({_S}, {EXCERPT_SOURCE}) END)"
)
_TITLE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
_EXCERPT_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords={EXCERPT_WORDS}, MinWords=12, "
    'ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
)


def _marked(headline: str) -> SafeString:
    """A headline of escaped text (see _html_escaped_sql) with its markers turned into
    <mark> elements. Any « < » or « > » left would be escaped again: none can be markup."""
    text = _SPACES.sub(" ", (headline or "").replace("\n", " ")).strip()
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


def _matches(text: str) -> _Sql:
    """``search_vector @@ websearch_to_tsquery('agora_french', …)`` (GIN-indexed)."""
    return _Sql("{0} @@ {1}", F("search_vector"), _tsquery(text), output_field=BooleanField())


def _search_postgresql(
    documents: QuerySet[Document], parsed: ParsedQuery, limit: int, offset: int
) -> tuple[list[Result], int]:
    matching = documents.filter(_matches(parsed.text))
    total = matching.count()
    if not total or offset >= total:
        return [], total
    page = list(
        matching.annotate(rank=_rank(parsed.text))
        .order_by("-rank", F("published_at").desc(nulls_last=True), "-created_at", "pk")
        .values_list("pk", "rank")[offset : offset + limit]
    )
    ids = [pk for pk, _score in page]
    by_id = Document.objects.in_bulk(ids)
    headlines = {
        pk: (title, excerpt)
        for pk, title, excerpt in Document.objects.filter(pk__in=ids).values_list(
            "pk",
            _headline(_T, parsed.text, _TITLE_OPTIONS),
            _headline(_AFTER_TITLE, parsed.text, _EXCERPT_OPTIONS),
        )
    }
    results = []
    for pk, score in page:
        title, excerpt = headlines.get(pk, ("", ""))
        results.append(Result(by_id[pk], _marked(excerpt), _marked(title), float(score or 0)))
    return results, total


# --- SQLite (and any other database): in Python --------------------------------------------------


@dataclass(frozen=True)
class _Indexed:
    key: tuple[int, int]  # (hash, length) of the search_text these stems were computed from
    title: frozenset[str]
    counts: dict[str, int]
    sequence: tuple[str, ...]  # every stem in order, for "phrases"


_CACHE: dict[Any, _Indexed] = {}
_CACHE_MAX = 20_000  # documents; beyond that the cache starts over


def _indexed(pk: Any, title: str, text: str) -> _Indexed:
    key = (hash(text), len(text))
    entry = _CACHE.get(pk)
    if entry is None or entry.key != key:
        sequence = tuple(stems(text))
        counts: dict[str, int] = {}
        for stem in sequence:
            counts[stem] = counts.get(stem, 0) + 1
        entry = _Indexed(key, frozenset(stems(title)), counts, sequence)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[pk] = entry
    return entry


def _has_phrase(sequence: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    return any(
        sequence[i : i + size] == phrase
        for i, stem in enumerate(sequence[: len(sequence) - size + 1])
        if stem == first
    )


def _score(entry: _Indexed, terms: tuple[str, ...]) -> float:
    """Per word: 10 if in the title, plus 1 + log(1 + occurrences) capped at 5 — a title
    word always outranks any number of occurrences elsewhere."""
    return sum(
        (10.0 if term in entry.title else 0.0)
        + 1.0
        + min(math.log1p(entry.counts.get(term, 0)), 5.0)
        for term in terms
    )


def _search_python(
    documents: QuerySet[Document], parsed: ParsedQuery, limit: int, offset: int
) -> tuple[list[Result], int]:
    scored = []
    # In the order PostgreSQL breaks ties (latest published, then created): the sort by
    # score below is stable.
    rows = documents.order_by(
        F("published_at").desc(nulls_last=True), "-created_at", "pk"
    ).values_list("pk", "title", "search_text")
    for pk, title, text in rows.iterator(chunk_size=500):
        entry = _indexed(pk, title, text)
        if any(term not in entry.counts for term in parsed.terms):
            continue
        if any(stem in entry.counts for stem in parsed.excluded):
            continue
        if parsed.phrases and not all(_has_phrase(entry.sequence, p) for p in parsed.phrases):
            continue
        scored.append((_score(entry, parsed.terms), pk))
    scored.sort(key=lambda row: row[0], reverse=True)
    page = scored[offset : offset + limit]
    by_id = Document.objects.in_bulk([pk for _score, pk in page])
    wanted = set(parsed.terms)
    results = []
    for score, pk in page:
        document = by_id[pk]
        results.append(
            Result(
                document,
                _python_excerpt(_after_title(document), wanted),
                _highlight(document.title, wanted),
                score,
            )
        )
    return results, len(scored)


def _after_title(document: Document) -> str:
    text = document.search_text
    title = _clean(document.title)
    if text.startswith(title):
        text = text[len(title) + len(PART_SEPARATOR) :]
    return text[:EXCERPT_SOURCE]


_TOKENS = re.compile(r"([^\W_]+)")


def _highlight(text: str, wanted: set[str]) -> SafeString:
    """``text`` escaped, its words whose stem is wanted in <mark>."""
    pieces = []
    for index, piece in enumerate(_TOKENS.split(text)):
        if not piece:
            continue
        if index % 2 and _stem(unaccent(piece)) in wanted:
            pieces.append(f"<mark>{escape(piece)}</mark>")
        else:
            pieces.append(escape(piece))
    return mark_safe(_SPACES.sub(" ", "".join(pieces).replace("\n", " ")).strip())  # noqa: S308


def _python_excerpt(text: str, wanted: set[str]) -> SafeString:
    """About EXCERPT_WORDS words around the first match (the beginning if none)."""
    if not text:
        return mark_safe("")  # noqa: S308
    before = EXCERPT_WORDS // 3
    spans: list[tuple[int, int]] = []
    hit = None
    for match in _WORD.finditer(text):
        spans.append(match.span())
        if hit is None:
            if _stem(unaccent(match.group(0))) in wanted:
                hit = len(spans) - 1
                del spans[: max(0, hit - before)]
                hit = min(hit, before)
            elif len(spans) > 2 * before:
                del spans[:before]
        elif len(spans) >= hit + EXCERPT_WORDS - before:
            break
    if hit is None:  # the words are in the title only: the beginning of the rest
        spans = list(_take(_WORD.finditer(text), EXCERPT_WORDS))
    if not spans:
        return _highlight(text[:300], wanted)
    start = 0 if hit is None else spans[0][0]
    end = spans[min(len(spans), EXCERPT_WORDS) - 1][1]
    start = 0 if not text[:start].strip() else start
    end = len(text) if not text[end:].strip() else end
    excerpt = _highlight(text[start:end], wanted)
    prefix = "… " if start else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(f"{prefix}{excerpt}{suffix}")  # noqa: S308


def _take(matches: Any, count: int) -> Any:
    for index, match in enumerate(matches):
        if index >= count:
            return
        yield match.span()


# --- For the site's one search (config/search.py): the same normalisation elsewhere ----------


def matches(parsed: ParsedQuery, text: str) -> bool:
    """Whether ``text`` holds every word of the query (and its phrases, none excluded), by
    the rules above: what the SQLite path applies to a document, for any text."""
    sequence = tuple(stems(text))
    present = set(sequence)
    if any(term not in present for term in parsed.terms):
        return False
    if any(stem in present for stem in parsed.excluded):
        return False
    return all(_has_phrase(sequence, phrase) for phrase in parsed.phrases)


def highlight(text: str, parsed: ParsedQuery) -> SafeString:
    """``text`` escaped, the words matching the query in <mark> (spaces kept)."""
    return _highlight(text, set(parsed.terms))


def excerpt(text: str, parsed: ParsedQuery) -> SafeString:
    """About EXCERPT_WORDS words of ``text`` around the first match, escaped and marked."""
    return _python_excerpt(text, set(parsed.terms))


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, accents removed (names are matched by their start)."""
    return [unaccent(word) for word in _words(text)]


def highlight_prefixes(text: str, prefixes: list[str]) -> SafeString:
    """``text`` escaped, its words starting with one of ``prefixes`` (unaccented) in <mark>."""
    pieces = []
    for index, piece in enumerate(_TOKENS.split(text)):
        if index % 2 and any(unaccent(piece).startswith(p) for p in prefixes):
            pieces.append(f"<mark>{escape(piece)}</mark>")
        else:
            pieces.append(escape(piece))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece escaped
