"""What one does to a message in the chat: link to it, edit and delete one's own, react, mark
it unread. chat.js calls these with ``Accept: application/json`` (edit, delete and react
also exist as socket frames, docs/protocol.md); without JavaScript the message's page
(``forums:message``) holds the same actions as plain forms, which these answer with a
redirect. Every one loads the message through ``forums.access`` (404 for a room one may
not read) and lets ``forums.actions`` decide the rest (403 / French error).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from config.errors import error_text
from forums import actions
from forums.access import access_message
from forums.forms import EditForm
from forums.models import Message


def _wants_json(request: AuthenticatedRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back_to(message: Message) -> str:
    return reverse("forums:permalink", args=[message.pk])


def _refused(
    request: AuthenticatedRequest, message: Message, error: ValidationError
) -> HttpResponse:
    text = error_text(error)
    if _wants_json(request):
        return JsonResponse({"error": text}, status=400)
    messages.error(request, text)
    return redirect("forums:message", message.pk)


@login_required
@require_GET
def permalink(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """A message's lasting address: the room (or its topic) opened at that message."""
    message = access_message(request.user, message_id)
    if message.thread.is_default:
        url = reverse("forums:room", args=[message.room_id])
    else:
        url = reverse("forums:thread", args=[message.thread_id])
    return redirect(f"{url}?message={message.pk}#m{message.pk}")


@login_required
def edit(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """The author rewrites their message. GET: the text as written (JSON for chat.js, or
    the form); POST: saved, or the form again with the text kept and the reason."""
    message = access_message(request.user, message_id)
    if message.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can edit a message."))
    if request.method == "GET":
        if _wants_json(request):
            return JsonResponse({"body": message.body, "max_length": actions.MESSAGE_MAX_LENGTH})
        form = EditForm(initial={"body": message.body})
        return render(
            request, "forums/edit.html", {"message": message, "form": form, "room": message.room}
        )
    if request.method != "POST":
        return HttpResponse(status=405)
    form = EditForm(request.POST)
    if form.is_valid():
        try:
            message = actions.do_edit_message(request.user, message, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error("body", error_text(error))
        else:
            if _wants_json(request):
                return JsonResponse({"ok": True})
            messages.success(request, _("Your message is changed."))
            return redirect(_back_to(message))
    if _wants_json(request):
        errors = " ".join(str(e) for field in form.errors.values() for e in field)
        return JsonResponse({"error": errors}, status=400)
    return render(
        request,
        "forums/edit.html",
        {"message": message, "form": form, "room": message.room},
        status=400,
    )


@login_required
@require_POST
def delete(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """The author, or a moderator of the room, deletes a message (its place stays)."""
    message = access_message(request.user, message_id)
    try:
        message = actions.do_delete_message(request.user, message)
    except ValidationError as error:
        return _refused(request, message, error)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("The message is deleted."))
    return redirect(_back_to(message))


@login_required
@require_POST
def react(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """Add or take back one of the offered reactions (``add`` = "0" takes it back)."""
    message = access_message(request.user, message_id)
    emoji = request.POST.get("emoji", "")
    add = request.POST.get("add", "1") != "0"
    if not message.room.get_abilities(request.user)["write"]:
        raise PermissionDenied(_("You cannot write in this room."))
    try:
        actions.do_react(request.user, message, emoji=emoji, add=add)
    except ValidationError as error:
        if _wants_json(request):
            return JsonResponse({"error": error_text(error)}, status=400)
        return HttpResponse(error_text(error), status=400, content_type="text/plain")
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return redirect(_back_to(message))


@login_required
@require_POST
def unread(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """« Marquer comme non lu »: the room counts this message and the next ones as unread."""
    message = access_message(request.user, message_id)
    count = actions.do_mark_unread(request.user, message)
    if _wants_json(request):
        return JsonResponse({"unread": count})
    messages.success(request, _("Marked as unread from this message."))
    return redirect("forums:rooms")


@login_required
@require_POST
def transcript_retry(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """The author asks again for the automatic transcript of their voice message that failed
    (forums/transcription.py); the new one comes through the socket when the worker is done."""
    from forums.models import AttachmentKind
    from forums.transcription import do_retry_transcription

    message = access_message(request.user, message_id)
    if message.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can ask for the transcript again."))
    voice = message.attachments.filter(kind=AttachmentKind.VOICE).first()
    if voice is None:
        return _refused(request, message, ValidationError(_("This message has no recording.")))
    try:
        do_retry_transcription(request.user, voice)
    except ValidationError as error:
        return _refused(request, message, error)
    if _wants_json(request):
        return JsonResponse({"ok": True})
    messages.success(request, _("The transcript is asked again: it will appear in a moment."))
    return redirect(_back_to(message))
