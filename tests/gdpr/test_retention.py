"""Retention: what the declarations make due is reported, then carried out, once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection, models
from django.db.models import F
from django.test import Client
from django.test.utils import isolate_apps
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.demo import enrol_demo_totp
from accounts.models import Invitation, User
from accounts.roles import Role
from assembly.models import Assembly, Subgroup
from gdpr import registry
from gdpr.models import AuditEntry, RetentionRun
from gdpr.registry import Anchor, Erasure, LegalBasis, Retention, declarations
from gdpr.retention import (
    RetentionConfigError,
    check_declaration,
    do_run_retention,
    due_queryset,
    ensure_scheduled,
    next_run_at,
    retention_task,
)
from tests import factories

PARIS = ZoneInfo("Europe/Paris")


def _paris(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=PARIS)


def _summary(run: RetentionRun) -> dict[str, dict[str, Any]]:
    return {line["model"]: line for line in run.summary}


def _session(expire_date: dt.datetime) -> str:
    store = SessionStore()
    store["_auth_user_id"] = "x"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=expire_date)
    assert store.session_key is not None
    return store.session_key


def _invitation(email: str, *, expired_days_ago: int, accepted: bool = False) -> Invitation:
    now = timezone.now()
    return Invitation.objects.create(
        email=email,
        role=Role.AGENT,
        token_hash=email.ljust(64, "0")[:64],
        expires_at=now - dt.timedelta(days=expired_days_ago),
        accepted_at=now - dt.timedelta(days=expired_days_ago + 5) if accepted else None,
    )


def _old_audit(days_ago: int) -> AuditEntry:
    return AuditEntry.objects.create(
        action="test.old", at=timezone.now() - dt.timedelta(days=days_ago)
    )


@pytest.fixture
def backdated(db: Any) -> dict[str, Any]:
    """Rows past their retention, and neighbours that are not."""
    now = timezone.now()
    return {
        "expired_sessions": [_session(now - dt.timedelta(hours=1)) for _ in range(3)],
        "live_session": _session(now + dt.timedelta(days=3)),
        "unused_invitation": _invitation("vieux@example.org", expired_days_ago=31),
        "recent_unused_invitation": _invitation("recent@example.org", expired_days_ago=10),
        "accepted_invitation": _invitation("accepte@example.org", expired_days_ago=400,
                                           accepted=True),
        "old_audit": [_old_audit(400) for _ in range(2)],
        "recent_audit": _old_audit(30),
    }


def test_every_declared_retention_can_be_carried_out() -> None:
    problems = {d.label: check_declaration(d) for d in declarations()}
    assert {label: p for label, p in problems.items() if p} == {}


@pytest.mark.parametrize(
    ("since", "problem"),
    [
        # No global « end of the mandate » any more: each rule names its row's assembly.
        ("mandate_end", "no field 'mandate_end'"),
        ("room__mandate__title", "is not a date"),
        ("mentions__date_joined", "is many-valued"),
        (Anchor("a text", F("body")), "'a text' is not a date"),
        (Anchor("nowhere", F("room__nowhere")), "'nowhere' cannot be worked out"),
        ((), "no date to count from"),
        (("created_at", "mandate_end"), "no field 'mandate_end'"),
    ],
)
def test_rules_the_job_cannot_carry_out_are_refused(since: Any, problem: str) -> None:
    from dataclasses import replace

    from forums.models import Message

    declaration = registry.get_declaration(Message)
    assert declaration is not None
    broken = replace(declaration, retention=Retention("test", days=365, since=since))

    problems = check_declaration(broken)

    assert any(problem in p for p in problems), problems
    with pytest.raises(RetentionConfigError):
        due_queryset(broken, now=timezone.now())


@pytest.mark.django_db
def test_dry_run_reports_what_is_due_and_changes_nothing(backdated: dict[str, Any]) -> None:
    sessions_before = Session.objects.count()
    invitations_before = Invitation.objects.count()
    out = StringIO()

    call_command("gdpr_retention", stdout=out)

    assert Session.objects.count() == sessions_before
    assert Invitation.objects.count() == invitations_before
    assert AuditEntry.objects.filter(action="test.old").count() == 3
    run = RetentionRun.objects.get()
    assert run.applied is False and run.finished_at is not None and run.error == ""
    lines = _summary(run)
    assert lines["sessions.Session"]["due"] == 3
    assert lines["accounts.Invitation"]["due"] == 1
    assert lines["gdpr.AuditEntry"]["due"] == 2
    assert all(line["processed"] == 0 for line in run.summary)
    text = out.getvalue()
    assert "Dry run: nothing changed" in text
    assert "--apply" in text
    assert "sessions.Session" in text


@pytest.mark.django_db
def test_apply_removes_what_is_due_and_a_second_run_changes_nothing(
    backdated: dict[str, Any],
) -> None:
    call_command("gdpr_retention", "--apply", "--batch-size", "2", stdout=StringIO())

    assert not Session.objects.filter(session_key__in=backdated["expired_sessions"]).exists()
    assert Session.objects.filter(session_key=backdated["live_session"]).exists()
    remaining = set(Invitation.objects.values_list("email", flat=True))
    assert remaining == {"recent@example.org", "accepte@example.org"}
    assert list(AuditEntry.objects.filter(action="test.old").values_list("pk", flat=True)) == [
        backdated["recent_audit"].pk
    ]
    first = _summary(RetentionRun.objects.get(applied=True))
    assert first["sessions.Session"]["processed"] == 3
    assert first["accounts.Invitation"]["processed"] == 1
    assert first["gdpr.AuditEntry"]["processed"] == 2

    snapshot = (Session.objects.count(), Invitation.objects.count())
    call_command("gdpr_retention", "--apply", stdout=StringIO())

    assert (Session.objects.count(), Invitation.objects.count()) == snapshot
    second = RetentionRun.objects.filter(applied=True).order_by("-id").first()
    assert second is not None
    assert all(line["due"] == 0 and line["processed"] == 0 for line in second.summary)


@pytest.mark.django_db
def test_each_run_is_logged_and_audited(backdated: dict[str, Any]) -> None:
    run = do_run_retention(None, apply=True, trigger="command")

    entry = AuditEntry.objects.get(action="gdpr.retention.apply")
    assert entry.object_id == str(run.pk)
    assert entry.details["processed"] == 3 + 1 + 2
    assert entry.details["failed"] == []


@pytest.fixture
def ended_assembly(db: Any) -> Assembly:
    today = timezone.localdate()
    return factories.make_assembly(
        name="Première assemblée",
        mandate_start=today - dt.timedelta(days=1000),
        mandate_end=today - dt.timedelta(days=400),
    )


@pytest.mark.django_db
def test_subgroups_of_an_assembly_over_for_a_year_lose_their_member_lists(
    ended_assembly: Assembly, assembly: Assembly
) -> None:
    from assembly import actions

    old_mandate = factories.make_mandate(
        ended_assembly, start=ended_assembly.mandate_start, end=ended_assembly.mandate_end
    )
    old_member = factories.make_titulaire(ended_assembly)
    old = actions.do_create_subgroup(None, mandate=old_mandate, name="Mobilités",
                                     members=[old_member])
    current_member = factories.make_titulaire(assembly)
    current = actions.do_create_subgroup(None, mandate=factories.make_mandate(assembly),
                                         name="Mobilités", members=[current_member])

    do_run_retention(None, apply=True)

    old.refresh_from_db()
    assert list(old.members.all()) == []
    assert Subgroup.objects.filter(pk=old.pk).exists()  # the work stays
    assert list(current.members.all()) == [current_member]
    second = _summary(do_run_retention(None, apply=True))
    assert second["assembly.Subgroup"]["due"] == 0


@pytest.mark.django_db
def test_inactive_accounts_are_due_for_erasure_a_year_after_the_mandate(
    ended_assembly: Assembly, assembly: Assembly
) -> None:
    long_ago = timezone.now() - dt.timedelta(days=800)
    gone = factories.UserFactory(email="parti@example.org", date_joined=long_ago,
                                 last_login=long_ago)
    never = factories.UserFactory(email="jamais@example.org", date_joined=long_ago)
    factories.UserFactory(email="actif@example.org", date_joined=long_ago,
                          last_login=timezone.now() - dt.timedelta(days=3))
    factories.UserFactory(email="nouveau@example.org")  # joined today, never logged in
    seated = factories.make_titulaire(assembly, email="siege@example.org",
                                      date_joined=long_ago, last_login=long_ago)

    user_declaration = registry.get_declaration(User)
    assert user_declaration is not None
    due = due_queryset(user_declaration, now=timezone.now())

    assert set(due.values_list("email", flat=True)) == {gone.email, never.email}
    assert seated.email not in set(due.values_list("email", flat=True))


@pytest.mark.django_db
def test_nothing_counted_from_the_mandate_end_is_due_before_any_mandate_ends(
    assembly: Assembly,
) -> None:
    factories.UserFactory(date_joined=timezone.now() - dt.timedelta(days=2000))
    lines = _summary(do_run_retention(None, apply=False))
    assert lines["accounts.User"]["due"] == 0


@pytest.mark.django_db
def test_retention_erases_inactive_people_through_the_erasure_engine(
    ended_assembly: Assembly, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gdpr.erasure

    long_ago = timezone.now() - dt.timedelta(days=800)
    gone = factories.UserFactory(email="parti@example.org", date_joined=long_ago,
                                 last_login=long_ago)
    calls: list[tuple[Any, Any, str]] = []

    real_erase = gdpr.erasure.erase_person

    def spy(person: User, *, actor: Any = None, reason: str = "") -> Any:
        calls.append((person.pk, actor, reason))
        return real_erase(person, actor=actor, reason=reason)

    monkeypatch.setattr(gdpr.erasure, "erase_person", spy)
    run = do_run_retention(None, apply=True)

    assert calls == [(gone.pk, None, "retention:accounts.User")]
    gone.refresh_from_db()
    assert gone.erased_at is not None and gone.email != "parti@example.org"
    assert _summary(run)["accounts.User"]["processed"] == 1
    again = do_run_retention(None, apply=True)
    assert _summary(again)["accounts.User"]["due"] == 0
    assert len(calls) == 1


# --- Files of deleted rows -------------------------------------------------------------------


@pytest.fixture
def file_models(
    transactional_db: Any, tmp_path: Path
) -> Iterator[tuple[type[models.Model], type[models.Model]]]:
    """A declared model with files and an undeclared one hanging on it (CASCADE) with
    files of its own, their tables created for the test, the declaration removed."""
    storage = FileSystemStorage(location=str(tmp_path))
    with isolate_apps("gdpr"):

        class Attachment(models.Model):
            upload = models.FileField(storage=storage, upload_to="pj/")
            created_at = models.DateTimeField()

            class Meta:
                app_label = "gdpr"

            def __str__(self) -> str:
                return self.upload.name

        class Page(models.Model):
            attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE)
            scan = models.FileField(storage=storage, upload_to="pages/")

            class Meta:
                app_label = "gdpr"

            def __str__(self) -> str:
                return self.scan.name

        with connection.schema_editor() as editor:
            editor.create_model(Attachment)
            editor.create_model(Page)
        registry.declare(
            Attachment,
            fields=("upload", "created_at"),
            files=("upload",),
            purpose="test",
            legal_basis=LegalBasis.PUBLIC_TASK,
            retention=Retention("30 days", days=30, since="created_at"),
            erasure=Erasure.DELETE,
            categories_of_people="test",
            recipients="test",
        )
        try:
            yield Attachment, Page
        finally:
            registry._REGISTRY.pop(Attachment._meta.label, None)
            with connection.schema_editor() as editor:
                editor.delete_model(Page)
                editor.delete_model(Attachment)


@pytest.fixture
def attachment_model(file_models: tuple[type[models.Model], type[models.Model]]) -> Any:
    return file_models[0]


def test_files_of_deleted_rows_are_deleted_too(attachment_model: Any) -> None:
    now = timezone.now()
    old = attachment_model(created_at=now - dt.timedelta(days=40))
    old.upload.save("vieux.txt", ContentFile(b"ancien"), save=True)
    kept = attachment_model(created_at=now - dt.timedelta(days=2))
    kept.upload.save("recent.txt", ContentFile(b"recent"), save=True)
    storage = old.upload.storage

    run = do_run_retention(None, apply=True)

    assert not storage.exists(old.upload.name)
    assert storage.exists(kept.upload.name)
    assert list(attachment_model.objects.values_list("pk", flat=True)) == [kept.pk]
    line = _summary(run)["gdpr.Attachment"]
    assert (line["due"], line["processed"], line["files"]) == (1, 1, 1)


def test_files_of_rows_deleted_by_cascade_are_deleted_too(
    file_models: tuple[Any, Any],
) -> None:
    attachment_model, page_model = file_models
    now = timezone.now()
    old = attachment_model(created_at=now - dt.timedelta(days=40))
    old.upload.save("vieux.txt", ContentFile(b"ancien"), save=True)
    page = page_model(attachment=old)
    page.scan.save("page1.png", ContentFile(b"scan"), save=True)
    kept = attachment_model(created_at=now - dt.timedelta(days=2))
    kept.upload.save("recent.txt", ContentFile(b"recent"), save=True)
    kept_page = page_model(attachment=kept)
    kept_page.scan.save("page2.png", ContentFile(b"scan"), save=True)
    storage = old.upload.storage

    run = do_run_retention(None, apply=True)

    assert not storage.exists(page.scan.name)  # went with its row, by cascade
    assert not storage.exists(old.upload.name)
    assert storage.exists(kept_page.scan.name) and storage.exists(kept.upload.name)
    assert list(page_model.objects.values_list("pk", flat=True)) == [kept_page.pk]
    assert _summary(run)["gdpr.Attachment"]["files"] == 2


# --- The daily schedule --------------------------------------------------------------------------


def _queued() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(
            task_path=retention_task.module_path, status=TaskResultStatus.READY
        )
    )


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_paris(2026, 3, 10, 1, 30), _paris(2026, 3, 10, 3, 0)),
        (_paris(2026, 3, 10, 3, 0), _paris(2026, 3, 11, 3, 0)),
        (_paris(2026, 3, 10, 22, 0), _paris(2026, 3, 11, 3, 0)),
        # The nights the clocks change: 03:00 exists once on both.
        (_paris(2026, 3, 28, 23, 0), _paris(2026, 3, 29, 3, 0)),
        (_paris(2026, 10, 24, 23, 0), _paris(2026, 10, 25, 3, 0)),
    ],
)
def test_next_run_is_the_next_three_oclock_in_paris(
    now: dt.datetime, expected: dt.datetime
) -> None:
    assert next_run_at(now) == expected


@pytest.mark.django_db
def test_schedule_queues_exactly_one_future_run() -> None:
    out = StringIO()
    call_command("gdpr_retention", "--schedule", stdout=out)
    call_command("gdpr_retention", "--schedule", stdout=out)

    queued = _queued()
    assert len(queued) == 1
    assert queued[0].run_after == next_run_at()
    assert "already queued" in out.getvalue()
    assert RetentionRun.objects.count() == 0  # scheduling runs nothing


@pytest.mark.django_db
def test_schedule_removes_duplicate_runs() -> None:
    for _ in range(3):
        retention_task.using(run_after=next_run_at()).enqueue()
    schedule = ensure_scheduled()
    assert schedule.removed_duplicates == 2
    assert len(_queued()) == 1


@pytest.mark.django_db
def test_the_scheduled_task_applies_retention_and_queues_the_next_run(
    backdated: dict[str, Any],
) -> None:
    run_id = retention_task.call()

    run = RetentionRun.objects.get(pk=run_id)
    assert run.applied and run.trigger == "schedule"
    assert not Session.objects.filter(session_key__in=backdated["expired_sessions"]).exists()
    queued = _queued()
    assert len(queued) == 1 and queued[0].run_after == next_run_at()


# The real worker commits and checks its connection: it needs a transactional test
# (inside the test's atomic block PostgreSQL's connection would be closed under it).
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_due_retention_task_and_it_requeues_itself(
    backdated: dict[str, Any],
) -> None:
    retention_task.enqueue()  # due now, as if 03:00 had come

    call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")

    assert RetentionRun.objects.filter(applied=True, trigger="schedule").count() == 1
    queued = _queued()
    assert len(queued) == 1 and queued[0].run_after > timezone.now()


# --- Who may run it ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.DCCU, Role.FACILITATEUR, Role.AGENT])
def test_only_the_dpo_may_ask_for_a_dry_run(role: Role) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_run_retention(factories.UserFactory(roles=[role]), apply=False)


@pytest.mark.django_db
def test_nobody_applies_retention_by_hand_from_the_web() -> None:
    from django.core.exceptions import PermissionDenied

    dpo = factories.UserFactory(roles=[Role.DPD])
    with pytest.raises(PermissionDenied):
        do_run_retention(dpo, apply=True)
    assert RetentionRun.objects.count() == 0


# --- The DPO's page ------------------------------------------------------------------------------


@pytest.fixture
def dpo_client(db: Any) -> Client:
    dpo = factories.UserFactory(email="dpd@example.org", roles=[Role.DPD])
    enrol_demo_totp(dpo)
    client = Client()
    client.force_login(dpo)
    return client


@pytest.mark.django_db
def test_dpo_sees_the_last_runs_and_what_each_did(
    dpo_client: Client, backdated: dict[str, Any]
) -> None:
    do_run_retention(None, apply=True, trigger="schedule")

    response = dpo_client.get("/dpd/conservation/")

    assert response.status_code == 200
    runs = response.context["runs"]
    assert len(runs) == 1 and runs[0].applied
    lines = {line["model"]: line for line in runs[0].lines}
    assert lines["sessions.Session"]["processed"] == 3


@pytest.mark.django_db
def test_dpo_launches_a_dry_run_from_the_page(
    dpo_client: Client, backdated: dict[str, Any]
) -> None:
    response = dpo_client.post("/dpd/conservation/")

    assert response.status_code == 302 and response["Location"] == "/dpd/conservation/"
    run = RetentionRun.objects.get()
    assert run.applied is False and run.trigger == "dpo"
    assert run.actor is not None and run.actor.email == "dpd@example.org"
    assert Session.objects.filter(session_key__in=backdated["expired_sessions"]).count() == 3
    assert AuditEntry.objects.filter(action="gdpr.retention.dry_run", actor=run.actor).exists()


def test_the_progress_bar_shows_each_declaration_to_its_end() -> None:
    from gdpr.management.commands.gdpr_retention import ProgressBar

    stream = StringIO()
    bar = ProgressBar(stream)
    bar("sessions.Session", 0, 2500)
    bar("sessions.Session", 2500, 2500)
    bar("accounts.Invitation", 0, 0)
    bar.close()

    lines = stream.getvalue().split("\n")
    assert lines[0].rsplit("\r", 1)[-1].startswith("sessions.Session")
    assert "100% 2,500/2,500" in lines[0]
    assert "accounts.Invitation" in lines[1] and "100% 0/0" in lines[1]
    assert stream.getvalue().endswith("\n")
