"""The practice space's pages (learning/sandbox.py): its home, its draft, its reset, and the
shared training room."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedRequest
from accounts.roles import Role, has_role
from learning import sandbox


@login_required
@require_GET
def sandbox_home(request: AuthenticatedRequest) -> HttpResponse:
    """The person's practice room, draft and wall, created on their first visit."""
    space = sandbox.practice_space(request.user)
    return render(
        request,
        "learning/sandbox/index.html",
        {
            "space": space,
            "room_url": reverse("forums:room", args=[space.room_id]),
            "wall_url": reverse("workshops:wall", args=[space.wall_id]),
            "draft_url": reverse("learning:sandbox_draft"),
            "can_reset_training_room": has_role(request.user, Role.DCCU),
        },
    )


@login_required
@require_GET
def sandbox_draft(request: AuthenticatedRequest) -> HttpResponse:
    """The practice draft, in the drafts' editor (its socket refuses anyone but its owner)."""
    from deliberation.proposals import writer_identity
    from deliberation.render import doc_html
    from workshops import ydocs

    space = sandbox.practice_space(request.user)
    return render(
        request,
        "learning/sandbox/draft.html",
        {
            "space": space,
            "identity": writer_identity(request.user),
            "content": doc_html(ydocs.load(space.draft_id, sandbox.ROOTS).doc),
            "ws_path": f"/ws/{sandbox.PATH}",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_reset(request: AuthenticatedRequest) -> HttpResponse:
    """« Tout effacer et recommencer »: asks first (GET), then deletes and recreates (POST)."""
    if request.method == "POST":
        with transaction.atomic():
            sandbox.do_reset_practice_space(request.user)
        messages.success(request, _("Everything is wiped: your practice space is new."))
        return redirect("learning:sandbox")
    return render(
        request,
        "learning/sandbox/confirm.html",
        {
            "title": _("Wipe everything and start again?"),
            "explanation": _(
                "Your practice messages and files, your practice draft and your practice "
                "wall will be deleted for good, and replaced by empty ones."
            ),
            "action": reverse("learning:sandbox_reset"),
            "button": _("Wipe everything and start again"),
        },
    )


@login_required
@require_GET
def training_room(request: AuthenticatedRequest) -> HttpResponse:
    """The shared « salle d'entraînement », where anyone logged in may try chatting."""
    return redirect("forums:room", sandbox.training_room().pk)


@login_required
@require_http_methods(["GET", "POST"])
def training_room_reset(request: AuthenticatedRequest) -> HttpResponse:
    """The DCCU empties the shared training room (asks first)."""
    if not has_role(request.user, Role.DCCU):
        raise PermissionDenied
    if request.method == "POST":
        sandbox.do_reset_training_room(request.user)
        messages.success(request, _("The training room is empty."))
        return redirect("learning:sandbox")
    return render(
        request,
        "learning/sandbox/confirm.html",
        {
            "title": _("Empty the training room?"),
            "explanation": _(
                "Every message and file written in the shared training room, by everyone, "
                "will be deleted for good."
            ),
            "action": reverse("learning:training_room_reset"),
            "button": _("Empty the training room"),
        },
    )
