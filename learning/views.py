"""The help centre: the guides for one's roles, each guide, its printable PDF, the glossary."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.http import AuthenticatedRequest
from accounts.roles import ASSEMBLY_ROLES, MODERATOR_ROLES, Role, user_roles
from learning import guides as registry
from learning.glossary import TERMS
from learning.pdf import cheatsheet_pdf, guide_pdf


def _guide_or_404(slug: str) -> registry.Guide:
    guide = registry.get_guide(slug)
    if guide is None:
        raise Http404
    return guide


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
@login_required
def help_index(request: AuthenticatedRequest) -> HttpResponse:
    """The guides for the person's roles, then what each part of the platform is for."""
    roles = user_roles(request.user)
    return render(
        request,
        "learning/help.html",
        {
            "guides": registry.guides_for(request.user),
            "reads_assembly": bool(roles & ASSEMBLY_ROLES),
            "moderates": bool(roles & MODERATOR_ROLES),
            "is_dccu": Role.DCCU in roles,
            "is_dpd": Role.DPD in roles,
        },
    )


@require_safe
@login_required
def guide(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    """Any guide, for anyone logged in: the training sessions show them all."""
    return render(request, "learning/guide.html", {"guide": _guide_or_404(slug)})


@require_safe
@login_required
def guide_print(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    found = _guide_or_404(slug)
    return _pdf(guide_pdf(found), f"agora-pas-a-pas-{found.slug}.pdf")


@require_safe
@login_required
def cheatsheet(request: AuthenticatedRequest) -> HttpResponse:
    """The one-page reminder of the guides for the person's roles."""
    return _pdf(cheatsheet_pdf(registry.guides_for(request.user)), "agora-aide-memoire.pdf")


@require_safe
@login_required
def glossary(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "learning/glossary.html", {"terms": TERMS})
