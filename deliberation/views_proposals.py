"""Proposals pages: the list, the draft page with its editor, projection, versions and diff,
the workflow and freeze buttons, and the comments' JSON endpoints.

Every page works without JavaScript (the draft's content is rendered here, read only;
plain forms POST and redirect with a message). Proposals are loaded through
``access_proposal`` only: one that is missing or may not be read is a 404, the same answer.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.roles import Role, user_roles
from assembly.models import Subgroup
from config.errors import error_text
from deliberation import drafts
from deliberation.editor_text import editor_text
from deliberation.followup import followup_rights
from deliberation.models import DraftComment, DraftVersion, Proposal, ProposalStatus
from deliberation.people import label_people, person_name_with_role
from deliberation.proposals import (
    MAX_TITLE,
    access_proposal,
    do_comment,
    do_create_proposal,
    do_freeze,
    do_named_version,
    do_rename_proposal,
    do_resolve,
    do_restore_version,
    do_transition,
    frozen_note,
    may_create_in,
    may_rename,
    readable_proposals,
    writer_identity,
)
from deliberation.render import changes_html, doc_html


def _back(proposal: Proposal) -> str:
    return reverse("proposal", args=[proposal.pk])


# The workflow's main path, in order, then the side branch (docs/permissions.md).
WORKFLOW = [
    ProposalStatus.DRAFT, ProposalStatus.REVIEW, ProposalStatus.SUBMITTED,
    ProposalStatus.ADOPTED, ProposalStatus.TRANSMITTED, ProposalStatus.ANSWERED,
    ProposalStatus.FOLLOW_UP,
]


def transition_label(from_status: str, to_status: str) -> str:
    """The words on the button that moves a proposal to `to_status`."""
    if to_status == ProposalStatus.REVIEW and from_status == ProposalStatus.SUBMITTED:
        return _("Back to review")
    labels = {
        ProposalStatus.DRAFT: _("Back to draft"),
        ProposalStatus.REVIEW: _("Send for review"),
        ProposalStatus.SUBMITTED: _("Submit to the plenary"),
        ProposalStatus.ADOPTED: _("Mark as adopted"),
        ProposalStatus.NOT_RETAINED: _("Mark as not retained"),
        ProposalStatus.TRANSMITTED: _("Mark as sent to the President"),
        ProposalStatus.ANSWERED: _("Record the Département's answer"),
        ProposalStatus.FOLLOW_UP: _("Put in follow-up"),
    }
    return str(labels.get(ProposalStatus(to_status), ProposalStatus(to_status).label))


def export_links(proposal: Proposal) -> list[tuple[str, str]]:
    """(label, url) of the exports (deliberation/urls_export.py, written beside this)."""
    links = []
    for name, label in (
        ("proposal_export_docx", _("Word document (.docx)")),
        ("proposal_export_html", _("Web page (HTML)")),
    ):
        links.append((label, reverse(name, args=[proposal.pk])))
    return links


# --- List and creation ----------------------------------------------------------------------


def _creatable_subgroups(user: Any) -> list[Subgroup]:
    """Subgroups where `user` may start a proposal: theirs, or every one for the DCCU."""
    qs = Subgroup.objects.select_related("mandate").order_by("mandate__start", "name")
    if Role.DCCU in user_roles(user):
        return list(qs)
    if not user_roles(user):
        return []
    return list(qs.filter(Q(members=user) | Q(facilitators=user)).distinct())


@login_required
@require_GET
def proposals(request: AuthenticatedRequest) -> HttpResponse:
    """« Propositions »: mine first, then every proposal I may read by mandate and subgroup."""
    user = request.user
    mine_ids = set(
        Subgroup.objects.filter(Q(members=user) | Q(facilitators=user)).values_list(
            "pk", flat=True
        )
    )
    mine: list[Proposal] = []
    groups: dict[Any, dict[Any, list[Proposal]]] = {}
    rows = readable_proposals(user).order_by(
        "-mandate__start", "mandate__title", "subgroup__name", "position", "created_at"
    )
    for proposal in rows:
        if proposal.subgroup_id in mine_ids:
            mine.append(proposal)
        else:
            groups.setdefault(proposal.mandate, {}).setdefault(proposal.subgroup, []).append(
                proposal
            )
    return render(request, "deliberation/proposals/list.html", {
        "mine": mine,
        "has_subgroup": bool(mine_ids),
        "groups": [(mandate, list(subgroups.items())) for mandate, subgroups in groups.items()],
        "creatable": _creatable_subgroups(user),
        "followup": followup_rights(user)["read"],
    })


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request: AuthenticatedRequest, subgroup_id: uuid.UUID) -> HttpResponse:
    subgroup = Subgroup.objects.select_related("mandate").filter(pk=subgroup_id).first()
    if subgroup is None:
        raise Http404
    if not may_create_in(request.user, subgroup):
        raise PermissionDenied(_("Only the subgroup's members and facilitators can start a "
                                 "proposal here."))
    title = request.POST.get("title", "") if request.method == "POST" else ""
    error = ""
    if request.method == "POST":
        try:
            proposal = do_create_proposal(request.user, subgroup, title)
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
        else:
            messages.success(request, _("Your proposal is created: write it together here."))
            return redirect("proposal", proposal.pk)
    return render(request, "deliberation/proposals/create.html", {
        "subgroup": subgroup, "title": title, "error": error, "max_title": MAX_TITLE,
    }, status=400 if error else 200)


# --- The draft page ---------------------------------------------------------------------------


def _editor_context(request: AuthenticatedRequest, proposal: Proposal, draft: Any,
                    abilities: dict[str, bool]) -> dict[str, Any]:
    doc = drafts.load(draft.pk).doc
    return {
        "proposal": proposal,
        "draft": draft,
        "abilities": abilities,
        "identity": writer_identity(request.user, proposal),
        "suggest_only": bool(abilities["suggest"] and not abilities["edit"]),
        "suggestion_people": suggestion_people(proposal, doc),
        "content": doc_html(doc),
        "status_label": ProposalStatus(proposal.status).label,
        "editor_text": editor_text(),
        # The template's prompts, by the heading they follow (frontend/src/placeholder.js).
        "placeholders": dict(drafts.template_sections()),
    }


def suggestion_people(proposal: Proposal, doc: Any) -> dict[str, dict[str, str]]:
    """The name and colour of each author of a suggestion in the draft, and of its writers
    (the editor shows who suggested what; people connected come through awareness)."""
    from accounts.models import User
    from deliberation.suggestions import suggestions_in

    authors = {s.author for s in suggestions_in(doc)}
    ids = set(proposal.subgroup.members.values_list("pk", flat=True))
    ids |= set(proposal.subgroup.facilitators.values_list("pk", flat=True))
    valid = set()
    for author in authors:
        try:
            valid.add(uuid.UUID(author))
        except ValueError:
            continue
    people = User.objects.filter(pk__in=ids | valid)
    return {str(person.pk): writer_identity(person, proposal) for person in people}


@login_required
@require_GET
def proposal(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    context = _editor_context(request, proposal, draft, abilities)
    workflow = [*WORKFLOW]
    if proposal.status == ProposalStatus.NOT_RETAINED:
        workflow.insert(WORKFLOW.index(ProposalStatus.ADOPTED), ProposalStatus.NOT_RETAINED)
        workflow.remove(ProposalStatus.ADOPTED)
    context.update({
        "workflow": [(status, ProposalStatus(status).label) for status in workflow],
        "transitions": [
            (target, transition_label(proposal.status, target))
            for target in proposal.allowed_transitions(request.user)
        ],
        "history": proposal.transitions.select_related("by").order_by("-created_at", "-id"),
        "exports": export_links(proposal),
        "versions_count": draft.versions.count(),
        "subgroup_facilitators": proposal.subgroup.facilitators.order_by("display_name"),
        "may_rename": may_rename(abilities),
        "max_title": MAX_TITLE,
        "frozen_note": frozen_note(draft),
    })
    return render(request, "deliberation/proposals/proposal.html", context)


@login_required
@require_GET
def proposal_projection(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    """The room's screen: large, read only, live, with the writers' carets; no comments."""
    proposal = access_proposal(request.user, proposal_id)
    draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    if not abilities["facilitate"]:
        raise PermissionDenied(_("Only the subgroup's facilitators can project the draft."))
    return render(request, "deliberation/proposals/projection.html",
                  _editor_context(request, proposal, draft, abilities))


@login_required
@require_POST
def proposal_transition(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    abilities = proposal.get_abilities(request.user)
    if not abilities["transition"]:
        raise PermissionDenied(_("You cannot change the status of this proposal."))
    to_status = request.POST.get("to", "")
    try:
        proposal = do_transition(request.user, proposal, to_status,
                                 note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The proposal is now « %(status)s ».")
                         % {"status": ProposalStatus(proposal.status).label})
    return redirect(_back(proposal))


@login_required
@require_POST
def proposal_rename(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    try:
        do_rename_proposal(request.user, proposal, request.POST.get("title", ""))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The title is changed."))
    return redirect(_back(proposal))


@login_required
@require_POST
def proposal_freeze(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    abilities = proposal.get_abilities(request.user)
    if not abilities["facilitate"]:
        raise PermissionDenied(_("Only the subgroup's facilitators can freeze or reopen the "
                                 "draft."))
    frozen = request.POST.get("freeze") == "1"
    do_freeze(request.user, proposal, frozen)
    messages.success(request, _("The draft is frozen: nobody can write in it until it is "
                                "reopened.") if frozen else _("The draft is open again."))
    return redirect(_back(proposal))


# --- Versions ---------------------------------------------------------------------------------


def _version(draft: Any, number: int) -> DraftVersion:
    version = (
        DraftVersion.objects.filter(draft=draft, number=number)
        .select_related("created_by").prefetch_related("authors").first()
    )
    if version is None:
        raise Http404
    return version


@login_required
@require_http_methods(["GET", "POST"])
def proposal_versions(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    """The history of the draft; a POST names the current state."""
    proposal = access_proposal(request.user, proposal_id)
    draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    may_name = abilities["write"] or abilities["facilitate"]
    if request.method == "POST":
        if not may_name:
            raise PermissionDenied(_("Only the people who write this proposal can name a "
                                     "version."))
        try:
            version = do_named_version(request.user, proposal, request.POST.get("name", ""))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            assert version is not None  # noqa: S101 - named versions are always recorded
            messages.success(request, _("Version %(number)d « %(name)s » is saved.")
                             % {"number": version.number, "name": version.name})
        return redirect("proposal_versions", proposal.pk)
    versions = list(
        draft.versions.select_related("created_by").prefetch_related("authors")
        .order_by("-number")
    )
    label_people(person for v in versions for person in (v.created_by, *v.authors.all()))
    compare = default_comparison(versions)
    return render(request, "deliberation/proposals/versions.html", {
        "proposal": proposal, "draft": draft, "abilities": abilities, "versions": versions,
        "compare_from": compare[0] if compare else None,
        "compare_to": compare[1] if compare else None,
        "may_name": may_name,
        "may_restore": abilities["facilitate"] or abilities["edit"],
    })


@login_required
@require_GET
def proposal_version(request: AuthenticatedRequest, proposal_id: uuid.UUID,
                     number: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    version = _version(draft, number)
    return render(request, "deliberation/proposals/version.html", {
        "proposal": proposal, "draft": draft, "abilities": abilities, "version": version,
        "content": doc_html(drafts.new_doc(bytes(version.state))),
        "may_restore": abilities["facilitate"] or abilities["edit"],
        "previous": number - 1 if number > 1 else None,
    })


@login_required
@require_POST
def proposal_version_restore(request: AuthenticatedRequest, proposal_id: uuid.UUID,
                             number: int) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    _version(draft, number)
    if not (abilities["facilitate"] or abilities["edit"]):
        raise PermissionDenied(_("You cannot restore a version of this proposal."))
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Tick the box to confirm the restoration."))
        return redirect("proposal_version", proposal.pk, number)
    try:
        version = do_restore_version(request.user, proposal, number)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("proposal_version", proposal.pk, number)
    messages.success(request, _("Version %(number)d is restored (as version %(new)d: the "
                                "history is kept).") % {"number": number, "new": version.number})
    return redirect(_back(proposal))


@login_required
@require_GET
def proposal_versions_diff(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> HttpResponse:
    proposal = access_proposal(request.user, proposal_id)
    draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    try:
        old_number, new_number = int(request.GET.get("de", "")), int(request.GET.get("a", ""))
    except ValueError:
        messages.error(request, _("Choose the two versions to compare."))
        return redirect("proposal_versions", proposal.pk)
    old, new = _version(draft, old_number), _version(draft, new_number)
    html, changed = changes_html(drafts.new_doc(bytes(old.state)), drafts.new_doc(bytes(new.state)))
    label_people(person for v in (old, new) for person in (v.created_by, *v.authors.all()))
    return render(request, "deliberation/proposals/diff.html", {
        "proposal": proposal, "draft": draft, "abilities": abilities, "old": old, "new": new,
        "changes": html, "changed": changed,
        "versions": draft.versions.order_by("-number").only("number", "name", "kind"),
    })


def default_comparison(versions: list[DraftVersion]) -> tuple[int, int] | None:
    """The last two *different* versions (numbers, older first), `versions` newest first:
    a version recorded for a change of status or a name holds the same text as the one
    before it, and comparing those two shows nothing."""
    if len(versions) < 2:
        return None
    newest = versions[0]
    for older in versions[1:]:
        if older.text != newest.text:
            return older.number, newest.number
    return versions[1].number, newest.number


# --- Comments (JSON, for the editor) ----------------------------------------------------------


def _json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _not_found() -> JsonResponse:
    return _json_error(_("This proposal does not exist or you cannot see it."), 404)


def serialize_comment(comment: DraftComment, user: Any, *, replies: bool = True) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": comment.pk,
        "author": person_name_with_role(comment.author),
        "author_is_me": comment.author_id == user.pk,
        "body": comment.body,
        "quote": comment.quote,
        "resolved": comment.resolved,
        "resolved_by": person_name_with_role(comment.resolved_by) if comment.resolved_by else None,
        "created_at": comment.created_at.isoformat(),
    }
    if replies:
        item["anchor"] = comment.anchor
        item["replies"] = [
            serialize_comment(reply, user, replies=False) for reply in comment.replies.all()
        ]
    return item


def _read_json(request: AuthenticatedRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(_("The request could not be read. Reload the page.")) from exc
    if not isinstance(data, dict):
        raise ValidationError(_("The request could not be read. Reload the page."))
    return data


@login_required
@require_http_methods(["GET", "POST"])
def proposal_comments(request: AuthenticatedRequest, proposal_id: uuid.UUID) -> JsonResponse:
    try:
        proposal = access_proposal(request.user, proposal_id)
        draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    except Http404:
        return _not_found()
    if request.method == "POST":
        if not abilities["comment"]:
            return _json_error(_("You cannot comment on this proposal."), 403)
        try:
            data = _read_json(request)
            comment = do_comment(
                request.user, proposal, data.get("body", ""), anchor=data.get("anchor"),
                quote=data.get("quote", ""), parent=data.get("parent"),
            )
        except PermissionDenied as exc:
            return _json_error(error_text(exc), 403)
        except ValidationError as exc:
            return _json_error(error_text(exc), 400)
        return JsonResponse(serialize_comment(comment, request.user, replies=comment.parent_id
                                              is None), status=201)
    threads = (
        DraftComment.objects.filter(draft=draft, parent__isnull=True)
        .select_related("author", "resolved_by")
        .prefetch_related("replies__author", "replies__resolved_by")
        .order_by("created_at", "id")
    )
    threads_list = list(threads)
    label_people(person for c in threads_list for r in (c, *c.replies.all())
                 for person in (r.author, r.resolved_by))
    return JsonResponse({"comments": [serialize_comment(c, request.user) for c in threads_list]})


@login_required
@require_POST
def proposal_comment_resolve(request: AuthenticatedRequest, proposal_id: uuid.UUID,
                             comment_id: int) -> JsonResponse:
    try:
        proposal = access_proposal(request.user, proposal_id)
        draft, abilities = proposal.draft, proposal.get_abilities(request.user)
    except Http404:
        return _not_found()
    comment = DraftComment.objects.filter(pk=comment_id, draft=draft).first()
    if comment is None:
        return _json_error(_("This comment no longer exists."), 404)
    if not abilities["comment"]:
        return _json_error(_("You cannot comment on this proposal."), 403)
    try:
        data = _read_json(request)
        resolved = data.get("resolved")
        if not isinstance(resolved, bool):
            raise ValidationError(_("The request could not be read. Reload the page."))
        comment = do_resolve(request.user, comment, resolved)
    except PermissionDenied as exc:
        return _json_error(error_text(exc), 403)
    except ValidationError as exc:
        return _json_error(error_text(exc), 400)
    comment = (DraftComment.objects.select_related("author", "resolved_by")
               .prefetch_related("replies__author").get(pk=comment.pk))
    return JsonResponse(serialize_comment(comment, request.user))
