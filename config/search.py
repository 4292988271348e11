"""The site's one search: messages, library documents, proposals, people and help, by kind.

Each kind starts from what the person may read, through the owning app's own rule —
``forums.access.readable_rooms``, ``documents.access.visible_documents`` (through
``documents.search.search``), ``deliberation.proposals.readable_proposals``, and for
people ``forums.views.people_i_share_a_room_with`` (the people one may write to) — so
nothing a person may not read is ever found, nor counted. The help centre's guides and
glossary (``learning``) are read by everyone logged in; the guides shown are those for
the person's roles, as in the help centre. Words are read the library's
way (``documents.search``: lower case, accents removed, French stop words, the Snowball
French stemmer): « vieillir » finds « vieillissement », « ecole » finds « École ».

Proposals are searched in their title and the text of their latest version (a version is
saved after every pause in the writing, docs/architecture.md): no draft is replayed for a
search. Messages are searched in PostgreSQL with the library's ``agora_french``
configuration, elsewhere in Python over the ``MESSAGE_SCAN`` most recent messages of the
rooms one reads (the embedded database is for development and demos).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from documents import search as library

KINDS = ("proposals", "documents", "messages", "people", "help")
PER_KIND = 5  # results of each kind on the page of all kinds
MAX_RESULTS = 50  # results of one kind, when the page shows only that kind
MESSAGE_SCAN = 5000  # most recent messages read by the Python path
MAX_NAME_WORDS = 4
_LINE_MARKS = re.compile(r"^\s*(?:#+|•)\s+", re.MULTILINE)


@dataclass
class Hit:
    title: SafeString  # escaped, matching words in <mark>
    url: str
    excerpt: SafeString = field(default_factory=lambda: SafeString(""))
    meta: str = ""  # plain text: where it is, who wrote it
    at: Any = None  # a datetime, shown with |when


@dataclass
class Group:
    kind: str
    hits: list[Hit]
    total: int  # how many match in all (the page shows at most PER_KIND or MAX_RESULTS)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words to look for"), min_length=2, max_length=200)
    kind = forms.ChoiceField(
        label=_("Look in"),
        required=False,
        choices=[
            ("", _("Everything")),
            ("proposals", _("Proposals")),
            ("documents", _("Library documents")),
            ("messages", _("Messages")),
            ("people", _("People")),
            ("help", _("Help")),
        ],
    )
    mandate: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Mandate"),
        queryset=None,
        required=False,
        empty_label=_("All the mandates"),
        to_field_name="pk",
        help_text=_("Proposals, documents and messages of this mandate only."),
    )
    theme: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=None,
        required=False,
        empty_label=_("All the themes"),
        to_field_name="slug",
        help_text=_("Library documents only: only they have themes."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from assembly.models import Mandate
        from documents.models import Theme

        super().__init__(*args, **kwargs)
        mandate = self.fields["mandate"]
        theme = self.fields["theme"]
        assert isinstance(mandate, forms.ModelChoiceField)  # noqa: S101 - declared above
        assert isinstance(theme, forms.ModelChoiceField)  # noqa: S101 - declared above
        mandate.queryset = Mandate.objects.order_by("-start", "title")
        mandate.label_from_instance = lambda obj: str(obj.title)  # type: ignore[method-assign]
        theme.queryset = Theme.objects.order_by("name")


# --- Each kind ----------------------------------------------------------------------------


def _documents(
    user: Any, parsed: library.ParsedQuery, limit: int, *, mandate: Any, theme: Any
) -> Group:
    results, total = library.search(user, parsed.text, mandate=mandate, theme=theme, limit=limit)
    hits = [
        Hit(
            title=r.title_html,
            url=reverse("library_document", args=[r.document.pk]),
            excerpt=r.excerpt,
            meta=str(r.document.get_kind_display()).capitalize(),
            at=r.document.published_at or r.document.created_at,
        )
        for r in results
    ]
    return Group("documents", hits, total)


def _proposals(user: Any, parsed: library.ParsedQuery, limit: int, *, mandate: Any) -> Group:
    from deliberation.models import DraftVersion, ProposalStatus
    from deliberation.proposals import readable_proposals

    latest = DraftVersion.objects.filter(draft__proposal=OuterRef("pk")).order_by("-number")
    rows = readable_proposals(user).annotate(latest_text=Subquery(latest.values("text")[:1]))
    if mandate is not None:
        rows = rows.filter(mandate=mandate)
    found = []
    for proposal in rows.order_by("-updated_at"):
        # A version's text marks headings « ## » and list items « • » (drafts.iter_lines).
        text = _LINE_MARKS.sub("", proposal.latest_text or "")
        if library.matches(parsed, f"{proposal.title}\n{text}"):
            found.append((proposal, text))
    hits = [
        Hit(
            title=library.highlight(proposal.title, parsed),
            url=reverse("proposal", args=[proposal.pk]),
            excerpt=library.excerpt(text, parsed),
            meta=f"{ProposalStatus(proposal.status).label.capitalize()} — {proposal.subgroup.name}",
            at=proposal.updated_at,
        )
        for proposal, text in found[:limit]
    ]
    return Group("proposals", hits, len(found))


def _message_url(message: Any) -> str:
    if message.thread.is_default:
        return reverse("forums:room", args=[message.room_id]) + f"#m{message.pk}"
    return reverse("forums:thread", args=[message.thread_id]) + f"#m{message.pk}"


def _messages(user: Any, parsed: library.ParsedQuery, limit: int, *, mandate: Any) -> Group:
    from deliberation.people import label_people, person_name
    from forums.access import readable_rooms
    from forums.models import Message
    from forums.queries import direct_room_name
    from forums.sanitize import text_of_html

    rooms = readable_rooms(user)
    if mandate is not None:
        rooms = [room for room in rooms if room.mandate_id == mandate.pk]
    if not rooms:
        return Group("messages", [], 0)
    messages = Message.objects.filter(
        room__in=[room.pk for room in rooms], deleted_at__isnull=True, hidden_at__isnull=True
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        matching = messages.annotate(found=SearchVector("body", config=library.CONFIG)).filter(
            found=SearchQuery(parsed.text, config=library.CONFIG, search_type="websearch")
        )
        total = matching.count()
        page: list[Any] = list(
            matching.select_related("room", "thread", "author").order_by("-id")[:limit]
        )
    else:
        recent = messages.order_by("-id").values_list("pk", "body")[:MESSAGE_SCAN]
        ids = [pk for pk, body in recent if library.matches(parsed, body)]
        total = len(ids)
        by_id = Message.objects.select_related("room", "thread", "author").in_bulk(ids[:limit])
        page = [by_id[pk] for pk in ids[:limit]]
    label_people(message.author for message in page)
    names = {room.pk: direct_room_name(room, user) for room in rooms}
    hits = []
    for message in page:
        where = names.get(message.room_id, message.room.name)
        if not message.thread.is_default:
            where = f"{where} — {message.thread.title}"
        hits.append(
            Hit(
                title=SafeString(""),
                url=_message_url(message),
                # The text as shown (no « **gras** » markers, mentions by name), not as typed.
                excerpt=library.excerpt(text_of_html(message.body_html), parsed),
                meta=f"{where} · {person_name(message.author)}",
                at=message.created_at,
            )
        )
    return Group("messages", hits, total)


def _people(user: Any, parsed: library.ParsedQuery, limit: int) -> Group:
    """People one may write to whose shown name starts with the query's words (each word
    of the query the start of a word of the name, accents and case aside)."""
    from deliberation.people import label_people, person_name_with_role
    from forums.views import people_i_share_a_room_with

    wanted = library.words(parsed.text)[:MAX_NAME_WORDS]
    if not wanted:
        return Group("people", [], 0)
    found = []
    for person in people_i_share_a_room_with(user):
        words = library.words(person.public_name)
        if all(any(word.startswith(w) for word in words) for w in wanted):
            found.append(person)
    label_people(found[:limit])
    direct = reverse("forums:direct_new")
    hits = [
        Hit(
            title=library.highlight_prefixes(person_name_with_role(person), wanted),
            url=f"{direct}?avec={person.pk}",  # that person ticked, ready to write to
        )
        for person in found[:limit]
    ]
    return Group("people", hits, len(found))


def _help(user: Any, parsed: library.ParsedQuery, limit: int) -> Group:
    """The guides for the person's roles, then the glossary's words, that match."""
    from learning.glossary import TERMS
    from learning.guides import guides_for

    found: list[Hit] = []
    for guide in guides_for(user):
        if library.matches(parsed, guide.text):
            body = "\n".join(guide.text.split("\n")[1:])
            found.append(
                Hit(
                    title=library.highlight(guide.title, parsed),
                    url=reverse("help_guide", args=[guide.slug]),
                    excerpt=library.excerpt(body, parsed),
                    meta=str(_("Guide")),
                )
            )
    glossary = reverse("help_glossary")
    for term in TERMS:
        if library.matches(parsed, f"{term.term}\n{term.definition}"):
            found.append(
                Hit(
                    title=library.highlight(term.term, parsed),
                    url=f"{glossary}#{term.anchor}",
                    excerpt=library.excerpt(term.definition, parsed),
                    meta=str(_("Glossary")),
                )
            )
    return Group("help", found[:limit], len(found))


def search_everything(
    user: Any, query: str, *, kind: str = "", mandate: Any = None, theme: Any = None
) -> list[Group]:
    """The groups of results, in the order of ``KINDS``; only the asked kind if one is.

    A mandate leaves out people and help (they have none); a theme keeps documents only."""
    parsed = library.parse_query(query)
    if parsed.empty:
        return []
    kinds = [kind] if kind in KINDS else list(KINDS)
    if theme is not None:
        kinds = [k for k in kinds if k == "documents"]
    if mandate is not None:
        kinds = [k for k in kinds if k not in ("people", "help")]
    limit = MAX_RESULTS if len(kinds) == 1 else PER_KIND
    groups = []
    for name in kinds:
        if name == "documents":
            groups.append(_documents(user, parsed, limit, mandate=mandate, theme=theme))
        elif name == "proposals":
            groups.append(_proposals(user, parsed, limit, mandate=mandate))
        elif name == "messages":
            groups.append(_messages(user, parsed, limit, mandate=mandate))
        elif name == "help":
            groups.append(_help(user, parsed, limit))
        else:
            groups.append(_people(user, parsed, limit))
    return groups


# --- The page -----------------------------------------------------------------------------

TITLES = {
    "proposals": _("Proposals"),
    "documents": _("Library documents"),
    "messages": _("Messages"),
    "people": _("People"),
    "help": _("Help"),
}


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    groups: list[Group] = []
    if form.is_valid():
        data = form.cleaned_data
        groups = search_everything(
            request.user,
            data["q"],
            kind=data.get("kind") or "",
            mandate=data.get("mandate"),
            theme=data.get("theme"),
        )
    query = request.GET.copy()
    query.pop("kind", None)
    return render(
        request,
        "search.html",
        {
            "form": form,
            "groups": [(g, TITLES[g.kind]) for g in groups],
            "total": sum(g.total for g in groups),
            "single": len(groups) == 1,
            "empty_titles": [str(TITLES[g.kind]).lower() for g in groups if not g.total],
            "query": query.urlencode(),
        },
    )
