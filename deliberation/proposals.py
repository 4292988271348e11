"""Who may do what with a proposal and its draft (docs/permissions.md, « Propositions »)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import ASSEMBLY_ROLES, Role, user_roles
from deliberation import draft_store, drafts
from deliberation.models import (
    FROZEN_STATUSES,
    TRANSITIONS,
    Draft,
    DraftComment,
    DraftVersion,
    Proposal,
    ProposalStatus,
    ProposalTransition,
    VersionKind,
)
from deliberation.people import person_name_with_role
from notifications.actions import notify_many
from notifications.models import Kind


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# Colours for writers' carets: dark enough for white text on them (WCAG AA), told apart.
WRITER_COLOURS = (
    "#1f5fbf",
    "#b3261e",
    "#1b7f3b",
    "#8a3ffc",
    "#a0522d",
    "#006d77",
    "#c2185b",
    "#5d4037",
    "#6a1b9a",
    "#00695c",
    "#ad1457",
    "#37474f",
)


def _writers_in_order(proposal: Any) -> list[Any]:
    """The subgroup's writers (facilitators, then members), each once, in a fixed order."""
    subgroup = proposal.subgroup
    ids = [*subgroup.facilitators.order_by("pk").values_list("pk", flat=True),
           *subgroup.members.order_by("pk").values_list("pk", flat=True)]
    return list(dict.fromkeys(ids))


def writer_identity(user: Any, proposal: Any = None) -> dict[str, str]:
    """The name and colour shown with someone's caret (the server imposes them: a client
    cannot write under another name).

    With the proposal, the subgroup's writers get the palette's colours in turn, so two of
    them never share one until there are more writers than colours; anyone else (the
    DCCU, a reader) gets a colour from their id."""
    import hashlib

    colour = None
    if proposal is not None:
        writers = _writers_in_order(proposal)
        if user.pk in writers:
            colour = WRITER_COLOURS[writers.index(user.pk) % len(WRITER_COLOURS)]
    if colour is None:
        digest = hashlib.sha256(str(user.pk).encode()).digest()
        colour = WRITER_COLOURS[digest[0] % len(WRITER_COLOURS)]
    return {"name": person_name_with_role(user), "color": colour}


# --- Access ----------------------------------------------------------------------------------


def access_proposal(user: Any, proposal_id: Any) -> Proposal:
    """The proposal (its draft at hand); 404 when it is missing or may not be read (the same
    answer: nobody learns that a proposal exists)."""
    proposal = (
        Proposal.objects.select_related("subgroup", "mandate__assembly", "draft")
        .filter(pk=proposal_id)
        .first()
        if _is_uuid(proposal_id)
        else None
    )
    if proposal is None or getattr(proposal, "draft", None) is None:
        raise Http404
    if not proposal.get_abilities(user)["read"]:
        raise Http404
    return proposal


def access_draft(user: Any, draft_id: Any) -> Draft:
    """The draft; 404 when it is missing or its proposal may not be read."""
    draft = (
        Draft.objects.select_related("proposal__subgroup").filter(pk=draft_id).first()
        if _is_uuid(draft_id)
        else None
    )
    if draft is None or not draft.get_abilities(user)["read"]:
        raise Http404
    return draft


def readable_proposals(user: Any) -> Any:
    """Every proposal `user` may read (the list page), one query."""
    roles = user_roles(user)
    if not roles:
        return Proposal.objects.none()
    qs = Proposal.objects.select_related("subgroup", "mandate", "mandate__assembly")
    if roles & ASSEMBLY_ROLES:
        return qs
    return qs.filter(Q(subgroup__members=user) | Q(subgroup__facilitators=user)).distinct()


def may_create_in(user: Any, subgroup: Any) -> bool:
    """Writers of the subgroup (members, facilitators) and the DCCU start proposals."""
    if user is None:
        return True  # the system itself (seed_demo, migrations)
    roles = user_roles(user)
    if not roles:
        return False
    return (
        Role.DCCU in roles
        or subgroup.members.filter(pk=user.pk).exists()
        or subgroup.facilitators.filter(pk=user.pk).exists()
    )


# --- Operations --------------------------------------------------------------------------------
# Each checks who acts, validates with a French message, writes in a transaction and tells
# open editors after commit (deliberation.draft_store). `actor=None` is the system itself.

MAX_TITLE = 200
MAX_COMMENT = 5000
MAX_QUOTE = 300
MAX_ANCHOR_BYTES = 2048
MAX_NOTE = 2000


def _abilities_or_system(actor: Any, proposal: Proposal, draft: Draft) -> dict[str, bool]:
    if actor is None:
        return dict.fromkeys(("read", "write", "comment", "facilitate", "transition"), True) | {
            "edit": not draft.frozen
        }
    return proposal.get_abilities(actor)


def _transitions_or_system(actor: Any, proposal: Proposal) -> list[str]:
    if actor is None:
        return list(TRANSITIONS.get(proposal.status, {}))
    return proposal.allowed_transitions(actor)


def _clean_title(title: str) -> str:

    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Give the proposal a title."))
    if len(title) > MAX_TITLE:
        raise ValidationError(
            _("The title is too long (%(max)d characters at most).") % {"max": MAX_TITLE}
        )
    return title


def do_create_proposal(actor: Any, subgroup: Any, title: str) -> Proposal:
    """A new proposal of `subgroup`, its draft filled with the template, and version 1."""
    if not may_create_in(actor, subgroup):
        raise PermissionDenied(
            _("Only the subgroup's members and facilitators can start a proposal here.")
        )
    title = _clean_title(title)
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        position = (
            Proposal.objects.filter(mandate=subgroup.mandate).aggregate(n=Max("position"))["n"] or 0
        ) + 1
        proposal = Proposal.objects.create(
            mandate=subgroup.mandate,
            subgroup=subgroup,
            title=title,
            position=position,
            created_by=by,
        )
        draft = Draft.objects.create(proposal=proposal, snapshot=drafts.template_update())
        drafts.create_version(draft.pk, VersionKind.NAMED, name=_("Template"), by=by)
    return proposal


def frozen_note(draft: Draft) -> str:
    """« Gelé par Amandine R. (animation) le 6 déc. 2026, 19 h 08. », for the page and for
    the open editors (the socket's abilities message); "" when the draft is open."""
    from config.dates import format_when

    current = Draft.objects.filter(pk=draft.pk).select_related("frozen_by").first()
    if current is None or not current.frozen:
        return ""
    person = current.frozen_by
    when = format_when(current.frozen_at) if current.frozen_at else ""
    if person is not None and when:
        return _("Frozen by %(who)s on %(when)s.") % {
            "who": person_name_with_role(person), "when": when}
    if when:
        return _("Frozen on %(when)s, when the proposal changed status.") % {"when": when}
    return ""


def may_rename(abilities: dict[str, bool]) -> bool:
    """Writers while the draft is open, facilitators (and the DCCU) always: the title is
    part of the text, frozen with it."""
    return abilities["edit"] or abilities["facilitate"]


def do_rename_proposal(actor: Any, proposal: Proposal, title: str) -> Proposal:
    """Give the proposal a new title (writers while the draft is open, facilitators)."""
    with transaction.atomic():
        proposal, draft = _locked(proposal)
        abilities = _abilities_or_system(actor, proposal, draft)
        if not may_rename(abilities):
            if abilities["write"] and draft.frozen:
                raise PermissionDenied(
                    _("The draft is frozen: only a facilitator can change its title.")
                )
            raise PermissionDenied(_("Only the people who write this proposal can change its "
                                     "title."))
        title = _clean_title(title)
        if title != proposal.title:
            proposal.title = title
            proposal.save(update_fields=["title", "updated_at"])
    return proposal


def _locked(proposal: Proposal) -> tuple[Proposal, Draft]:
    """The proposal and its draft, locked for the rest of the transaction."""
    proposal = Proposal.objects.select_for_update().select_related("subgroup").get(pk=proposal.pk)
    draft = Draft.objects.select_for_update().get(proposal=proposal)
    return proposal, draft


def do_transition(actor: Any, proposal: Proposal, to_status: str, note: str = "") -> Proposal:
    """Move the proposal to `to_status` as the workflow allows `actor`, log it, freeze or
    reopen the draft, record a version, and tell open editors."""
    if to_status not in ProposalStatus.values:
        raise ValidationError(_("Unknown status."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(
            _("The note is too long (%(max)d characters at most).") % {"max": MAX_NOTE}
        )
    with transaction.atomic():
        proposal, draft = _locked(proposal)
        abilities = _abilities_or_system(actor, proposal, draft)
        if not abilities["read"]:
            raise PermissionDenied(_("You cannot change this proposal."))
        if to_status not in TRANSITIONS.get(proposal.status, {}):
            raise ValidationError(
                _("A proposal « %(from)s » cannot become « %(to)s ».")
                % {
                    "from": ProposalStatus(proposal.status).label,
                    "to": ProposalStatus(to_status).label,
                }
            )
        if to_status not in _transitions_or_system(actor, proposal):
            raise PermissionDenied(
                _("You cannot move this proposal to « %(to)s ».")
                % {"to": ProposalStatus(to_status).label}
            )
        by = actor if getattr(actor, "pk", None) else None
        from_status = proposal.status
        proposal.status = to_status
        proposal.save(update_fields=["status", "updated_at"])
        ProposalTransition.objects.create(
            proposal=proposal, from_status=from_status, to_status=to_status, by=by, note=note
        )
        frozen = draft.frozen
        if to_status in FROZEN_STATUSES:
            frozen = True
        elif to_status in (ProposalStatus.DRAFT, ProposalStatus.REVIEW):
            frozen = False
        if frozen != draft.frozen:
            Draft.objects.filter(pk=draft.pk).update(
                frozen=frozen, frozen_by=by if frozen else None,
                frozen_at=timezone.now() if frozen else None,
            )
        drafts.create_version(
            draft.pk, VersionKind.STATUS, name=str(ProposalStatus(to_status).label), by=by
        )
        draft_store.announce_draft_changed(draft.pk)
        notify_many(Kind.PROPOSAL_STAGE, _writers(proposal), actor=by, verb=to_status,
                    proposal=proposal)
    proposal.refresh_from_db()
    return proposal


def _writers(proposal: Proposal) -> list[Any]:
    """Who hears of a proposal's new stage: its subgroup's members and facilitators."""
    subgroup = proposal.subgroup
    return list({p.pk: p for p in (*subgroup.members.all(), *subgroup.facilitators.all())}
                .values())


def do_freeze(actor: Any, proposal: Proposal, frozen: bool) -> Draft:
    """Freeze the draft (nobody writes) or reopen it; facilitators and the DCCU only."""

    with transaction.atomic():
        proposal, draft = _locked(proposal)
        if not _abilities_or_system(actor, proposal, draft)["facilitate"]:
            raise PermissionDenied(
                _("Only the subgroup's facilitators can freeze or reopen the draft.")
            )
        if draft.frozen != frozen:
            draft.frozen = frozen
            draft.frozen_by = actor if frozen and getattr(actor, "pk", None) else None
            draft.frozen_at = timezone.now() if frozen else None
            draft.save(update_fields=["frozen", "frozen_by", "frozen_at"])
            draft_store.announce_draft_changed(draft.pk)
    return draft


def _clean_version_name(name: str) -> str:

    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the version a name."))
    if len(name) > MAX_TITLE:
        raise ValidationError(
            _("The name is too long (%(max)d characters at most).") % {"max": MAX_TITLE}
        )
    return name


def do_named_version(actor: Any, proposal: Proposal, name: str) -> Any:
    """Record the current state under a name (writers and facilitators)."""

    draft = Draft.objects.get(proposal=proposal)
    abilities = _abilities_or_system(actor, proposal, draft)
    if not (abilities["facilitate"] or abilities["write"]):
        raise PermissionDenied(_("Only the people who write this proposal can name a version."))
    name = _clean_version_name(name)
    return drafts.create_version(
        draft.pk, VersionKind.NAMED, name=name, by=actor if getattr(actor, "pk", None) else None
    )


def do_restore_version(actor: Any, proposal: Proposal, number: int) -> Any:
    """Make the draft's content equal to version `number`'s, as a new change (history is
    kept), and record it as a version. Writers may while the draft is open; facilitators
    always."""

    with transaction.atomic():
        proposal, draft = _locked(proposal)
        abilities = _abilities_or_system(actor, proposal, draft)
        if not (abilities["facilitate"] or abilities["edit"]):
            if abilities["write"] and draft.frozen:
                raise PermissionDenied(
                    _("The draft is frozen: only a facilitator can restore a version.")
                )
            raise PermissionDenied(_("You cannot restore a version of this proposal."))
        version = DraftVersion.objects.filter(draft=draft, number=number).first()
        if version is None:
            raise ValidationError(_("This version does not exist."))
        by = actor if getattr(actor, "pk", None) else None
        update = drafts.restore_update(draft.pk, version)
        draft_store.append_server_update(draft.pk, update, by)
        return drafts.create_version(
            draft.pk,
            VersionKind.RESTORE,
            name=_("Restoration of version %(number)d") % {"number": number},
            by=by,
        )


# --- Comments -----------------------------------------------------------------------------------


def _clean_anchor(anchor: Any) -> dict[str, Any] | None:

    if anchor is None:
        return None
    bad = ValidationError(_("The commented passage could not be found. Select it again."))
    if not isinstance(anchor, dict) or set(anchor) != {"start", "end"}:
        raise bad
    if not all(isinstance(anchor[key], dict) for key in ("start", "end")):
        raise bad
    if len(json.dumps(anchor, separators=(",", ":")).encode()) > MAX_ANCHOR_BYTES:
        raise bad
    return {"start": anchor["start"], "end": anchor["end"]}


def do_comment(
    actor: Any,
    proposal: Proposal,
    body: str,
    anchor: Any = None,
    quote: str = "",
    parent: Any = None,
) -> Any:
    """A comment on a passage (`anchor`, Yjs relative positions) or a reply to a thread.

    The body is plain text, stored as typed and escaped when shown."""

    draft = Draft.objects.get(proposal=proposal)
    if not _abilities_or_system(actor, proposal, draft)["comment"]:
        raise PermissionDenied(_("You cannot comment on this proposal."))
    body = (body or "").strip() if isinstance(body, str) else ""
    if not body:
        raise ValidationError(_("Write something in your comment."))
    if len(body) > MAX_COMMENT:
        raise ValidationError(
            _("Your comment is too long (%(max)d characters at most).") % {"max": MAX_COMMENT}
        )
    quote = " ".join(quote.split())[:MAX_QUOTE] if isinstance(quote, str) else ""
    parent_comment = None
    if parent is not None:
        parent_id = getattr(parent, "pk", parent)
        try:
            parent_comment = DraftComment.objects.filter(
                pk=int(parent_id), draft=draft, parent__isnull=True
            ).first()
        except (TypeError, ValueError):
            parent_comment = None
        if parent_comment is None:
            raise ValidationError(_("The comment you answer no longer exists."))
        anchor, quote = None, ""
    else:
        anchor = _clean_anchor(anchor)
    with transaction.atomic():
        comment = DraftComment.objects.create(
            draft=draft,
            parent=parent_comment,
            author=actor if getattr(actor, "pk", None) else None,
            body=body,
            anchor=anchor,
            quote=quote,
        )
        draft_store.announce_comments_changed(draft.pk)
    return comment


def do_resolve(actor: Any, comment: Any, resolved: bool) -> Any:
    """Mark a thread « résolu » (or open it again); anyone who may comment."""

    draft = Draft.objects.select_related("proposal__subgroup").get(pk=comment.draft_id)
    if not _abilities_or_system(actor, draft.proposal, draft)["comment"]:
        raise PermissionDenied(_("You cannot comment on this proposal."))
    if comment.parent_id is not None:
        raise ValidationError(_("Only a whole thread can be marked as resolved."))
    with transaction.atomic():
        comment = DraftComment.objects.select_for_update().get(pk=comment.pk)
        if comment.resolved != bool(resolved):
            comment.resolved = bool(resolved)
            comment.resolved_by = actor if resolved and getattr(actor, "pk", None) else None
            comment.resolved_at = timezone.now() if resolved else None
            comment.save(update_fields=["resolved", "resolved_by", "resolved_at", "updated_at"])
            draft_store.announce_comments_changed(draft.pk)
    return comment
