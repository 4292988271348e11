"""Conversation pages: room list, live chat, forum threads, search, moderation, direct
messages, voice messages and their files.

Every page works without JavaScript (plain forms that POST and redirect);
static/js/chat.js adds the live socket on top. Rooms, threads and messages are
loaded through ``forums.access`` only: what a person may not read is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.roles import STAFF_ROLES
from config.errors import error_text
from forums import actions, queries
from forums.access import access_message, access_room, access_thread, readable_rooms
from forums.forms import (
    DirectRoomForm,
    MessageForm,
    MuteForm,
    PreferenceForm,
    ReasonForm,
    SearchForm,
    ThreadForm,
    VoiceForm,
)
from forums.models import (
    Attachment,
    Message,
    NotificationPreference,
    ReadMarker,
    Room,
    RoomKind,
    Thread,
)
from forums.notifications import mark_connected
from forums.voice import do_add_voice_message

HISTORY_SIZE = 50


def charter_text(room: Room) -> str:
    """The room's own charter, or the assembly's current one."""
    if room.charter.strip():
        return room.charter
    from gdpr.models import PolicyText, TextKind

    text = PolicyText.current(TextKind.CHARTER)
    return text.body if text is not None else ""


def _last_read(user: User, thread: Thread) -> int:
    marker = ReadMarker.objects.filter(user=user, thread=thread).first()
    return marker.last_read_id if marker else 0


def chat_text() -> dict[str, str]:
    """The words chat.js and voice.js show, translated here (JS has no gettext).

    Messages themselves come rendered by the server (forums.queries.message_html)."""
    return {
        "new_messages": _("New messages"),
        "new_message_from": _("New message from %(name)s"),
        "typing": _("%(name)s is writing…"),
        "connecting": _("Reconnecting…"),
        "offline": _("Connection lost. Your messages will be sent when it comes back."),
        "online": _("Connected again."),
        "earlier": _("Earlier messages"),
        "no_earlier": _("No earlier message."),
        "recording": _("Recording… %(time)s"),
        "mic_refused": _("The microphone is not available. Check that your browser may use it."),
        "voice_unsupported": _("Your browser cannot record sound."),
        "send_failed": _("The message could not be sent. Try again."),
        "seconds": _("%(sec)d s"),
        "minutes": _("%(min)d min %(sec)02d s"),
    }


# --- Rooms -------------------------------------------------------------------------


@login_required
@require_GET
def room_list(request: AuthenticatedRequest) -> HttpResponse:
    """« Discussions »: every room I may read, with what I have not read yet."""
    rooms = readable_rooms(request.user)
    unread = queries.unread_counts(request.user, rooms)
    def rows(direct: bool) -> list[dict[str, Any]]:
        return [{"room": room, "unread": unread.get(str(room.pk), 0)} for room in rooms
                if (room.kind == RoomKind.DIRECT) == direct]

    groups = [(_("My groups"), rows(False)), (_("Direct messages"), rows(True))]
    return render(request, "forums/room_list.html", {"groups": groups, "rooms_text": rooms_text()})


def rooms_text() -> dict[str, str]:
    """The words rooms.js shows on the room list (badges, announcements)."""
    # JS has no plural rules: both forms are sent (one: count 1, many: above).
    return {
        "unread_one": ngettext("%(count)s unread", "%(count)s unread", 1),
        "unread_many": ngettext("%(count)s unread", "%(count)s unread", 2),
        "new_one": ngettext(
            "%(count)s new message in %(room)s", "%(count)s new messages in %(room)s", 1
        ),
        "new_many": ngettext(
            "%(count)s new message in %(room)s", "%(count)s new messages in %(room)s", 2
        ),
    }


@login_required
@require_GET
def room(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """The live chat of a room: the last messages, rendered here so they read without JS."""
    room = access_room(request.user, room_id)
    abilities = room.get_abilities(request.user)
    # Someone reading the room now needs no email about it (the socket refreshes this too).
    mark_connected(request.user.pk)
    thread = actions.default_thread(room)
    history = queries.history(request.user, room, thread=thread, limit=HISTORY_SIZE)
    last_read = _last_read(request.user, thread)
    first_unread = next((m.pk for m in history if m.pk > last_read
                         and m.author_id != request.user.pk), None)
    if history and history[-1].pk > last_read:
        actions.do_mark_read(request.user, thread, up_to_id=history[-1].pk)
    return render(request, "forums/room.html", {
        "room": room,
        "thread": thread,
        "abilities": abilities,
        "history": history,
        "has_older": len(history) == HISTORY_SIZE,
        "first_unread": first_unread,
        "form": MessageForm(initial={"client_id": uuid.uuid4()}),
        "voice_form": VoiceForm(),
        "charter": charter_text(room),
        "last_id": history[-1].pk if history else 0,
        "chat_text": chat_text(),
        "voice_max_seconds": settings.FORUMS_VOICE_MAX_SECONDS,
    })


@login_required
@require_GET
def older(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """Older messages of the chat, as a page without JS and as a fragment for chat.js."""
    room = access_room(request.user, room_id)
    thread_id = request.GET.get("thread")
    thread = access_thread(request.user, thread_id) if thread_id else actions.default_thread(room)
    if thread.room_id != room.pk:
        raise Http404
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        before = None
    history = queries.history(request.user, room, thread=thread, before=before,
                              limit=HISTORY_SIZE)
    context = {
        "room": room, "thread": thread, "history": history,
        "abilities": room.get_abilities(request.user),
        "has_older": len(history) == HISTORY_SIZE,
    }
    if request.GET.get("fragment"):
        return render(request, "forums/_messages.html", context)
    return render(request, "forums/older.html", context)


@login_required
@require_POST
def send(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """The composer without JS (chat.js sends over the socket instead)."""
    room = access_room(request.user, room_id)
    thread_id = request.POST.get("thread")
    thread = access_thread(request.user, thread_id) if thread_id else None
    if thread is not None and thread.room_id != room.pk:
        raise Http404
    form = MessageForm(request.POST)
    back = (reverse("forums:thread", args=[thread.pk]) if thread and not thread.is_default
            else reverse("forums:room", args=[room.pk]))
    if not form.is_valid():
        messages.error(request, _("Your message is empty or too long."))
        return redirect(back)
    try:
        actions.do_send_message(
            request.user, room, body=form.cleaned_data["body"],
            client_id=form.cleaned_data["client_id"], thread=thread,
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    return redirect(back + "#dernier")


# --- Forum view --------------------------------------------------------------------


@login_required
@require_GET
def forum(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """The same room as topics: each thread with its last activity."""
    room = access_room(request.user, room_id)
    threads = room.threads.select_related("created_by").order_by("-last_activity_at")
    return render(request, "forums/forum.html", {
        "room": room, "threads": threads, "abilities": room.get_abilities(request.user),
    })


@login_required
def thread_new(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    room = access_room(request.user, room_id)
    abilities = room.get_abilities(request.user)
    if not abilities["write"]:
        raise PermissionDenied(_("You cannot write in this room."))
    form = ThreadForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            thread = actions.do_create_thread(
                request.user, room, title=form.cleaned_data["title"],
                body=form.cleaned_data["body"], format="html",
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Your topic is published."))
            return redirect("forums:thread", thread.pk)
    return render(request, "forums/thread_new.html", {"room": room, "form": form})


@login_required
@require_GET
def thread(request: AuthenticatedRequest, thread_id: uuid.UUID) -> HttpResponse:
    thread = access_thread(request.user, thread_id)
    room = thread.room
    history = queries.history(request.user, room, thread=thread, limit=HISTORY_SIZE)
    if history:
        actions.do_mark_read(request.user, thread, up_to_id=history[-1].pk)
    return render(request, "forums/thread.html", {
        "room": room, "thread": thread, "history": history,
        "has_older": len(history) == HISTORY_SIZE,
        "abilities": room.get_abilities(request.user),
        "form": MessageForm(initial={"client_id": uuid.uuid4()}),
    })


# --- Search ------------------------------------------------------------------------


@login_required
@require_GET
def search(request: AuthenticatedRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results: list[Message] = []
    if form.is_valid():
        results = queries.search_messages(request.user, form.cleaned_data["q"])
    return render(request, "forums/search.html", {"form": form, "results": results})


# --- Moderation --------------------------------------------------------------------


def _message_page(request: AuthenticatedRequest, message: Message, **forms: Any) -> HttpResponse:
    abilities = message.room.get_abilities(request.user)
    context = {
        "message": message, "room": message.room, "abilities": abilities,
        "report_form": forms.get("report_form") or ReasonForm(prefix="report"),
        "hide_form": forms.get("hide_form") or ReasonForm(prefix="hide"),
        "mute_form": forms.get("mute_form") or MuteForm(prefix="mute"),
        "can_mute": abilities["moderate"] and message.author_id != request.user.pk,
    }
    return render(request, "forums/message.html", context, status=400 if forms else 200)


def _back_to(message: Message) -> str:
    if message.thread.is_default:
        return reverse("forums:room", args=[message.room_id]) + f"#m{message.pk}"
    return reverse("forums:thread", args=[message.thread_id]) + f"#m{message.pk}"


@login_required
@require_GET
def message_detail(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """One message with what can be done about it: report, and for moderators hide or mute."""
    message = access_message(request.user, message_id)
    return _message_page(request, message)


@login_required
@require_POST
def report(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    message = access_message(request.user, message_id)
    form = ReasonForm(request.POST, prefix="report")
    if not form.is_valid():
        return _message_page(request, message, report_form=form)
    try:
        actions.do_report_message(request.user, message, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, error_text(error))
        return _message_page(request, message, report_form=form)
    messages.success(request, _("Thank you: the moderators will look at this message."))
    return redirect(_back_to(message))


@login_required
@require_POST
def hide(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    message = access_message(request.user, message_id)
    if not message.room.get_abilities(request.user)["moderate"]:
        raise PermissionDenied(_("Only the moderators of this room can hide a message."))
    form = ReasonForm(request.POST, prefix="hide")
    if not form.is_valid():
        return _message_page(request, message, hide_form=form)
    try:
        actions.do_hide_message(request.user, message, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, error_text(error))
        return _message_page(request, message, hide_form=form)
    messages.success(request, _("The message is hidden."))
    return redirect(_back_to(message))


@login_required
@require_POST
def mute(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """Mute the author of a message in its room for a while."""
    message = access_message(request.user, message_id)
    if not message.room.get_abilities(request.user)["moderate"]:
        raise PermissionDenied(_("Only the moderators of this room can mute someone."))
    form = MuteForm(request.POST, prefix="mute")
    if not form.is_valid():
        return _message_page(request, message, mute_form=form)
    try:
        actions.do_mute_person(
            request.user, message.room, message.author,
            minutes=form.cleaned_data["minutes"], reason=form.cleaned_data["reason"],
        )
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, error_text(error))
        return _message_page(request, message, mute_form=form)
    messages.success(request, _("%(name)s cannot write in this room for now.")
                     % {"name": message.author.public_name})
    return redirect(_back_to(message))


# --- Direct messages ---------------------------------------------------------------


def people_i_share_a_room_with(user: User) -> Any:
    """The people of my subgroups, of my conversations and, for staff, the staff — but me.

    Not the whole plenary: a list of two hundred names helps nobody pick.
    """
    from accounts.roles import user_roles
    from assembly.models import Subgroup

    subgroups = Subgroup.objects.filter(Q(members=user) | Q(facilitators=user))
    shared = (
        Q(subgroups__in=subgroups) | Q(facilitated_subgroups__in=subgroups)
        | Q(rooms__participants=user)
    )
    if user_roles(user) & STAFF_ROLES:
        shared |= Q(groups__name__in=[role.value for role in STAFF_ROLES])
    people = User.objects.filter(shared)
    return (User.objects.filter(pk__in=people.values("pk"), is_active=True)
            .exclude(pk=user.pk).order_by("display_name", "first_name"))


@login_required
def direct_new(request: AuthenticatedRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = DirectRoomForm(data, people=people_i_share_a_room_with(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            room = actions.do_create_direct_room(
                request.user, participants=[request.user, *form.cleaned_data["participants"]]
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            return redirect("forums:room", room.pk)
    return render(request, "forums/direct_new.html", {"form": form})


# --- Voice messages and files ------------------------------------------------------


@login_required
@require_POST
def voice(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """A recording sent by voice.js (multipart); answers JSON to it, redirects a plain form."""
    room = access_room(request.user, room_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    form = VoiceForm(request.POST, request.FILES)
    error = ""
    if form.is_valid():
        try:
            message, _created = do_add_voice_message(
                request.user, room, upload=form.cleaned_data["audio"],
                transcript=form.cleaned_data["transcript"],
                client_id=form.cleaned_data["client_id"] or uuid.uuid4(),
            )
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
        else:
            if wants_json:
                return JsonResponse({"message": queries.serialize_message(message, request.user)})
            return redirect(reverse("forums:room", args=[room.pk]) + f"#m{message.pk}")
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if wants_json:
        return JsonResponse({"error": error}, status=400)
    messages.error(request, error)
    return redirect("forums:room", room.pk)


@login_required
@require_GET
def attachment(request: AuthenticatedRequest, attachment_id: uuid.UUID) -> FileResponse:
    """A file of a message, checked on every request. Only audio ever plays inline."""
    try:
        item = Attachment.objects.select_related("message").get(pk=attachment_id)
    except Attachment.DoesNotExist as exc:
        raise Http404 from exc
    message = access_message(request.user, item.message_id)
    if not message.is_visible and not message.room.get_abilities(request.user)["moderate"]:
        raise Http404
    inline = item.content_type.startswith("audio/")
    response = FileResponse(
        item.file.open("rb"), as_attachment=not inline, filename=item.name,
        content_type=item.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Preferences -------------------------------------------------------------------


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    from gdpr.consent import has_consent
    from gdpr.models import OptionalPurpose

    pref, _created = NotificationPreference.objects.get_or_create(user=request.user)
    form = PreferenceForm(request.POST if request.method == "POST" else None, instance=pref)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your choices are saved."))
        return redirect("forums:preferences")
    return render(request, "forums/preferences.html", {
        "form": form, "digest": has_consent(request.user, OptionalPurpose.EMAIL_DIGEST),
    })


@require_POST
def upload_refused(request: HttpRequest) -> HttpResponse:
    """The rich-text editor's upload address: posts carry no uploaded images."""
    return JsonResponse({"error": {"message": _("Images cannot be added here.")}}, status=403)
