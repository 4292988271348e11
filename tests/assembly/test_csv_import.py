"""Importing the draw from a CSV file: all rows or none, with a report per row."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Invitation, InvitationStatus, User
from assembly import actions, csv_import
from assembly.csv_import import canton_key, do_import_members
from assembly.models import Assembly, Membership, SeatCategory
from tests import factories

GOOD_FILE = (
    "nom;prenom;email;canton;categorie;tranche_age;statut;rang\r\n"
    "Dupré;Hélène;Helene.Dupre@example.org;bagneres de luchon;Femme;18-44;titulaire;\r\n"
    "Martin;Jérôme;jerome@example.org;toulouse-3;homme;45+;remplaçant;1\r\n"
    "Garcia;Inès;ines@example.org;SAINT-GAUDENS;femme;45 +;Titulaire;\r\n"
    "Nguyễn;Élodie;elodie@example.org;Léguevin;F;18 – 44;Remplacant;2\r\n"
    ";;;;;;;\r\n"
)


@pytest.fixture
def dccu_client(dccu: User) -> Client:
    Authenticator.objects.create(user=dccu, type=Authenticator.Type.TOTP, data={})
    client = Client()
    client.force_login(dccu)
    return client


def upload(client: Client, content: bytes, capture: Any, name: str = "tirage.csv") -> Any:
    with capture(execute=True):
        return client.post(
            "/invitations/import/", {"file": SimpleUploadedFile(name, content, "text/csv")}
        )


def problems_of(report: csv_import.ImportReport) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in report.problems}


def test_good_file_with_bom_semicolons_and_accents_creates_everything_and_sends_emails(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    response = upload(
        dccu_client, GOOD_FILE.encode("utf-8-sig"), django_capture_on_commit_callbacks
    )

    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok, report.problems
    assert len(report.invitations) == 4

    helene = User.objects.get(email="helene.dupre@example.org")
    assert (helene.first_name, helene.last_name) == ("Hélène", "Dupré")
    assert not helene.is_active and not helene.has_usable_password()
    membership = Membership.objects.get(user=helene)
    assert membership.kind == "titulaire"
    assert membership.seat == factories.seat(
        assembly, "Bagnères-de-Luchon", SeatCategory.FEMME_18_44
    )
    jerome = Membership.objects.get(user__email="jerome@example.org")
    assert (jerome.kind, jerome.substitute_rank) == ("remplacant", 1)
    assert jerome.seat == factories.seat(assembly, "Toulouse-3", SeatCategory.HOMME_45)
    assert Membership.objects.get(user__email="ines@example.org").seat == factories.seat(
        assembly, "Saint-Gaudens", SeatCategory.FEMME_45
    )
    assert Membership.objects.get(user__email="elodie@example.org").substitute_rank == 2

    assert Invitation.objects.filter(user__isnull=False).count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == [
        "elodie@example.org", "helene.dupre@example.org", "ines@example.org",
        "jerome@example.org",
    ]
    assert all(re.search(r"/invitations/[\w-]{20,}/", m.body) for m in mail.outbox)
    assert "<caption>" in response.content.decode()


def test_imported_member_accepts_and_their_account_becomes_active(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    upload(dccu_client, GOOD_FILE.encode("utf-8-sig"), django_capture_on_commit_callbacks)
    message = next(m for m in mail.outbox if m.to == ["ines@example.org"])
    token = re.search(r"/invitations/([\w-]{20,})/", message.body).group(1)  # type: ignore[union-attr]

    visitor = Client()
    response = visitor.post(f"/invitations/{token}/", {"display_name": "Inès"})

    assert response.status_code == 302 and response["Location"] == "/"
    ines = User.objects.get(email="ines@example.org")
    assert ines.is_active and ines.display_name == "Inès"
    assert Membership.objects.filter(user=ines).count() == 1  # not seated twice
    assert visitor.get("/").wsgi_request.user == ines


def test_english_headers_and_commas_without_bom_are_accepted(
    dccu: User, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    data = (
        "last_name,first_name,email,canton,gender,age_band,status,rank\n"
        "Smith,Anna,anna@example.org,Castanet Tolosan,woman,45+,titulaire,\n"
        "Roux,Léo,leo@example.org,Toulouse-11,man,18-44,substitute,3\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        report = do_import_members(dccu, data, base_url="https://agora.example.org/")

    assert report.ok, report.problems
    assert Membership.objects.filter(user__email__in=["anna@example.org", "leo@example.org"]
                                     ).count() == 2
    assert len(mail.outbox) == 2
    assert "https://agora.example.org/invitations/" in mail.outbox[0].body


def test_bad_file_reports_every_problem_by_row_and_imports_nothing(
    dccu_client: Client, assembly: Assembly, member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    member_seat = Membership.objects.get(user=member).seat
    taken_canton = member_seat.canton.name
    existing_substitute = factories.UserFactory()
    actions.do_add_membership(None, user=existing_substitute,
                              seat=factories.seat(assembly, "Revel", SeatCategory.HOMME_18_44),
                              kind="remplacant", substitute_rank=1)
    users_before, memberships_before = User.objects.count(), Membership.objects.count()
    data = (
        "nom;prenom;email;canton;categorie;tranche_age;statut;rang\n"
        "Bon;Alice;alice@example.org;Muret;femme;18-44;titulaire;\n"  # 2: fine alone
        "X;Y;y@example.org;Paris;femme;18-44;titulaire;\n"  # 3: unknown canton
        "X;Y;z@example.org;Revel;autre;18-44;titulaire;\n"  # 4: bad category
        "X;Y;w@example.org;Revel;femme;30-40;titulaire;\n"  # 5: bad age band
        "X;Y;v@example.org;Revel;femme;45+;suppleant;\n"  # 6: bad status
        "X;Y;pas-une-adresse;Revel;homme;45+;titulaire;\n"  # 7: invalid email
        "X;Y;;Blagnac;homme;45+;titulaire;\n"  # 8: missing email
        "X;Y;u@example.org;Revel;homme;45+;remplacant;\n"  # 9: substitute without rank
        "X;Y;t@example.org;muret;Femme;18-44;titulaire;\n"  # 10: same seat as row 2
        f"X;Y;s@example.org;{taken_canton};{member_seat.category[0]};"
        f"{'18-44' if member_seat.category.endswith('18') else '45+'};titulaire;\n"  # 11
        "X;Y;r@example.org;Cazères;homme;18-44;remplacant;1\n"  # 12: fine alone
        "X;Y;q@example.org;Cazeres;homme;18-44;remplacant;1\n"  # 13: same rank as row 12
        "X;Y;p@example.org;Revel;homme;18-44;remplacant;1\n"  # 14: rank taken in database
        "X;Y;ALICE@example.org;Revel;femme;45+;remplacant;1\n"  # 15: same email as row 2
        f"X;Y;{member.email};Auterive;homme;45+;remplacant;4\n"  # 16: has an account
        "X;Y;o@example.org;Revel;femme;45+;titulaire;2\n"  # 17: rank for a titulaire
    ).encode()

    response = upload(dccu_client, data, django_capture_on_commit_callbacks)

    report = response.context["report"]
    assert not report.ok
    assert problems_of(report) == {
        (3, "canton"), (4, "categorie"), (5, "tranche_age"), (6, "statut"), (7, "email"),
        (8, "email"), (9, "rang"), (10, "statut"), (11, "statut"), (13, "rang"), (14, "rang"),
        (15, "email"), (16, "email"), (17, "rang"),
    }
    assert [p.row for p in report.problems] == sorted(p.row for p in report.problems)
    assert User.objects.count() == users_before
    assert Membership.objects.count() == memberships_before
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    page = response.content.decode()
    assert "<caption>" in page and '<th scope="row">13</th>' in page


def test_missing_columns_are_reported_on_the_header_row(
    dccu: User, assembly: Assembly
) -> None:
    report = do_import_members(dccu, b"nom;prenom;email\nA;B;c@example.org\n", base_url="/")

    assert {(1, "canton"), (1, "categorie"), (1, "tranche_age"), (1, "statut")} <= \
        problems_of(report)
    assert not User.objects.filter(email="c@example.org").exists()


def test_file_not_in_utf8_is_refused_with_a_clear_message(
    dccu: User, assembly: Assembly
) -> None:
    data = "nom;prenom\nDupré;Hélène\n".encode("cp1252")
    report = do_import_members(dccu, data, base_url="/")
    assert problems_of(report) == {(0, "")}


def test_too_large_file_is_refused_before_reading(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    data = GOOD_FILE.encode() + b"x" * csv_import.MAX_FILE_BYTES
    response = upload(dccu_client, data, django_capture_on_commit_callbacks)

    assert response.context["form"].errors["file"]
    assert response.context["report"] is None
    assert not Invitation.objects.exists()


def test_too_many_rows_are_refused(
    dccu: User, assembly: Assembly, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_import, "MAX_ROWS", 2)
    report = do_import_members(dccu, GOOD_FILE.encode(), base_url="/")

    assert problems_of(report) == {(0, "")}
    assert not User.objects.filter(email="ines@example.org").exists()


def test_only_the_dccu_can_import(member: User, assembly: Assembly) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_import_members(member, GOOD_FILE.encode(), base_url="/")
    assert not Invitation.objects.exists()


def test_a_pending_individual_invitation_reserves_its_seat(
    dccu: User, assembly: Assembly
) -> None:
    from assembly.invitations import do_invite_person

    do_invite_person(dccu, email="first@example.org", first_name="A", last_name="B",
                     role="titulaire", seat=factories.seat(assembly, "Bagnères-de-Luchon"),
                     base_url="/")
    report = do_import_members(dccu, GOOD_FILE.encode(), base_url="/")

    assert problems_of(report) == {(2, "statut")}
    assert Invitation.objects.get().status == InvitationStatus.PENDING


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("toulouse-3", "Toulouse-3"),
        ("Toulouse 03", "Toulouse-3"),
        ("Bagneres de Luchon", "Bagnères-de-Luchon"),
        ("BAGNÈRES-DE-LUCHON", "Bagnères-de-Luchon"),
        ("St Gaudens", "Saint-Gaudens"),
        ("  plaisance du touch ", "Plaisance-du-Touch"),
    ],
)
def test_canton_names_are_matched_tolerantly(typed: str, official: str) -> None:
    assert canton_key(typed) == canton_key(official)
    assert canton_key("Toulouse-1") != canton_key("Toulouse-11")
