"""factory_boy factories shared by every test module."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, grant_role
from assembly import actions
from assembly.models import Assembly, Canton, Mandate, MandateKind, Seat, SeatCategory
from gdpr.models import ConsentDecision, ConsentRecord, PolicyText, TextKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@example.org")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    display_name = factory.LazyAttribute(lambda o: f"{o.first_name} {o.last_name[0]}.")
    password = factory.django.Password("motdepasse-test")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: Any) -> None:
        for role in extracted or []:
            grant_role(self, role)

    @factory.post_generation
    def accepted_policies(self, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """Has read the current notice and accepted the current charter, as after a first
        login; ``accepted_policies=False`` makes someone the welcome gate stops."""
        if not create or extracted is False:
            return
        for kind, decision in (
            (TextKind.NOTICE, ConsentDecision.READ),
            (TextKind.CHARTER, ConsentDecision.ACCEPTED),
        ):
            text = PolicyText.current(kind)
            if text is not None:
                ConsentRecord.objects.create(user=self, text=text, decision=decision)


def make_assembly(**kwargs: Any) -> Assembly:
    today = timezone.localdate()
    defaults: dict[str, Any] = {
        "name": "Assemblée citoyenne de test",
        "mandate_start": today - dt.timedelta(days=60),
        "mandate_end": today + dt.timedelta(days=540),
    }
    defaults.update(kwargs)
    return actions.do_create_assembly(None, **defaults)


def seat(
    assembly: Assembly, canton: str = "Muret", category: str = SeatCategory.FEMME_18_44
) -> Seat:
    return Seat.objects.get(
        assembly=assembly, canton=Canton.objects.get(name=canton), category=category
    )


def make_titulaire(assembly: Assembly, **user_kwargs: Any) -> User:
    """A full member on the first free seat."""
    user = UserFactory(**user_kwargs)
    free = (
        Seat.objects.filter(assembly=assembly)
        .exclude(memberships__kind="titulaire", memberships__end__isnull=True)
        .first()
    )
    assert free is not None
    actions.do_add_membership(
        None, user=user, seat=free, kind="titulaire", start=assembly.mandate_start
    )
    return user


def make_mandate(assembly: Assembly, **kwargs: Any) -> Mandate:
    defaults: dict[str, Any] = {
        "kind": MandateKind.SAISINE,
        "title": "Mobilités du quotidien",
        "question": "Comment mieux se déplacer dans les territoires ruraux ?",
        "start": assembly.mandate_start,
        "end": assembly.mandate_start + dt.timedelta(days=270),
    }
    defaults.update(kwargs)
    return actions.do_create_mandate(None, assembly=assembly, **defaults)


def birth_date_for_age(age: int, on: dt.date | None = None) -> dt.date:
    """A birth date that makes the person exactly ``age`` on that day."""
    on = on or timezone.localdate()
    return on.replace(year=on.year - age, month=1, day=1) if on.month > 1 else on.replace(
        year=on.year - age - 1, month=2, day=1
    )


def make_substitute(assembly: Assembly, seat: Seat, rank: int = 1, **user_kwargs: Any) -> User:
    """A substitute of ``seat`` with that rank."""
    user = UserFactory(**user_kwargs)
    actions.do_add_membership(
        None,
        user=user,
        seat=seat,
        kind="remplacant",
        substitute_rank=rank,
        start=assembly.mandate_start,
    )
    return user


# --- Conversations (forums) ------------------------------------------------------------


def make_subgroup(
    assembly: Assembly,
    *,
    members: list[User] | None = None,
    facilitators: list[User] | None = None,
    name: str = "Mobilité",
    mandate: Mandate | None = None,
) -> Any:
    """A subgroup of a (new) mandate, with its room (created by the action)."""
    mandate = mandate or Mandate.objects.filter(assembly=assembly).first() or make_mandate(
        assembly
    )
    return actions.do_create_subgroup(
        None, mandate=mandate, name=name, members=members or [],
        facilitators=facilitators or [],
    )


def room_of(subgroup: Any) -> Any:
    from forums.models import Room

    return Room.objects.get(subgroup=subgroup)


def plenary_room(mandate: Mandate) -> Any:
    from forums.actions import ensure_rooms
    from forums.models import Room, RoomKind

    ensure_rooms(mandate)
    return Room.objects.get(mandate=mandate, kind=RoomKind.PLENARY)


def staff_room(mandate: Mandate) -> Any:
    from forums.actions import ensure_rooms
    from forums.models import Room, RoomKind

    ensure_rooms(mandate)
    return Room.objects.get(mandate=mandate, kind=RoomKind.STAFF)


def direct_room(*people: User) -> Any:
    from forums.actions import default_thread
    from forums.models import Room, RoomKind

    room = Room.objects.create(kind=RoomKind.DIRECT, name="", created_by=people[0])
    room.participants.set(people)
    default_thread(room)
    return room


def send(author: User, room: Any, body: str = "Bonjour à toutes et à tous", **kwargs: Any) -> Any:
    """A message sent through the real action (a fresh client_id each time)."""
    import uuid

    from forums.actions import do_send_message

    kwargs.setdefault("client_id", uuid.uuid4())
    message, _created = do_send_message(author, room, body=body, **kwargs)
    return message


# --- The library (documents) -------------------------------------------------------------


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "documents.Theme"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Thème {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class DocumentFactory(factory.django.DjangoModelFactory):
    """A published link for the assembly, unless told otherwise (no file: see make_file)."""

    class Meta:
        model = "documents.Document"
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Document {n}")
    summary = "Un document pour comprendre la question."
    kind = "lien"
    url = factory.Sequence(lambda n: f"https://example.org/doc/{n}")
    audience = "assemblee"
    contributor_type = "service"
    status = "publie"
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def mandates(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.mandates.set(extracted)  # type: ignore[attr-defined]

    @factory.post_generation
    def themes(self, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.themes.set(extracted)  # type: ignore[attr-defined]


def make_file(document: Any, *, version: int = 1, mime_type: str = "application/pdf",
              name: str = "note.pdf", preview: bool = True, uploaded_by: Any = None,
              **kwargs: Any) -> Any:
    """A file version row without bytes in storage (pages and access tests); uploads that
    store real bytes go through documents.files.store_upload."""
    import uuid

    from documents.models import DocumentFile

    return DocumentFile.objects.create(
        document=document, version=version, storage_name=f"library/{uuid.uuid4().hex}",
        original_name=name, size=1234, mime_type=mime_type, sha256="0" * 64,
        preview_name=f"library/previews/{uuid.uuid4().hex}.png" if preview else "",
        uploaded_by=uploaded_by, **kwargs,
    )


def make_path(title: str, documents: list[Any], *, slug: str | None = None) -> Any:
    from django.utils.text import slugify

    from documents.models import ReadingPath, ReadingPathItem

    path = ReadingPath.objects.create(title=title, slug=slug or slugify(title))
    for position, document in enumerate(documents):
        ReadingPathItem.objects.create(path=path, document=document, position=position)
    return path
