"""Downloads of a proposal (.docx, HTML) and of the mandate's report (.docx).

Who may read a proposal may download it; a proposal or mandate someone may not read
answers 404, as one that does not exist."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from accounts.roles import ASSEMBLY_ROLES, MEMBER_ROLES, user_roles
from assembly.models import Mandate, Membership, Subgroup
from deliberation import export
from deliberation.proposals import access_proposal


def mandate_report_allowed(user: Any, mandate: Mandate) -> bool:
    """Who reads the proposals may read the report: a member or facilitator of one of
    the mandate's subgroups; staff who read proposals (facilitators, agents, DCCU,
    follow-up committee); members and substitutes of the mandate's own assembly."""
    roles = user_roles(user)
    if not roles:
        return False
    if Subgroup.objects.filter(
        Q(members=user) | Q(facilitators=user), mandate=mandate
    ).exists():
        return True
    if roles & (ASSEMBLY_ROLES - MEMBER_ROLES):
        return True
    if roles & MEMBER_ROLES:
        return Membership.objects.current().filter(
            user=user, seat__assembly_id=mandate.assembly_id
        ).exists()
    return False


def access_mandate_report(user: Any, mandate_id: uuid.UUID) -> Mandate:
    mandate = Mandate.objects.select_related("assembly").filter(pk=mandate_id).first()
    if mandate is None or not mandate_report_allowed(user, mandate):
        raise Http404
    return mandate


def download(content: bytes | str, content_type: str, name: str, extension: str) -> HttpResponse:
    """A file to save, never to show in the site: ASCII name plus the UTF-8 one (RFC 6266)."""
    ascii_name = (slugify(name)[:80].strip("-") or "document") + extension
    full_name = "".join(c for c in name if c.isprintable() and c not in '/\\"')[:120].strip()
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote((full_name or 'document') + extension, safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Opened by mistake in the browser, the HTML file may style itself and nothing more.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@login_required
@require_GET
def proposal_export_docx(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    return download(export.proposal_docx(proposal), export.DOCX_MIME, proposal.title, ".docx")


@login_required
@require_GET
def proposal_export_html(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    return download(
        export.proposal_html(proposal), "text/html; charset=utf-8", proposal.title, ".html"
    )


@login_required
@require_GET
def mandate_report_docx(request: AuthenticatedRequest, mandate_id: uuid.UUID) -> HttpResponse:
    mandate = access_mandate_report(request.user, mandate_id)
    name = f"{export.assembly_name(mandate)} - {mandate.title}"
    return download(export.mandate_report_docx(mandate), export.DOCX_MIME, name, ".docx")

