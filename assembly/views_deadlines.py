"""The « Échéances » pages: the dashboard of the documents due for the sessions, and each
document's co-writing page (deliver, reopen, export to Word)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.roles import Role, has_role
from assembly import deadlines, sessiondocs


def _status_labels() -> dict[str, str]:
    return {
        deadlines.UPCOMING: _("upcoming"),
        deadlines.LATE: _("late"),
        deadlines.DELIVERED: _("delivered"),
        deadlines.DELIVERED_LATE: _("delivered late"),
    }


@login_required
def deadline_list(request: AuthenticatedRequest) -> HttpResponse:
    """The DCCU sees every document due; a facilitator, those of their sessions."""
    if not (has_role(request.user, Role.DCCU) or has_role(request.user, Role.FACILITATEUR)):
        raise PermissionDenied
    status = request.GET.get("statut", "")
    if status not in deadlines.STATUSES:
        status = ""
    labels = _status_labels()
    rows = sessiondocs.dashboard_rows(request.user, status)
    return render(
        request,
        "assembly/deadlines/list.html",
        {
            "rows": [(row, labels[row.status]) for row in rows],
            "status": status,
            "statuses": list(labels.items()),
            "everyone": has_role(request.user, Role.DCCU),
        },
    )


@login_required
def deadline_document(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    from deliberation.proposals import writer_identity
    from deliberation.render import doc_html
    from workshops import ydocs

    document = sessiondocs.access_session_document(request.user, document_id)
    abilities = document.get_abilities(request.user)
    status = sessiondocs.status_of(document)
    content = doc_html(ydocs.load(document.pk, sessiondocs.ROOTS).doc)
    context: dict[str, Any] = {
        "document": document,
        "session": document.session,
        "abilities": abilities,
        "status": status,
        "status_label": _status_labels()[status],
        "identity": writer_identity(request.user),
        "content": content,
        "ws_path": f"/ws/{sessiondocs.PATH}",
    }
    return render(request, "assembly/deadlines/document.html", context)


@require_POST
@login_required
def deadline_deliver(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    document = sessiondocs.access_session_document(request.user, document_id)
    try:
        sessiondocs.do_deliver_session_document(request.user, document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The document is delivered: its text is kept as it is."))
    return redirect("deadlines:document", document.pk)


@require_POST
@login_required
def deadline_reopen(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    document = sessiondocs.access_session_document(request.user, document_id)
    if not has_role(request.user, Role.DCCU):
        raise PermissionDenied
    try:
        sessiondocs.do_reopen_session_document(request.user, document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The document is open again for its writers."))
    return redirect("deadlines:document", document.pk)


@login_required
def deadline_export(request: AuthenticatedRequest, document_id: uuid.UUID) -> HttpResponse:
    from deliberation.session_document_export import DOCX_MIME, session_document_docx

    document = sessiondocs.access_session_document(request.user, document_id)
    if not document.get_abilities(request.user)["export"]:
        raise Http404
    name = slugify(f"{document.get_kind_display()} {document.session.title}")[:80] or "document"
    response = HttpResponse(session_document_docx(document), content_type=DOCX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{name}.docx"'
    return response
