"""Background tasks of the rights workflow, run by ``manage.py db_worker``.

Arguments are JSON (ids as strings); the work itself lives in
``gdpr.access_copy`` and ``gdpr.rights`` so that commands and tests call the
same functions.
"""

from __future__ import annotations

from django_tasks import task


@task()
def build_access_copy_task(copy_id: str, base_url: str = "") -> str:
    from gdpr.access_copy import build_access_copy

    return str(build_access_copy(copy_id, base_url))


@task()
def request_reminder_task(request_id: str) -> int:
    """Remind the DPD of one request as its deadline nears (scheduled when it is received)."""
    from gdpr.rights import send_due_reminders

    return send_due_reminders(request_ids=[request_id])


@task()
def rights_housekeeping_task() -> dict[str, int]:
    """Reminders for every request near its deadline, and expiry of old access copies."""
    from gdpr.access_copy import expire_access_copies
    from gdpr.rights import send_due_reminders

    return {"reminded": send_due_reminders(), "expired_copies": expire_access_copies()}
