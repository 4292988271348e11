"""Pages of the follow-up of adopted proposals (thin: deliberation.followup does the work).

Someone who may not read the follow-up gets 404 on every page with an id (as a missing
one); a reader without the ability to act gets 403."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from assembly.models import Assembly
from deliberation import followup, followup_report
from deliberation.models import AnswerDecision, MilestoneStatus, Proposal
from deliberation.views_export import download


def _error(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _agent_or_none(value: str) -> User | None:
    if not value:
        return None
    try:
        return followup.agents().get(pk=int(value))
    except (ValueError, User.DoesNotExist) as exc:
        raise ValidationError(_("Choose an agent of the Département.")) from exc


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@login_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    abilities = followup.followup_rights(request.user)
    if not abilities["read"]:
        raise PermissionDenied
    assembly = Assembly.current()
    return render(request, "deliberation/followup/index.html", {
        "groups": followup.progress(with_details=False),
        "abilities": abilities,
        "public_enabled": followup.public_enabled(assembly),
        "assembly": assembly,
    })


@login_required
@require_GET
def proposal(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    item = followup.access_followed_proposal(request.user, proposal_id)
    today = timezone.localdate()
    details = next(
        (p for group in followup.progress(today) for p in group.proposals
         if p.proposal.pk == item.pk),
        None,
    )
    return render(request, "deliberation/followup/proposal.html", {
        "proposal": item,
        "answer": followup.answer_of(item),
        "details": details,
        "abilities": followup.followup_rights(request.user),
        "decisions": AnswerDecision.choices,
        "milestone_statuses": MilestoneStatus.choices,
        "agents": followup.agents(),
        "events": item.followup_events.select_related("actor")[:50],
        "today": today,
    })


def _back(proposal: Proposal, anchor: str = "") -> HttpResponse:
    response = redirect("followup_proposal", proposal.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@login_required
@require_POST
def answer(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    item = followup.access_followed_proposal(request.user, proposal_id)
    followup.require_ability(request.user, "answer")
    try:
        followup.do_answer_proposal(request.user, item, decision=request.POST.get("decision", ""),
                                    reasons=request.POST.get("reasons", ""))
        messages.success(request, _("The answer of the Département is recorded."))
    except ValidationError as error:
        _error(request, error)
    return _back(item, "answer")


@login_required
@require_POST
def commitment_add(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    item = followup.access_followed_proposal(request.user, proposal_id)
    followup.require_ability(request.user, "answer")
    try:
        followup.do_add_commitment(
            request.user, item, title=request.POST.get("title", ""),
            service=request.POST.get("service", ""),
            owner=_agent_or_none(request.POST.get("owner", "")),
        )
        messages.success(request, _("The commitment is added."))
    except ValidationError as error:
        _error(request, error)
    return _back(item, "commitments")


@login_required
@require_POST
def milestone_add(request: AuthenticatedRequest, commitment_id: uuid.UUID) -> HttpResponse:
    commitment = followup.access_commitment(request.user, commitment_id)
    followup.require_ability(request.user, "answer")
    try:
        followup.do_add_milestone(request.user, commitment, title=request.POST.get("title", ""),
                                  due_date=request.POST.get("due_date", ""))
        messages.success(request, _("The milestone is added."))
    except ValidationError as error:
        _error(request, error)
    return _back(commitment.proposal, f"c-{commitment.pk}")


@login_required
@require_POST
def milestone_status(request: AuthenticatedRequest, milestone_id: uuid.UUID) -> HttpResponse:
    milestone = followup.access_milestone(request.user, milestone_id)
    followup.require_ability(request.user, "answer")
    try:
        followup.do_set_milestone_status(request.user, milestone,
                                         status=request.POST.get("status", ""))
        messages.success(request, _("The milestone's status is changed."))
    except ValidationError as error:
        _error(request, error)
    return _back(milestone.commitment.proposal, f"c-{milestone.commitment_id}")


@login_required
@require_POST
def update_add(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    item = followup.access_followed_proposal(request.user, proposal_id)
    followup.require_ability(request.user, "post_update")
    commitment = None
    commitment_id = _uuid(request.POST.get("commitment", ""))
    if commitment_id is not None:
        commitment = item.commitments.filter(pk=commitment_id).first()
    try:
        followup.do_post_update(request.user, item, body=request.POST.get("body", ""),
                                uploads=request.FILES.getlist("files"), commitment=commitment)
        messages.success(request, _("The progress update is published."))
    except ValidationError as error:
        _error(request, error)
    return _back(item, "updates")


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@login_required
@require_GET
def attachment(request: AuthenticatedRequest, attachment_id: uuid.UUID) -> FileResponse:
    """A file of a progress update, always a download (checked on the way in)."""
    item = followup.access_attachment(request.user, attachment_id)
    try:
        fh = item.file.open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(fh, as_attachment=True, filename=item.name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def question_ask(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    item = followup.access_followed_proposal(request.user, proposal_id)
    followup.require_ability(request.user, "ask")
    try:
        followup.do_ask_question(
            request.user, item, body=request.POST.get("body", ""),
            service=request.POST.get("service", ""),
            addressee=_agent_or_none(request.POST.get("addressee", "")),
            base_url=_base_url(request),
        )
        messages.success(request, _("Your question is sent to the service."))
    except ValidationError as error:
        _error(request, error)
    return _back(item, "questions")


@login_required
@require_POST
def question_answer(request: AuthenticatedRequest, question_id: uuid.UUID) -> HttpResponse:
    question = followup.access_question(request.user, question_id)
    followup.require_ability(request.user, "answer_question")
    try:
        followup.do_answer_question(request.user, question,
                                    answer=request.POST.get("answer", ""),
                                    base_url=_base_url(request))
        messages.success(request, _("Your answer is published."))
    except ValidationError as error:
        _error(request, error)
    return _back(question.proposal, f"q-{question.pk}")


@login_required
@require_GET
def committee(request: AuthenticatedRequest) -> HttpResponse:
    """The committee's space: every question, unanswered first."""
    abilities = followup.followup_rights(request.user)
    if not abilities["committee"]:
        raise PermissionDenied
    from deliberation.models import CommitteeQuestion

    questions = CommitteeQuestion.objects.select_related(
        "proposal", "author", "addressee", "answered_by"
    ).order_by("answered_at", "-created_at")
    return render(request, "deliberation/followup/committee.html", {
        "questions": questions, "abilities": abilities,
        "proposals": followup.followed_proposals(),
    })


@login_required
@require_GET
def report(request: AuthenticatedRequest) -> HttpResponse:
    abilities = followup.followup_rights(request.user)
    if not abilities["read"]:
        raise PermissionDenied
    return render(request, "deliberation/followup/report.html",
                  followup_report.report_context() | {"abilities": abilities})


@login_required
@require_GET
def report_docx(request: AuthenticatedRequest) -> HttpResponse:
    if not followup.followup_rights(request.user)["read"]:
        raise PermissionDenied
    today = timezone.localdate()
    return download(followup_report.report_docx(today), "application/vnd.openxmlformats-"
                    "officedocument.wordprocessingml.document",
                    _("Follow-up état des lieux %(date)s") % {"date": today.isoformat()}, ".docx")


@login_required
@require_POST
def publication(request: AuthenticatedRequest) -> HttpResponse:
    if not followup.followup_rights(request.user)["publish"]:
        raise PermissionDenied
    assembly = Assembly.current()
    if assembly is None:
        raise Http404
    enabled = request.POST.get("enabled") == "1"
    followup.do_set_public(request.user, assembly, enabled=enabled)
    messages.success(request, _("The public page is on.") if enabled
                     else _("The public page is off."))
    return redirect("followup")


@require_GET
@cache_control(public=True, max_age=60)
def public(request: HttpRequest) -> HttpResponse:
    """The public follow-up: proposals, answers, commitments (services), milestones and
    progress — no person's name. 404 while the DCCU has not turned it on."""
    assembly = Assembly.current()
    if not followup.public_enabled(assembly):
        raise Http404
    context: dict[str, Any] = followup_report.report_context()
    context["assembly"] = assembly
    return render(request, "deliberation/followup/public.html", context)
