"""Travel claims: a member asks for the travel costs of a session, with receipts; the
DCCU approves or refuses with a reason. Approved claims go into the period's payment
files with the indemnities (``assembly.indemnities.export_rows``).

Receipts come through the library's door (``documents.files.check_upload``: size, type
read from the content by libmagic, executables, HTML and SVG refused), then ClamAV when
it is configured — a receipt that is infected, or cannot be scanned now, is refused —
and are stored under random names in the private storage, served only to their owner
and the DCCU. Bank details are never asked: payment is the département's system.
"""

from __future__ import annotations

import tempfile
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import MEMBER_ROLES, Role, has_role
from assembly.models import Assembly, ClaimStatus, Session, TravelClaim, TravelReceipt
from gdpr import audit

PREFIX = "claims/"
MAX_RECEIPTS = 5
RECEIPT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/webp"})


def _files() -> Any:
    """The library's upload door (``documents.files``), imported when used: the institution
    loads no app built on it (tests/assembly/test_imports.py)."""
    from documents import files

    return files


def max_bytes() -> int:
    return int(getattr(settings, "CLAIMS_RECEIPT_MAX_BYTES", 10 * 1024 * 1024))


def may_claim(user: Any) -> bool:
    return has_role(user, *MEMBER_ROLES)


def rights(claim: TravelClaim, user: Any) -> dict[str, bool]:
    dccu = has_role(user, Role.DCCU)
    return {
        "read": dccu or claim.user_id == getattr(user, "pk", None),
        "decide": dccu and claim.status == ClaimStatus.SUBMITTED,
    }


def access_claim(user: Any, claim_id: Any, ability: str = "read") -> TravelClaim:
    try:
        claim = TravelClaim.objects.select_related("user", "session").get(pk=claim_id)
    except (TravelClaim.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    abilities = rights(claim, user)
    if not abilities["read"]:
        raise Http404
    if not abilities[ability]:
        raise PermissionDenied
    return claim


def _scan(path: Path) -> None:
    from documents.models import ScanStatus

    status, _signature = _files().scan_local(path)
    if status == ScanStatus.INFECTED:
        raise ValidationError(_("The antivirus found a threat in this file."), code="infected")
    if status == ScanStatus.PENDING:
        raise ValidationError(
            _("Files cannot be checked by the antivirus at the moment: try again later."),
            code="unavailable",
        )


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", ".").replace("€", "").strip())
    except InvalidOperation as exc:
        raise ValidationError(_("Write the amount in euros, e.g. 12,50."), code="amount") from exc
    if amount <= 0 or amount >= Decimal("100000"):
        raise ValidationError(_("Write the amount in euros, e.g. 12,50."), code="amount")
    return amount.quantize(Decimal("0.01"))


def do_submit_claim(
    actor: Any, assembly: Assembly, *, day: date, session: Session | None, origin: str,
    destination: str, amount: Any, receipts: list[Any],
) -> TravelClaim:
    """Submit a claim; nothing is stored when a receipt is refused (the message names it)."""
    if not may_claim(actor):
        raise PermissionDenied(_("Only members of the assembly claim travel costs."))
    errors = []
    origin, destination = (origin or "").strip()[:200], (destination or "").strip()[:200]
    if not origin or not destination:
        errors.append(_("Say where the journey started and where it ended."))
    if day > timezone.localdate():
        errors.append(_("The journey cannot be in the future."))
    if session is not None and session.assembly_id != assembly.pk:
        raise Http404
    if not receipts:
        errors.append(_("Attach at least one receipt (ticket, fuel or parking receipt)."))
    if len(receipts) > MAX_RECEIPTS:
        errors.append(
            ngettext("You can attach %(max)d file.", "You can attach %(max)d files.",
                     MAX_RECEIPTS) % {"max": MAX_RECEIPTS}
        )
    try:
        value = _amount(amount)
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    storage = _files().library_storage()
    stored: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="agora-claim-") as tmp:
            for index, upload in enumerate(receipts):
                shown = _files().sanitize_name(getattr(upload, "name", "") or "")
                directory = Path(tmp) / str(index)
                directory.mkdir()
                try:
                    checked = _files().check_upload(upload, directory, limit=max_bytes())
                    if checked.mime_type not in RECEIPT_TYPES:
                        raise ValidationError(
                            _("A receipt is a PDF or a photo (PNG, JPEG or WebP)."), code="type"
                        )
                    _scan(checked.path)
                except ValidationError as error:
                    raise ValidationError(
                        _("« %(name)s »: %(reason)s")
                        % {"name": shown, "reason": " ".join(error.messages)},
                        code=error.code,
                    ) from error
                ext = _files().extension_of(checked.name)
                with checked.path.open("rb") as fh:
                    name = storage.save(f"{PREFIX}{uuid.uuid4().hex}.{ext}", File(fh))
                stored.append({
                    "storage_name": name, "name": checked.name,
                    "content_type": checked.mime_type, "size": checked.size,
                    "sha256": checked.sha256,
                })
        with transaction.atomic():
            claim = TravelClaim.objects.create(
                assembly=assembly, user=actor, session=session, date=day, origin=origin,
                destination=destination, amount=value,
            )
            for item in stored:
                TravelReceipt.objects.create(claim=claim, **item)
    except BaseException:
        for item in stored:
            storage.delete(item["storage_name"])
        raise
    return claim


@transaction.atomic
def do_decide_claim(actor: Any, claim: TravelClaim, *, approve: bool, reason: str = "") -> None:
    """The DCCU approves or refuses (a refusal says why)."""
    if not has_role(actor, Role.DCCU):
        raise PermissionDenied(_("Only the DCCU team decides on travel claims."))
    claim = TravelClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.SUBMITTED:
        raise ValidationError(_("This claim has already been decided."), code="decided")
    reason = (reason or "").strip()[:300]
    if not approve and not reason:
        raise ValidationError(_("Give the reason for the refusal."), code="reason")
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REFUSED
    claim.decided_by, claim.decided_at, claim.decision_reason = actor, timezone.now(), reason
    claim.save(update_fields=["status", "decided_by", "decided_at", "decision_reason",
                              "updated_at"])
    audit.record(actor, "assembly.claims.decide", obj=claim, approved=approve)


def serve_receipt(receipt: TravelReceipt) -> FileResponse:
    """A receipt's bytes, for someone whose abilities the caller has checked."""
    try:
        fh = _files().library_storage().open(receipt.storage_name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    inline = receipt.content_type in RECEIPT_TYPES
    response = FileResponse(fh, as_attachment=not inline, filename=receipt.name,
                            content_type=receipt.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def on_receipt_deleted(sender: Any, instance: TravelReceipt, **kwargs: Any) -> None:
    name = instance.storage_name
    transaction.on_commit(lambda: _files().delete_quietly(_files().library_storage(), [name]))
