"""The plenary's pages: votes (list, preparation, ballot, live count, results, projection),
minority views, amendments and the show-of-hands decision.

Every page works without JavaScript; ``static/js/votes.js`` adds the live count and the
result pushed when the vote closes. Votes and amendments are loaded through
``access_vote`` and ``access_amendment`` only (404 for what one may not read).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from assembly.models import Mandate
from config.errors import error_text
from decisions import counting
from decisions.actions import (
    access_vote,
    do_cast_ballot,
    do_close_vote,
    do_create_vote,
    do_open_vote,
    do_record_show_of_hands,
    do_write_minority_view,
    may_manage,
    may_write_minority_view,
    present,
    readable_votes,
    rules_text,
)
from decisions.amendments import (
    access_amendment,
    do_answer_amendment,
    do_contest_amendment,
    do_file_amendment,
    do_put_amendment_to_vote,
    may_file,
)
from decisions.models import (
    Amendment,
    AmendmentKind,
    MinorityView,
    Participation,
    VoteMethod,
    VoteStatus,
)
from deliberation.models import ProposalStatus
from deliberation.proposals import access_proposal, readable_proposals


def _ballot_from_post(vote: Any, post: Any) -> dict[str, Any]:
    """The form's fields as the ballot ``clean_ballot`` reads."""
    if vote.method == VoteMethod.APPROVAL:
        return {"approved": post.getlist("approved")}
    if vote.method == VoteMethod.JUDGMENT:
        return {
            "grades": {
                key[len("grade-") :]: value
                for key, value in post.items()
                if key.startswith("grade-")
            }
        }
    return {"choice": post.get("choice", "")}


@login_required
@require_GET
def votes(request: AuthenticatedRequest) -> HttpResponse:
    """« Votes de la plénière »: open first, then being prepared, then closed."""
    rows = list(readable_votes(request.user).order_by("-created_at")[:200])
    groups = [
        (_("Open now"), [v for v in rows if v.status == VoteStatus.OPEN]),
        (_("Being prepared"), [v for v in rows if v.status == VoteStatus.PREPARED]),
        (_("Closed"), [v for v in rows if v.status == VoteStatus.CLOSED]),
    ]
    return render(
        request,
        "decisions/votes.html",
        {
            "groups": groups,
            "may_manage": may_manage(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def vote_create(request: AuthenticatedRequest) -> HttpResponse:
    if not may_manage(request.user):
        raise PermissionDenied(_("Only facilitators and the DCCU prepare the plenary's votes."))
    mandates = list(Mandate.objects.order_by("-start"))
    proposals = list(readable_proposals(request.user).filter(status=ProposalStatus.SUBMITTED))
    form: dict[str, Any] = {
        "question": "",
        "method": VoteMethod.MAJORITY,
        "options": "",
        "secret": True,
        "present_only": False,
        "mandate": str(mandates[0].pk) if mandates else "",
        "proposal": request.GET.get("proposition", ""),
    }
    error = ""
    if request.method == "POST":
        post = request.POST
        form.update(
            {
                key: post.get(key, "")
                for key in ("question", "method", "options", "mandate", "proposal")
            }
        )
        form["secret"] = post.get("secret") == "1"
        form["present_only"] = post.get("present_only") == "1"
        mandate = next((m for m in mandates if str(m.pk) == form["mandate"]), None)
        proposal = next((p for p in proposals if str(p.pk) == form["proposal"]), None)
        try:
            if mandate is None and proposal is None:
                raise ValidationError(_("Choose the mandate."))
            vote = do_create_vote(
                request.user,
                proposal.mandate if proposal else mandate,
                form["question"],
                form["method"],
                options=form["options"].splitlines(),
                secret=form["secret"],
                present_only=form["present_only"],
                proposal=proposal,
            )
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(request, _("The vote is ready: open it when the plenary is."))
            return redirect("decisions:vote", vote.pk)
    return render(
        request,
        "decisions/vote_create.html",
        {
            "form": form,
            "error": error,
            "mandates": mandates,
            "proposals": proposals,
            "methods": VoteMethod.choices,
        },
        status=400 if error else 200,
    )


def _vote_context(request: AuthenticatedRequest, vote: Any) -> dict[str, Any]:
    abilities = vote.get_abilities(request.user)
    voted = Participation.objects.filter(vote=vote, user=request.user).exists()
    return {
        "vote": vote,
        "abilities": abilities,
        "options": list(vote.options.all()),
        "grades": counting.GRADES,
        "voted_count": Participation.objects.filter(vote=vote).count(),
        "has_voted": voted,
        "rules": rules_text(vote),
        "result": present(vote),
        "may_write_view": may_write_minority_view(request.user, vote),
        "my_view": MinorityView.objects.filter(vote=vote, author=request.user).first(),
        "views": list(MinorityView.objects.filter(vote=vote).select_related("author")),
    }


@login_required
@require_GET
def vote(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    vote = access_vote(request.user, vote_id)
    return render(request, "decisions/vote.html", _vote_context(request, vote))


@login_required
@require_POST
def vote_cast(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    vote = access_vote(request.user, vote_id)
    try:
        do_cast_ballot(request.user, vote, _ballot_from_post(vote, request.POST))
    except ValidationError as exc:
        if exc.error_list[0].code == "already_voted":
            messages.info(request, error_text(exc))
            return redirect("decisions:vote", vote.pk)
        context = _vote_context(request, vote) | {"error": error_text(exc)}
        return render(request, "decisions/vote.html", context, status=400)
    messages.success(request, _("Your vote is recorded. Thank you!"))
    return redirect("decisions:vote", vote.pk)


@login_required
@require_POST
def vote_open(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    vote = access_vote(request.user, vote_id)
    try:
        do_open_vote(request.user, vote)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The vote is open."))
    return redirect("decisions:vote", vote.pk)


@login_required
@require_POST
def vote_close(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    vote = access_vote(request.user, vote_id)
    try:
        do_close_vote(request.user, vote)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The vote is closed and counted."))
    return redirect("decisions:vote_results", vote.pk)


@login_required
@require_GET
def vote_results(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    """The result (after closing only; before, the page says when it will be shown)."""
    vote = access_vote(request.user, vote_id)
    return render(request, "decisions/results.html", _vote_context(request, vote))


@login_required
@require_GET
def vote_projection(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    """The room's screen: the question, the live count, then the result."""
    vote = access_vote(request.user, vote_id)
    if not vote.get_abilities(request.user)["manage"]:
        raise PermissionDenied(_("Only facilitators and the DCCU project the plenary's votes."))
    return render(request, "decisions/projection.html", _vote_context(request, vote))


@login_required
@require_POST
def vote_minority_view(request: AuthenticatedRequest, vote_id: uuid.UUID) -> HttpResponse:
    vote = access_vote(request.user, vote_id)
    try:
        do_write_minority_view(request.user, vote, request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Your minority view is recorded; it will be in the report."))
    return redirect("decisions:vote", vote.pk)


# --- Amendments ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def amendments(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    form = {"kind": AmendmentKind.REPLACE, "quote": "", "text": "", "rationale": ""}
    error = ""
    if request.method == "POST":
        form.update({key: request.POST.get(key, "") for key in form})
        try:
            amendment = do_file_amendment(
                request.user, proposal, form["kind"], form["quote"], form["text"], form["rationale"]
            )
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(
                request,
                _("Your amendment no. %(number)d is filed; the subgroup will answer it.")
                % {"number": amendment.number},
            )
            return redirect("decisions:amendments", proposal.pk)
    rows = list(
        Amendment.objects.filter(proposal=proposal)
        .select_related("author", "answered_by")
        .order_by("number")
    )
    return render(
        request,
        "decisions/amendments.html",
        {
            "proposal": proposal,
            "amendments": rows,
            "may_file": may_file(request.user, proposal),
            "form": form,
            "error": error,
            "kinds": AmendmentKind.choices,
            "abilities": proposal.get_abilities(request.user),
            "may_manage": may_manage(request.user),
            "votes": list(proposal.votes.order_by("-created_at")),
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def amendment(request: AuthenticatedRequest, amendment_id: uuid.UUID) -> HttpResponse:
    amendment = access_amendment(request.user, amendment_id)
    return render(
        request,
        "decisions/amendment.html",
        {
            "amendment": amendment,
            "abilities": amendment.get_abilities(request.user),
            "may_manage": may_manage(request.user),
            "vote": getattr(amendment, "vote", None),
        },
    )


@login_required
@require_POST
def amendment_answer(request: AuthenticatedRequest, amendment_id: uuid.UUID) -> HttpResponse:
    amendment = access_amendment(request.user, amendment_id)
    try:
        do_answer_amendment(
            request.user,
            amendment,
            request.POST.get("decision", ""),
            request.POST.get("answer", ""),
            request.POST.get("merged_text", ""),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The answer is recorded."))
    return redirect("decisions:amendment", amendment.pk)


@login_required
@require_POST
def amendment_contest(request: AuthenticatedRequest, amendment_id: uuid.UUID) -> HttpResponse:
    amendment = access_amendment(request.user, amendment_id)
    do_contest_amendment(request.user, amendment)
    messages.success(request, _("You maintain your amendment: the plenary will vote on it."))
    return redirect("decisions:amendment", amendment.pk)


@login_required
@require_POST
def amendment_vote(request: AuthenticatedRequest, amendment_id: uuid.UUID) -> HttpResponse:
    amendment = access_amendment(request.user, amendment_id)
    try:
        vote = do_put_amendment_to_vote(
            request.user, amendment, secret=request.POST.get("secret") == "1"
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("decisions:amendment", amendment.pk)
    return redirect("decisions:vote", vote.pk)


@login_required
@require_POST
def show_of_hands(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)

    def number(name: str) -> int | None:
        value = request.POST.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValidationError(_("The counts must be whole numbers."))
        return int(value)

    try:
        do_record_show_of_hands(
            request.user,
            proposal,
            request.POST.get("decision") == "adoptee",
            pour=number("pour"),
            contre=number("contre"),
            abstention=number("abstention"),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The decision taken by a show of hands is recorded."))
    return redirect("decisions:amendments", proposal.pk)
