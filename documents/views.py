"""Library pages: browse, search, a document's page and files, proposing and moderating,
reading paths, « lu », following a mandate, comments.

Every page works without JavaScript (GET filters, plain forms that POST and redirect);
static/js/library.js only adds the live « Nouveautés » over the /ws/ socket. Documents
are loaded through ``documents.actions.access_document`` only: one that is missing or
may not be read is the same 404. Anonymous visitors may browse and read the documents
whose audience is « public »; everything else needs an account.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.roles import MODERATOR_ROLES, user_roles
from assembly.models import Mandate
from config.errors import error_text
from documents import actions
from documents.access import (
    access_document,
    access_file,
    may_contribute,
    publishes_directly,
    visible_documents,
)
from documents.forms import (
    PAGE_SIZE,
    CommentForm,
    DocumentForm,
    FilterForm,
    ReasonForm,
    SearchForm,
    VersionForm,
)
from documents.models import (
    VISIBLE_STATUSES,
    Document,
    DocumentFile,
    DocumentKind,
    DocumentStatus,
    MandateFollow,
    ReadingPath,
    ReadingPathItem,
    ReadingProgress,
    ScanStatus,
)

NEWS_SIZE = 5
COMMENTS_SHOWN = 100
INLINE_TYPES = ("audio/", "video/", "application/pdf")
SERVED_SCAN = (ScanStatus.NOT_SCANNED, ScanStatus.CLEAN)
MINE_STATUSES = (DocumentStatus.PROPOSED, DocumentStatus.DECLINED, DocumentStatus.WITHDRAWN)


def _is_person(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def with_listing(documents: QuerySet[Document], user: Any) -> QuerySet[Document]:
    """Everything a row of a list shows, in a fixed number of queries however many rows."""
    documents = documents.select_related("contributor").prefetch_related(
        Prefetch("mandates", queryset=Mandate.objects.order_by("title")),
        "themes",
        Prefetch("files", queryset=DocumentFile.objects.order_by("-version")),
    )
    if _is_person(user):
        documents = documents.annotate(
            is_read=Exists(ReadingProgress.objects.filter(user=user, document=OuterRef("pk")))
        )
    return documents


def library_text() -> dict[str, Any]:
    """The words library.js shows (JS has no gettext)."""
    return {
        "published": _("New document in the library: %(title)s"),
        "notification": "%(text)s",
        "kinds": {value: str(label) for value, label in DocumentKind.choices},
    }


# --- Browse ----------------------------------------------------------------------------------


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    """« Bibliothèque »: filters, the latest documents, my proposals, following a mandate."""
    user = request.user
    form = FilterForm(request.GET or None)
    listed = visible_documents(user).filter(status__in=VISIBLE_STATUSES)
    filtered = False
    if form.is_valid():
        data = form.cleaned_data
        if data.get("mandate"):
            listed = listed.filter(mandates=data["mandate"])
            filtered = True
        if data.get("theme"):
            listed = listed.filter(themes=data["theme"])
            filtered = True
        if data.get("kind"):
            listed = listed.filter(kind=data["kind"])
            filtered = True
        if data.get("contributor_type"):
            listed = listed.filter(contributor_type=data["contributor_type"])
            filtered = True
    # A filter on a many-to-many can repeat a row: select by id.
    ids = listed.values("pk")
    listing = with_listing(Document.objects.filter(pk__in=ids), user).order_by(
        "-published_at", "-created_at"
    )
    paginator = Paginator(listing, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    news: list[Document] = []
    if not filtered and page.number == 1:
        news = list(
            with_listing(
                visible_documents(user).filter(status=DocumentStatus.PUBLISHED), user
            ).order_by("-published_at")[:NEWS_SIZE]
        )
    mine: list[Document] = []
    follows: set[Any] = set()
    mandates: list[Mandate] = []
    if _is_person(user):
        mine = list(
            with_listing(
                Document.objects.filter(contributor=cast(Any, user), status__in=MINE_STATUSES), user
            ).order_by("-created_at")
        )
        follows = set(
            MandateFollow.objects.filter(user=cast(Any, user)).values_list("mandate_id", flat=True)
        )
        if user_roles(user):
            mandates = list(Mandate.objects.order_by("-start", "title"))
    roles = user_roles(user)
    return render(
        request,
        "documents/browse.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": filtered,
            "news": news,
            "mine": mine,
            "mandates": mandates,
            "follows": follows,
            "may_contribute": may_contribute(user),
            "moderates": bool(roles & MODERATOR_ROLES),
            "to_moderate": actions.moderation_queue(user).count() if roles & MODERATOR_ROLES else 0,
            "library_text": library_text(),
            "live": _is_person(user),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search, through ``documents.search`` (only documents one may read)."""
    form = SearchForm(request.GET or None)
    results: list[Any] = []
    total = 0
    page_number = 1
    if form.is_valid():
        from documents import search as library_search

        data = form.cleaned_data
        page_number = data.get("page") or 1
        results, total = library_search.search(
            request.user,
            data["q"],
            mandate=data.get("mandate"),
            theme=data.get("theme"),
            kind=data.get("kind") or None,
            contributor_type=data.get("contributor_type") or None,
            limit=PAGE_SIZE,
            offset=(page_number - 1) * PAGE_SIZE,
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "documents/search.html",
        {
            "form": form,
            "results": results,
            "total": total,
            "page_number": page_number,
            "has_next": page_number * PAGE_SIZE < total,
            "query": query.urlencode(),
        },
    )


# --- A document ------------------------------------------------------------------------------


def _document_context(request: HttpRequest, document: Document, **extra: Any) -> dict[str, Any]:
    user = request.user
    abilities = document.get_abilities(user)
    files = list(document.files.select_related("uploaded_by").order_by("-version"))
    current = files[0] if files else None
    is_author = _is_person(user) and document.contributor_id == user.pk
    events = []
    if abilities["moderate"] or is_author:
        events = [
            {"event": e, "label": actions.action_label(e.action)}
            for e in document.events.select_related("actor").order_by("created_at", "id")
        ]
    paths = list(ReadingPath.objects.filter(items__document=document).order_by("position", "title"))
    comments: list[Any] = []
    room = None
    if abilities["comment"]:
        from forums import queries

        room = actions.document_room(document)
        if room is not None:
            comments = queries.history(user, room, limit=COMMENTS_SHOWN)
    current_served = current is not None and current.scan_status in SERVED_SCAN
    context = {
        "document": document,
        "abilities": abilities,
        "files": files,
        "current": current,
        "current_served": current_served,
        "inline": current_served
        and current is not None
        and current.mime_type.startswith(INLINE_TYPES),
        "has_preview": current_served and current is not None and bool(current.preview_name),
        "is_author": is_author,
        "events": events,
        "paths": paths,
        "is_read": _is_person(user)
        and ReadingProgress.objects.filter(user=cast(Any, user), document=document).exists(),
        "mandates": list(document.mandates.order_by("title")),
        "themes": list(document.themes.all()),
        "comments": comments,
        "comment_room_abilities": room.get_abilities(user)
        if room is not None
        else {"read": abilities["comment"], "write": abilities["comment"], "moderate": False},
        "comment_form": CommentForm(initial={"client_id": uuid.uuid4()}),
        "decline_form": ReasonForm(),
        "version_form": VersionForm(),
    }
    context.update(extra)
    return context


@require_GET
def document(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    return render(request, "documents/document.html", _document_context(request, doc))


def _serve(
    request: HttpRequest,
    document_id: uuid.UUID,
    file_id: uuid.UUID,
    *,
    preview: bool = False,
    download: bool = True,
) -> HttpResponseBase:
    from documents import files

    doc = access_document(request.user, document_id)
    stored = access_file(request.user, doc, file_id)
    if preview and not stored.preview_name:
        raise Http404
    return files.serve_file(request, stored, preview=preview, download=download)


@require_GET
def download(
    request: HttpRequest, document_id: uuid.UUID, file_id: uuid.UUID
) -> HttpResponseBase:
    return _serve(request, document_id, file_id)


@require_GET
def preview(
    request: HttpRequest, document_id: uuid.UUID, file_id: uuid.UUID
) -> HttpResponseBase:
    return _serve(request, document_id, file_id, preview=True, download=False)


@require_GET
def inline(
    request: HttpRequest, document_id: uuid.UUID, file_id: uuid.UUID
) -> HttpResponseBase:
    return _serve(request, document_id, file_id, download=False)


# --- Proposing and editing -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def propose(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    if not may_contribute(user):
        raise PermissionDenied(_("You cannot add documents to the library."))
    audiences = actions.allowed_audiences(user)
    data = request.POST if request.method == "POST" else None
    form = DocumentForm(
        data,
        request.FILES or None,
        audiences=audiences,
        initial={"audience": audiences[0] if audiences else None, "kind": DocumentKind.FILE},
    )
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        try:
            doc = actions.do_propose_document(
                user,
                kind=cleaned["kind"],
                title=cleaned["title"],
                summary=cleaned["summary"],
                url=cleaned["url"],
                body=cleaned["body"],
                upload=cleaned.get("file"),
                mandates=cleaned["mandates"],
                themes=cleaned["themes"],
                audience=cleaned["audience"],
                note=cleaned["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            if doc.status == DocumentStatus.PUBLISHED:
                messages.success(request, _("Your document is published."))
            else:
                messages.success(
                    request,
                    _(
                        "Thank you! Your document will be published once "
                        "a moderator has looked at it."
                    ),
                )
            return redirect("library_document", doc.pk)
    return render(
        request,
        "documents/propose.html",
        {
            "form": form,
            "publishes_directly": bool(user_roles(user) & MODERATOR_ROLES)
            or publishes_directly(user),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    if not doc.get_abilities(request.user)["edit"]:
        raise PermissionDenied(_("You cannot change this document."))
    audiences = actions.allowed_audiences(request.user)
    if doc.audience not in audiences:
        audiences = [doc.audience, *audiences]
    initial = {
        "title": doc.title,
        "summary": doc.summary,
        "url": doc.url,
        "body": doc.body,
        "mandates": list(doc.mandates.all()),
        "themes": list(doc.themes.all()),
        "audience": doc.audience,
    }
    data = request.POST if request.method == "POST" else None
    form = DocumentForm(data, audiences=audiences, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        try:
            doc = actions.do_edit_document(
                request.user,
                doc,
                title=cleaned["title"],
                summary=cleaned["summary"],
                url=cleaned["url"],
                body=cleaned["body"],
                mandates=cleaned["mandates"],
                themes=cleaned["themes"],
                audience=cleaned["audience"],
                note=cleaned["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            if doc.status == DocumentStatus.PROPOSED:
                messages.success(
                    request,
                    _(
                        "Your changes are saved. A moderator will look at "
                        "them before the document is published again."
                    ),
                )
            else:
                messages.success(request, _("Your changes are saved."))
            return redirect("library_document", doc.pk)
    return render(
        request,
        "documents/edit.html",
        {"form": form, "document": doc},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def new_version(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    form = VersionForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "documents/document.html",
            _document_context(request, doc, version_form=form),
            status=400,
        )
    try:
        actions.do_add_file_version(
            request.user, doc, upload=form.cleaned_data["file"], note=form.cleaned_data["note"]
        )
    except PermissionDenied:
        raise
    except ValidationError as error:
        form.add_error("file", error_text(error))
        return render(
            request,
            "documents/document.html",
            _document_context(request, doc, version_form=form),
            status=400,
        )
    messages.success(request, _("The new version of the file is saved."))
    return redirect("library_document", doc.pk)


@login_required
@require_POST
def withdraw(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    actions.do_withdraw_document(request.user, doc)
    messages.success(
        request, _("Your document is withdrawn: only you and the moderators can still see it.")
    )
    return redirect("library_document", doc.pk)


# --- Moderation ------------------------------------------------------------------------------


@login_required
@require_GET
def moderation(request: AuthenticatedRequest) -> HttpResponse:
    if not user_roles(request.user) & MODERATOR_ROLES:
        raise PermissionDenied(_("Only the moderators of the library can see this page."))
    queue = with_listing(actions.moderation_queue(request.user), request.user).order_by(
        "created_at"
    )
    return render(
        request,
        "documents/moderation.html",
        {
            "queue": list(queue),
            "decline_form": ReasonForm(),
        },
    )


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def publish(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    try:
        actions.do_publish_document(request.user, doc)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The document is published."))
    return redirect(_back(request, reverse("library_document", args=[doc.pk])))


@login_required
@require_POST
def decline(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    if not doc.get_abilities(request.user)["decline"]:
        raise PermissionDenied(_("Only the moderators can decline a document."))
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            actions.do_decline_document(request.user, doc, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason", error_text(error))
        else:
            messages.success(request, _("The document is declined; its author is told why."))
            return redirect(_back(request, reverse("library_document", args=[doc.pk])))
    return render(
        request,
        "documents/document.html",
        _document_context(request, doc, decline_form=form),
        status=400,
    )


@login_required
@require_POST
def archive(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    actions.do_archive_document(request.user, doc)
    messages.success(request, _("The document is archived."))
    return redirect("library_document", doc.pk)


# --- Reading, following, commenting ----------------------------------------------------------


@login_required
@require_POST
def mark_read(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    read = request.POST.get("read", "1") != "0"
    actions.do_mark_read(request.user, doc, read=read)
    return redirect(_back(request, reverse("library_document", args=[doc.pk])))


@login_required
@require_POST
def follow(request: AuthenticatedRequest, mandate_id: uuid.UUID) -> HttpResponse:
    mandate = get_object_or_404(Mandate, pk=mandate_id)
    on = request.POST.get("follow", "1") != "0"
    actions.do_follow_mandate(request.user, mandate, follow=on)
    if on:
        messages.success(
            request,
            _("You will be told of every new document for « %(title)s ».")
            % {"title": mandate.title},
        )
    else:
        messages.success(
            request, _("You no longer follow « %(title)s ».") % {"title": mandate.title}
        )
    return redirect(_back(request, reverse("library")))


@login_required
@require_POST
def comment(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    doc = access_document(request.user, document_id)
    if not doc.get_abilities(request.user)["comment"]:
        raise PermissionDenied(_("You cannot comment on this document."))
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Your comment is empty or too long."))
    else:
        try:
            actions.do_comment_document(
                request.user,
                doc,
                body=form.cleaned_data["body"],
                client_id=form.cleaned_data["client_id"],
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
    return redirect(reverse("library_document", args=[doc.pk]) + "#commentaires")


# --- Reading paths ---------------------------------------------------------------------------


def _readable_ids(user: Any) -> set[Any]:
    return set(
        visible_documents(user).filter(status__in=VISIBLE_STATUSES).values_list("pk", flat=True)
    )


def _read_ids(user: Any) -> set[Any]:
    return set(ReadingProgress.objects.filter(user=user).values_list("document_id", flat=True))


def path_progress(user: Any) -> list[dict[str, Any]]:
    """Every reading path with the documents this person may read in it and how many they
    read — in four queries however many paths and documents."""
    readable, read = _readable_ids(user), _read_ids(user)
    paths = ReadingPath.objects.prefetch_related(
        Prefetch("items", queryset=ReadingPathItem.objects.order_by("position", "id"))
    ).order_by("position", "title")
    rows = []
    for path in paths:
        ids = [item.document_id for item in path.items.all() if item.document_id in readable]
        if not ids:
            continue
        done = sum(1 for pk in ids if pk in read)
        rows.append({"path": path, "total": len(ids), "done": done})
    return rows


@login_required
@require_GET
def paths(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "documents/paths.html", {"rows": path_progress(request.user)})


@login_required
@require_GET
def path(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    reading_path = get_object_or_404(ReadingPath, slug=slug)
    readable, read = _readable_ids(request.user), _read_ids(request.user)
    items = (
        reading_path.items.filter(document_id__in=readable)
        .select_related("document")
        .order_by("position", "id")
    )
    steps = [{"document": item.document, "read": item.document_id in read} for item in items]
    if not steps:
        raise Http404
    done = sum(1 for step in steps if step["read"])
    return render(
        request,
        "documents/path.html",
        {
            "path": reading_path,
            "steps": steps,
            "done": done,
            "total": len(steps),
        },
    )
