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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.roles import STAFF_ROLES
from config.dates import format_when
from config.errors import error_text
from documents.files import ALLOWED
from forums import actions, attachments, queries
from forums.access import (
    access_message,
    access_room,
    access_thread,
    access_voice_draft,
    readable_rooms,
)
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
    MESSAGE_MAX_LENGTH,
    Attachment,
    Message,
    NotificationPreference,
    ReadMarker,
    Room,
    RoomKind,
    Thread,
    VoiceDraft,
)
from forums.notifications import mark_connected
from forums.transcription import do_add_voice_draft, draft_state
from forums.transcription import enabled as transcription_enabled
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
        "transcribing": _("Automatic transcript in progress…"),
        "transcript_retry_failed": _("The transcript could not be asked again."),
        "draft_running": _("The platform is writing what you say… You may send now: the "
                           "transcript will be added when ready."),
        "draft_done": _("Proposed transcript: correct it if needed, then send."),
        "draft_failed": _("No transcript could be proposed (%(reason)s): you may write it, "
                          "or send as it is."),
        "seconds": _("%(sec)d s"),
        "minutes": _("%(min)d min %(sec)02d s"),
        # JS has no plural rules: both forms are sent (one: count 1, many: above).
        "unseen_one": ngettext("%(count)s new message", "%(count)s new messages", 1),
        "unseen_many": ngettext("%(count)s new message", "%(count)s new messages", 2),
        "chars_left": _("%(left)s characters left"),
        "chars_over": _("%(over)s characters too many: shorten the message or send it in "
                        "several parts. Nothing will be cut."),
        "replying_to": _("In reply to %(name)s"),
        "editing": _("Editing your message"),
        "edit_failed": _("The message could not be changed."),
        "delete_confirm": _("Delete this message? This cannot be undone."),
        "link_copied": _("Link copied."),
        "link_copy_failed": _("Copy this link: %(url)s"),
        "marked_unread": _("Marked as unread from this message."),
        "file_too_large": _("« %(name)s » is too large: %(max)s MB at most."),
        "file_too_many": _("%(max)s files at most per message."),
        "remove_file": _("Remove %(name)s"),
        "sending_files": _("Sending the files…"),
        "online_person": _("online"),
        "offline_person": _("offline"),
        "online_count": _("%(count)s online"),
        "reacted": _("Your reaction is added."),
        "unreacted": _("Your reaction is removed."),
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


def why_read_only(room: Room, user: User) -> str:
    """One sentence saying why this person reads the room without writing in it."""
    from accounts.roles import Role, user_roles

    if room.archived_at is not None:
        return _("This room is archived: it can still be read, no longer written in.")
    mute = room.mutes.filter(user=user, until__gt=timezone.now()).order_by("-until").first()
    if mute is not None:
        return _("A moderator stopped you from writing here until %(until)s: %(reason)s") % {
            "until": format_when(mute.until),
            "reason": mute.reason,
        }
    roles = user_roles(user)
    if room.kind == RoomKind.PLENARY and Role.REMPLACANT in roles:
        return _("Substitutes read the plenary; you will be able to write if a seat "
                 "becomes free.")
    if room.kind == RoomKind.SUBGROUP and Role.DCCU in roles:
        return _("The DCCU team reads the subgroups' rooms to moderate them, without "
                 "writing in them.")
    return _("You can read this room but not write in it.")


def room_people(room: Room) -> list[User]:
    """Who is in the room (who reads it by their place), with their shown names."""
    from deliberation.people import label_people

    if room.kind == RoomKind.SUBGROUP and room.subgroup is not None:
        people = Q(subgroups=room.subgroup) | Q(facilitated_subgroups=room.subgroup)
    elif room.kind == RoomKind.PLENARY:
        people = plenary_people()
    elif room.kind == RoomKind.STAFF:
        people = Q(groups__name__in=[role.value for role in STAFF_ROLES])
    elif room.kind == RoomKind.DIRECT:
        people = Q(rooms=room)
    else:
        return []
    people |= Q(rooms=room)  # guests
    listed = list(User.objects.filter(pk__in=User.objects.filter(people).values("pk"),
                                      is_active=True)
                  .order_by("display_name", "first_name"))
    label_people(listed)
    return listed


def plenary_people() -> Q:
    """Everyone who reads the plenary: current members, and the assembly's staff groups."""
    from accounts.roles import ASSEMBLY_ROLES, MEMBER_ROLES
    from assembly.models import Membership

    groups = [role.value for role in ASSEMBLY_ROLES - MEMBER_ROLES]
    return (Q(pk__in=Membership.objects.current().values("user"))
            | Q(groups__name__in=groups))


def _room_context(
    request: AuthenticatedRequest, room: Room, *, form: MessageForm | None = None,
    limit: int = HISTORY_SIZE, target: int | None = None,
) -> dict[str, Any]:
    abilities = room.get_abilities(request.user)
    thread = actions.default_thread(room)
    history = queries.history(request.user, room, thread=thread, limit=limit)
    last_read = _last_read(request.user, thread)
    first_unread = next((m.pk for m in history if m.pk > last_read
                         and m.author_id != request.user.pk), None)
    if history and history[-1].pk > last_read:
        actions.do_mark_read(request.user, thread, up_to_id=history[-1].pk)
    return {
        "room": room,
        "thread": thread,
        "abilities": abilities,
        "history": history,
        "has_older": len(history) == limit,
        "first_unread": first_unread,
        "target": target,
        "form": form or MessageForm(initial={"client_id": uuid.uuid4()}),
        "voice_form": VoiceForm(),
        "charter": charter_text(room),
        "last_id": history[-1].pk if history else 0,
        "chat_text": chat_text(),
        "voice_max_seconds": settings.FORUMS_VOICE_MAX_SECONDS,
        "voice_transcribed": transcription_enabled(),
        "read_only_reason": "" if abilities["write"] else why_read_only(room, request.user),
        "people": room_people(room),
        "max_length": MESSAGE_MAX_LENGTH,
        "file_max_bytes": attachments.max_bytes(),
        "file_max_count": attachments.MAX_FILES,
        "file_types": ",".join(sorted({f".{ext}" for kind in ALLOWED.values()
                                       for ext in kind.extensions})),
    }


@login_required
@require_GET
def room(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """The live chat of a room: the last messages, rendered here so they read without JS.

    ``?message=<id>`` (a message's link) opens it at that message: enough history is
    loaded to hold it, else its own page says where it was.
    """
    room = access_room(request.user, room_id)
    # Someone reading the room now needs no email about it (the socket refreshes this too).
    mark_connected(request.user.pk)
    limit, target = HISTORY_SIZE, None
    wanted = request.GET.get("message", "")
    if wanted.isdigit():
        thread = actions.default_thread(room)
        if Message.objects.filter(pk=int(wanted), thread=thread).exists():
            target = int(wanted)
            newer = Message.objects.filter(thread=thread, pk__gte=target).count()
            if newer + 5 > queries.HISTORY_MAX:
                return redirect("forums:message", target)
            limit = max(HISTORY_SIZE, newer + 5)
    return render(request, "forums/room.html",
                  _room_context(request, room, limit=limit, target=target))


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
    """The composer without JS, and with files (chat.js sends plain text over the socket).

    A refused message comes back in the composer with the reason: nothing typed is lost.
    ``Accept: application/json`` (chat.js sending files): the message, or the error.
    """
    room = access_room(request.user, room_id)
    wants_json = "application/json" in request.headers.get("Accept", "")
    thread_id = request.POST.get("thread")
    thread = access_thread(request.user, thread_id) if thread_id else None
    if thread is not None and thread.room_id != room.pk:
        raise Http404
    reply_to = None
    reply_id = request.POST.get("reply_to", "")
    if reply_id.isdigit():
        reply_to = Message.objects.filter(pk=int(reply_id), room=room).first()
    form = MessageForm(request.POST)
    uploads = request.FILES.getlist("files")
    back = (reverse("forums:thread", args=[thread.pk]) if thread and not thread.is_default
            else reverse("forums:room", args=[room.pk]))
    error = ""
    refused = False  # the person may not write here at all: no composer to refill
    if not form.is_valid():
        error = _("Your message could not be read: try again.")
    else:
        body = form.cleaned_data["body"]
        try:
            if uploads:
                message, _created = attachments.do_send_with_files(
                    request.user, room, body=body, uploads=uploads,
                    client_id=form.cleaned_data["client_id"], thread=thread, reply_to=reply_to,
                )
            else:
                message, _created = actions.do_send_message(
                    request.user, room, body=body, client_id=form.cleaned_data["client_id"],
                    thread=thread, reply_to=reply_to,
                )
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
            refused = isinstance(exc, PermissionDenied)
        else:
            if wants_json:
                return JsonResponse({"message": queries.serialize_message(message, request.user)})
            return redirect(f"{back}#m{message.pk}")
    if wants_json:
        return JsonResponse({"error": error}, status=400)
    if (refused or not (form.data.get("body") or "").strip()
            or thread is not None and not thread.is_default):
        messages.error(request, error)
        return redirect(back)
    # Something was written: the page again with the text in the composer and the reason.
    kept = MessageForm(initial={"client_id": uuid.uuid4(), "body": form.data.get("body", "")})
    context = _room_context(request, room, form=kept)
    context["composer_error"] = error
    context["composer_text"] = form.data.get("body", "")
    return render(request, "forums/room.html", context, status=400)


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
        "mine": set(message.reactions.filter(user=request.user).values_list("emoji", flat=True)),
    }
    return render(request, "forums/message.html", context, status=400 if forms else 200)


def _back_to(message: Message) -> str:
    if message.thread.is_default:
        return reverse("forums:room", args=[message.room_id]) + f"#m{message.pk}"
    return reverse("forums:thread", args=[message.thread_id]) + f"#m{message.pk}"


@login_required
@require_GET
def message_detail(request: AuthenticatedRequest, message_id: int) -> HttpResponse:
    """One message with what can be done about it: report, and for moderators hide or mute.

    As JSON (chat.js), the message as the socket sends it: the page asks for a voice
    whose transcript is on its way, in case the worker's event does not reach it (one
    process with the in-memory channel layer, or an event dropped by the layer)."""
    message = access_message(request.user, message_id)
    if "application/json" in request.headers.get("Accept", ""):
        fresh = queries.with_related(Message.objects.filter(pk=message.pk)).get()
        return JsonResponse({"message": queries.serialize_message(fresh, request.user)})
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
    """Everyone I may write to: the people of my subgroups, of my conversations, the staff
    for staff, and everyone who shares the plenary with me — but me."""
    from accounts.roles import ASSEMBLY_ROLES, user_roles
    from assembly.models import Subgroup

    subgroups = Subgroup.objects.filter(Q(members=user) | Q(facilitators=user))
    shared = (
        Q(subgroups__in=subgroups) | Q(facilitated_subgroups__in=subgroups)
        | Q(rooms__participants=user)
    )
    roles = user_roles(user)
    if roles & STAFF_ROLES:
        shared |= Q(groups__name__in=[role.value for role in STAFF_ROLES])
    if roles & ASSEMBLY_ROLES:
        shared |= plenary_people()
    people = User.objects.filter(shared)
    return (User.objects.filter(pk__in=people.values("pk"), is_active=True)
            .exclude(pk=user.pk).order_by("display_name", "first_name"))


def close_people(user: User) -> set[Any]:
    """The ids of the people of my subgroups: listed first when I start a conversation."""
    from assembly.models import Subgroup

    subgroups = Subgroup.objects.filter(Q(members=user) | Q(facilitators=user))
    return set(User.objects.filter(
        Q(subgroups__in=subgroups) | Q(facilitated_subgroups__in=subgroups)
    ).values_list("pk", flat=True)) - {user.pk}


def why_nobody(user: User) -> str:
    from accounts.roles import ASSEMBLY_ROLES, user_roles

    if not user_roles(user) & ASSEMBLY_ROLES:
        return _("You have no place in the assembly yet, so there is nobody to write to. "
                 "The DCCU team can tell you more.")
    return _("Nobody shares a room with you yet: once people join your subgroup or the "
             "plenary, you can write to them here.")


@login_required
def direct_new(request: AuthenticatedRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    people = people_i_share_a_room_with(request.user)
    # « ?avec=<id> » (a person found by the header's search): that person ticked, the list
    # narrowed to their name. Anyone else's id is ignored, as if not given.
    chosen = None
    wanted = request.GET.get("avec", "")
    if data is None and wanted:
        try:
            chosen = people.filter(pk=uuid.UUID(wanted)).first()
        except ValueError:
            chosen = None
    initial = {"participants": [chosen.pk]} if chosen is not None else {}
    form = DirectRoomForm(data, initial=initial, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            room = actions.do_create_direct_room(
                request.user, participants=[request.user, *form.cleaned_data["participants"]]
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            return redirect("forums:room", room.pk)
    return render(request, "forums/direct_new.html", {
        "form": form, "close": close_people(request.user), "nobody": why_nobody(request.user),
        "chosen_name": chosen.public_name if chosen is not None else "",
    })


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
            draft = None
            if form.cleaned_data["draft"]:
                draft = VoiceDraft.objects.filter(
                    pk=form.cleaned_data["draft"], author=request.user
                ).first()
                if draft is None:  # sent already, or replaced by a newer recording
                    raise ValidationError(_("This recording is no longer available: "
                                            "record it again."), code="not_found")
            message, _created = do_add_voice_message(
                request.user, room, upload=form.cleaned_data["audio"], draft=draft,
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
@require_POST
def voice_draft(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    """voice.js uploads a recording before it is sent, for the platform to propose its
    transcript (forums/transcription.py); answers the draft's state, polled below."""
    room = access_room(request.user, room_id)
    if not room.get_abilities(request.user)["write"]:
        raise PermissionDenied(_("You cannot write in this room."))
    form = VoiceForm(request.POST, request.FILES)
    if not form.is_valid() or not form.cleaned_data["audio"]:
        return JsonResponse({"error": _("The recording is empty.")}, status=400)
    try:
        draft = do_add_voice_draft(request.user, room, upload=form.cleaned_data["audio"])
    except (ValidationError, PermissionDenied) as exc:
        return JsonResponse({"error": error_text(exc)}, status=400)
    return JsonResponse({
        **draft_state(draft), "url": reverse("forums:voice_draft_state", args=[draft.pk]),
    })


@login_required
@require_GET
def voice_draft_state(request: AuthenticatedRequest, draft_id: uuid.UUID) -> HttpResponse:
    """Where the proposed transcript of one's recording stands (404 for anyone else)."""
    return JsonResponse(draft_state(access_voice_draft(request.user, draft_id)))


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
    # Audio plays in the page; checked raster images (forums.attachments) show as
    # thumbnails when asked for with ?voir=1; everything else is a download.
    inline = item.content_type.startswith("audio/") or (
        item.content_type in attachments.IMAGE_TYPES and request.GET.get("voir") == "1"
    )
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
