"""The attendance lists of a room's calls, for its facilitators and the DCCU."""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from calls.actions import access_call, access_call_room
from calls.models import Call
from deliberation.people import person_name
from gdpr import audit

# A cell starting with one of these is a formula to spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


@login_required
@require_GET
def room_calls(request: AuthenticatedRequest, room_id: str) -> HttpResponse:
    """The calls of a room, newest first, each with its attendance list to download."""
    room = access_call_room(request.user, room_id)
    if not room.get_abilities(request.user)["moderate"]:
        raise PermissionDenied
    calls = Call.objects.filter(room=room).prefetch_related("participations")[:100]
    return render(request, "calls/room_calls.html", {"room": room, "calls": calls})


@login_required
@require_GET
def attendance_csv(request: AuthenticatedRequest, call_id: str) -> HttpResponse:
    """Who took part in the call, when and for how long (UTF-8 with BOM, semicolons)."""
    call = access_call(request.user, call_id)
    if not call.get_abilities(request.user)["attendance"]:
        raise PermissionDenied
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Person"), _("Joined at"), _("Left at"), _("Minutes"), _("Had the floor")])
    rows = call.participations.select_related("user").order_by("joined_at", "id")
    for row in rows:
        left = timezone.localtime(row.left_at).strftime("%d/%m/%Y %H:%M") if row.left_at else ""
        writer.writerow(
            [
                _cell(person_name(row.user)),
                timezone.localtime(row.joined_at).strftime("%d/%m/%Y %H:%M"),
                left,
                str(round(row.duration_seconds / 60)),
                _("yes") if row.may_speak else _("no"),
            ]
        )
    audit.record(request.user, "calls.attendance.export", obj=call)
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv; charset=utf-8"
    )
    day = timezone.localtime(call.started_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="presences-{day}.csv"'
    return response
