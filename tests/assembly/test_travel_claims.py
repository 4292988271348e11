"""Travel claims: receipts through the library's door, decisions by the DCCU."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.roles import Role
from assembly import claims
from assembly.models import Assembly, TravelClaim, TravelReceipt
from tests import factories
from tests.documents.fixtures import makers
from tests.documents.fixtures.makers import upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.LIBRARY_STORAGE = "local"
    settings.CLAMAV_ADDRESS = ""
    return settings.PRIVATE_ROOT  # type: ignore[no-any-return]


def _submit(member: Any, assembly: Assembly, *receipts: Any) -> TravelClaim:
    return claims.do_submit_claim(
        member, assembly, day=timezone.localdate() - dt.timedelta(days=1), session=None,
        origin="Bagnères-de-Luchon", destination="Toulouse", amount="42,80",
        receipts=list(receipts))


def _stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("name", "content"),
    [("billet.pdf", makers.PE), ("billet.pdf", makers.HTML), ("billet.png", makers.SVG),
     ("billet.exe", makers.PE), ("note.odt", makers.odt())],
)
def test_a_hostile_receipt_is_refused_and_nothing_is_kept(
    name: str, content: bytes, assembly: Assembly, private_root: Path
) -> None:
    member = factories.make_titulaire(assembly)
    with pytest.raises(ValidationError) as caught:
        _submit(member, assembly, upload("ticket.pdf", makers.pdf()), upload(name, content))
    assert name in " ".join(caught.value.messages)
    assert not TravelClaim.objects.exists()
    assert _stored(private_root) == []


def test_an_infected_receipt_is_refused(assembly: Assembly, monkeypatch: Any) -> None:
    from documents import files
    from documents.models import ScanStatus

    monkeypatch.setattr(files, "scan_local", lambda path: (ScanStatus.INFECTED, "Eicar"))
    member = factories.make_titulaire(assembly)
    with pytest.raises(ValidationError, match="antivirus"):
        _submit(member, assembly, upload("billet.pdf", makers.pdf()))
    assert not TravelClaim.objects.exists()


def test_a_claim_is_approved_or_refused_with_a_reason(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    staff = factories.UserFactory(roles=[Role.DCCU])
    claim = _submit(member, assembly, upload("billet.pdf", makers.pdf()))
    assert claim.receipts.count() == 1 and str(claim.amount) == "42.80"
    with pytest.raises(PermissionDenied):
        claims.do_decide_claim(member, claim, approve=True)
    with pytest.raises(ValidationError, match="reason|motif"):
        claims.do_decide_claim(staff, claim, approve=False, reason="")
    claims.do_decide_claim(staff, claim, approve=False, reason="Trajet déjà remboursé")
    claim.refresh_from_db()
    assert (claim.status, claim.decision_reason) == ("refusee", "Trajet déjà remboursé")
    with pytest.raises(ValidationError):
        claims.do_decide_claim(staff, claim, approve=True)


def test_a_receipt_is_served_to_its_member_and_the_dccu_only(assembly: Assembly) -> None:
    member, other = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    staff = factories.UserFactory(roles=[Role.DCCU])
    enrol_demo_totp(staff)
    claim = _submit(member, assembly, upload("billet.pdf", makers.pdf()))
    receipt = TravelReceipt.objects.get(claim=claim)
    url = f"/presences/frais/{claim.pk}/justificatif/{receipt.pk}/"
    for person, status in ((member, 200), (staff, 200), (other, 404)):
        client = Client()
        client.force_login(person)
        assert client.get(url).status_code == status
        assert client.get(f"/presences/frais/{claim.pk}/").status_code == status


def test_the_receipt_file_goes_with_its_row(assembly: Assembly, private_root: Path,
                                            django_capture_on_commit_callbacks: Any) -> None:
    member = factories.make_titulaire(assembly)
    claim = _submit(member, assembly, upload("billet.pdf", makers.pdf()))
    assert len(_stored(private_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        claim.delete()
    assert _stored(private_root) == []


def test_the_claim_page_takes_a_receipt(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    client = Client()
    client.force_login(member)
    response = client.post("/presences/frais/", {
        "date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "origin": "Revel", "destination": "Toulouse", "amount": "18,60",
        "receipts": [upload("ticket.pdf", makers.pdf())],
    })
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert TravelClaim.objects.get(user=member).receipts.count() == 1
