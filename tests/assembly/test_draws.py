"""Drawing lots: reproducible from published inputs, quotas kept, all-or-nothing import,
a public check with no personal data, a command that catches tampering, and who may act."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role, has_role
from assembly import draws
from assembly.models import Assembly, Canton, Membership, MembershipKind, SeatCategory
from assembly.models_draws import Draw, DrawPurpose, DrawStatus, Volunteer
from gdpr.models import AuditEntry
from tests import factories

SEED = "Assemblée plénière du 14 mars 2026"


def _small_inputs() -> dict[str, Any]:
    """Two cantons, four seats each, three volunteers per seat: V01…V24."""
    strata = [f"{c}:{k}" for c in ("muret", "revel") for k in ("f18", "f45", "h18", "h45")]
    people = []
    for number, stratum in enumerate(strata):
        canton, _sep, category = stratum.partition(":")
        for i in range(3):
            people.append([f"V{number * 3 + i + 1:02d}", category[0], category[1:], canton])
    return {"format": draws.INPUTS_FORMAT, "draw": "known", "purpose": "assemblee",
            "rounds": 2, "panel_size": 0, "strata": strata, "quotas": [],
            "algorithm": "legacy", "people": people}


def test_published_inputs_give_the_known_result() -> None:
    """A change of behaviour (library, canonical form, seeding) must be seen here first."""
    result = draws.compute_result(_small_inputs(), SEED)
    assert [(row["id"], row["round"]) for row in result] == [
        ("V01", 0), ("V05", 0), ("V08", 0), ("V10", 0),
        ("V15", 0), ("V18", 0), ("V19", 0), ("V22", 0),
        ("V02", 1), ("V06", 1), ("V07", 1), ("V11", 1),
        ("V14", 1), ("V17", 1), ("V20", 1), ("V23", 1),
    ]
    committee = {**_small_inputs(), "purpose": "comite_suivi", "rounds": 1, "panel_size": 4,
                 "strata": [], "quotas": [
                     {"feature": "age_band", "value": "18", "min": 2, "max": 2},
                     {"feature": "age_band", "value": "45", "min": 2, "max": 2},
                     {"feature": "canton", "value": "*", "min": 0, "max": 3},
                     {"feature": "sex", "value": "f", "min": 2, "max": 2},
                     {"feature": "sex", "value": "h", "min": 2, "max": 2}]}
    assert [row["id"] for row in draws.compute_result(committee, "42")] == [
        "V06", "V08", "V15", "V23"]


def test_another_seed_gives_another_result_and_the_same_seed_the_same() -> None:
    first = draws.compute_result(_small_inputs(), SEED)
    assert draws.compute_result(_small_inputs(), SEED) == first
    assert draws.compute_result(_small_inputs(), SEED + " ") != first


def test_the_hash_is_of_the_canonical_form() -> None:
    inputs = _small_inputs()
    shuffled = dict(reversed(list(inputs.items())))
    assert draws.sha256_of(shuffled) == draws.sha256_of(inputs)
    assert draws.canonical_bytes({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


# --- Generated pools ----------------------------------------------------------------------


def _pool(draw: Draw, size: int, *, per_stratum: int = 2, rng_seed: int = 7) -> None:
    """``size`` volunteers over every canton and category, at least ``per_stratum`` each."""
    rng = random.Random(rng_seed)
    cantons = list(Canton.objects.order_by("code"))
    strata = [(c, cat) for c in cantons for cat in SeatCategory.values]
    chosen = [s for s in strata for _ in range(per_stratum)]
    chosen += [rng.choice(strata) for _ in range(size - len(chosen))]
    Volunteer.objects.bulk_create(
        Volunteer(draw=draw, pseudonym=f"P{n:05d}", sex=cat[0], age_band=cat[1:], canton=c)
        for n, (c, cat) in enumerate(chosen)
    )


def _prepared(dccu: User, assembly: Assembly, purpose: str, **kwargs: Any) -> Draw:
    draw = draws.do_create_draw(dccu, assembly=assembly, title="Tirage", purpose=purpose,
                                **kwargs)
    return draws.do_announce_seed(dccu, draw, source="La phrase lue en séance plénière.")


def _run(dccu: User, draw: Draw, seed: str = SEED) -> Draw:
    draws.do_freeze_draw(dccu, draw)
    return draws.do_run_draw(dccu, draw, seed=seed)


@pytest.mark.django_db
def test_assembly_draw_of_500_fills_each_seat_once_with_ranked_substitutes(
    dccu: User, assembly: Assembly
) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY, rounds=3)
    _pool(draw, 500)
    draw = _run(dccu, draw)
    titulaires = Counter(r["stratum"] for r in draw.result if r["round"] == 0)
    assert len(titulaires) == 108 and set(titulaires.values()) == {1}
    firsts = Counter(r["stratum"] for r in draw.result if r["round"] == 1)
    assert len(firsts) == 108 and set(firsts.values()) == {1}  # everyone had ≥ 2 volunteers
    ids = [r["id"] for r in draw.result]
    assert len(ids) == len(set(ids))
    # Each person is drawn in their own stratum.
    strata = {v.pseudonym: f"{v.canton.code}:{v.category}"
              for v in draw.volunteers.select_related("canton")}
    assert all(strata[r["id"]] == r["stratum"] for r in draw.result)
    assert draw.status == DrawStatus.DRAWN and draw.library_version == draws.library_version()


@pytest.mark.django_db
def test_committee_draw_of_500_keeps_the_dccu_quotas(dccu: User, assembly: Assembly) -> None:
    quotas = [
        {"feature": "sex", "value": "f", "min": 6, "max": 6},
        {"feature": "sex", "value": "h", "min": 6, "max": 6},
        {"feature": "age_band", "value": "18", "min": 4, "max": 5},
        {"feature": "age_band", "value": "45", "min": 7, "max": 8},
        {"feature": "canton", "value": "*", "min": 0, "max": 1},
    ]
    for seed in ("1", "2", "3"):
        draw = _prepared(dccu, assembly, DrawPurpose.COMITE, panel_size=12)
        draws.do_set_quotas(dccu, draw, panel_size=12, quotas=quotas)
        _pool(draw, 500, per_stratum=1, rng_seed=int(seed))
        draw = _run(dccu, draw, seed)
        people = {v.pseudonym: v for v in draw.volunteers.all()}
        chosen = [people[r["id"]] for r in draw.result]
        assert len(chosen) == 12
        assert Counter(v.sex for v in chosen) == {"f": 6, "h": 6}
        assert 4 <= sum(v.age_band == "18" for v in chosen) <= 5
        assert max(Counter(v.canton_id for v in chosen).values()) == 1


@pytest.mark.django_db
def test_balanced_subgroups_split_everyone_evenly(dccu: User, assembly: Assembly) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.SUBGROUPS, rounds=4)
    _pool(draw, 108, per_stratum=1)
    draw = _run(dccu, draw)
    sizes = Counter(r["round"] for r in draw.result)
    assert sorted(sizes.values()) == [27, 27, 27, 27]
    people = {v.pseudonym: v for v in draw.volunteers.all()}
    for group in range(4):
        women = sum(people[r["id"]].sex == "f" for r in draw.result if r["round"] == group)
        assert 13 <= women <= 14


@pytest.mark.django_db
def test_infeasible_quotas_are_refused_in_french(dccu: User, assembly: Assembly) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.COMITE, panel_size=12)
    draws.do_set_quotas(dccu, draw, panel_size=12, quotas=[
        {"feature": "sex", "value": "f", "min": 10, "max": 12},
        {"feature": "sex", "value": "h", "min": 0, "max": 2},
        {"feature": "age_band", "value": "18", "min": 0, "max": 12},
        {"feature": "age_band", "value": "45", "min": 0, "max": 12},
        {"feature": "canton", "value": "*", "min": 0, "max": 12},
    ])
    muret = Canton.objects.get(name="Muret")
    Volunteer.objects.bulk_create(
        Volunteer(draw=draw, pseudonym=f"P{n}", sex="f" if n < 3 else "h", age_band="45",
                  canton=muret) for n in range(30)
    )
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        draws.do_freeze_draw(dccu, draw)
    assert ("Au moins 10 personnes sont demandées pour «\u00a0femmes\u00a0» mais le vivier en "
            "compte 3.") in caught.value.messages
    draw.refresh_from_db()
    assert draw.status == DrawStatus.SEED_ANNOUNCED and not draw.inputs_sha256


@pytest.mark.django_db
def test_assembly_draw_with_an_empty_seat_is_refused_in_french(
    dccu: User, assembly: Assembly
) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY)
    _pool(draw, 500)
    draw.volunteers.filter(canton__name="Revel", sex="h", age_band="18").delete()
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        draws.do_freeze_draw(dccu, draw)
    assert caught.value.messages == [
        "Personne dans le vivier pour\u00a0: revel — homme de 18 à 44 ans."]


# --- Steps in order, the log --------------------------------------------------------------


@pytest.mark.django_db
def test_steps_happen_in_order_and_each_is_logged(dccu: User, assembly: Assembly) -> None:
    draw = draws.do_create_draw(dccu, assembly=assembly, title="T", purpose="assemblee")
    with pytest.raises(ValidationError):
        draws.do_freeze_draw(dccu, draw)  # the seed's source is not announced yet
    draw = draws.do_announce_seed(dccu, draw, source="Le tirage EuroMillions du 20 mars.")
    _pool(draw, 300)
    with pytest.raises(ValidationError):
        draws.do_run_draw(dccu, draw, seed="x")  # not frozen
    draw = _run(dccu, draw)
    with pytest.raises(ValidationError):
        draws.do_import_pool(dccu, draw, b"identifiant,sexe,tranche_age,canton\nZ1,f,45+,Muret\n")
    actions = list(AuditEntry.objects.filter(object_id=str(draw.pk)).order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["assembly.draw.create", "assembly.draw.announce_seed",
                       "assembly.draw.freeze", "assembly.draw.run"]
    assert draw.seed_announced_at < draw.frozen_at < draw.drawn_at


# --- Import ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pool_import_is_all_or_nothing_with_a_report_per_row(
    dccu: User, assembly: Assembly
) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY)
    bad = (b"identifiant;sexe;tranche_age;canton\n"
           b"A-001;femme;18-44;Muret\n"
           b"A-002;homme;45+;Nulle-part\n"
           b"A-001;femme;45 ans et plus;revel\n"
           b"A-004;autre;18-44;Revel\n")
    with translation.override("fr"):
        report = draws.do_import_pool(dccu, draw, bad)
    assert not report.ok and draw.volunteers.count() == 0
    assert [(p.row, p.column) for p in report.problems] == [
        (3, "canton"), (4, "identifiant"), (5, "sexe")]
    assert report.problems[0].message == "Canton inconnu\u00a0: «\u00a0Nulle-part\u00a0»."
    good = ("\ufeffidentifiant,sexe,tranche_age,canton\n"
            "A-001,femme,18-44,Muret\nA-002,homme,45+,Toulouse 03\n,,,\n").encode()
    report = draws.do_import_pool(dccu, draw, good)
    assert report.ok and report.imported == 2
    assert sorted(draw.volunteers.values_list("pseudonym", "sex", "age_band")) == [
        ("A-001", "f", "18"), ("A-002", "h", "45")]


@pytest.mark.django_db
def test_committee_pool_takes_current_members_only(dccu: User, assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly, email="camille@example.org")
    factories.UserFactory(email="agent@example.org", roles=[Role.AGENT])
    draw = _prepared(dccu, assembly, DrawPurpose.COMITE, panel_size=12)
    header = "email,sexe,tranche_age,canton\ncamille@example.org,f,45+,Muret\n"
    report = draws.do_import_pool(dccu, draw, (header + "agent@example.org,h,45+,Muret\n")
                                  .encode())
    assert [(p.row, p.column) for p in report.problems] == [(3, "email")]
    assert not draw.volunteers.exists()
    report = draws.do_import_pool(dccu, draw, header.encode())
    assert report.ok
    volunteer = draw.volunteers.get()
    assert volunteer.user == member and volunteer.pseudonym.startswith("V")


# --- Applying ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_applying_an_assembly_draw_seats_the_people_who_have_an_account(
    dccu: User, assembly: Assembly
) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY, rounds=2)
    _pool(draw, 250)
    people = list(draw.volunteers.order_by("pseudonym")[:250:2])
    for n, volunteer in enumerate(people):
        volunteer.user = factories.UserFactory(email=f"v{n}@example.org")
        volunteer.save()
    draw = _run(dccu, draw)
    outcome = draws.do_apply_draw(dccu, draw)
    with_account = {v.pseudonym: v.user for v in people}
    drawn_with_account = [r for r in draw.result if r["id"] in with_account]
    assert outcome.memberships == len(drawn_with_account) > 0
    assert len(outcome.to_invite) == len(draw.result) - len(drawn_with_account)
    for row in drawn_with_account:
        membership = Membership.objects.get(user=with_account[row["id"]])
        assert f"{membership.seat.canton.code}:{membership.seat.category}" == row["stratum"]
        assert membership.kind == (MembershipKind.TITULAIRE if row["round"] == 0
                                   else MembershipKind.REMPLACANT)
        assert membership.substitute_rank == (row["round"] or None)
    draw.refresh_from_db()
    assert draw.status == DrawStatus.APPLIED and draw.applied_at is not None


@pytest.mark.django_db
def test_applying_the_committee_draw_gives_the_committee_role(
    dccu: User, assembly: Assembly
) -> None:
    members = [factories.make_titulaire(assembly) for _ in range(6)]
    draw = _prepared(dccu, assembly, DrawPurpose.COMITE, panel_size=2)
    draws.do_set_quotas(dccu, draw, panel_size=2, quotas=[
        {"feature": "sex", "value": "f", "min": 1, "max": 1},
        {"feature": "sex", "value": "h", "min": 1, "max": 1},
        {"feature": "age_band", "value": "18", "min": 0, "max": 2},
        {"feature": "age_band", "value": "45", "min": 0, "max": 2},
        {"feature": "canton", "value": "*", "min": 0, "max": 2},
    ])
    muret = Canton.objects.get(name="Muret")
    for n, person in enumerate(members):
        Volunteer.objects.create(draw=draw, pseudonym=f"M{n}", user=person,
                                 sex="fh"[n % 2], age_band="45", canton=muret)
    draw = _run(dccu, draw)
    draws.do_apply_draw(dccu, draw)
    chosen = {r["id"] for r in draw.result}
    for n, person in enumerate(members):
        person = User.objects.get(pk=person.pk)
        assert has_role(person, Role.COMITE_SUIVI) == (f"M{n}" in chosen)


# --- Public verification and the command ------------------------------------------------


@pytest.mark.django_db
def test_verification_page_is_public_and_shows_no_personal_data(
    dccu: User, assembly: Assembly
) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY)
    _pool(draw, 220)
    volunteer = draw.volunteers.order_by("pseudonym").first()
    assert volunteer is not None
    volunteer.user = factories.UserFactory(email="zephyrine.q@example.org",
                                           first_name="Zéphyrine", last_name="Quintal")
    volunteer.save()
    anonymous = Client()
    assert anonymous.get(f"/tirages/{draw.pk}/verification/").status_code == 404
    draw = _run(dccu, draw)
    page = anonymous.get(f"/tirages/{draw.pk}/verification/")
    assert page.status_code == 200
    text = page.content.decode()
    assert draw.inputs_sha256 in text and draw.seed in text and draw.library_version in text
    assert draw.result[0]["id"] in text
    download = anonymous.get(f"/tirages/{draw.pk}/verification/tirage.json")
    assert download.status_code == 200
    for body in (text, download.content.decode()):
        for secret in ("Zéphyrine", "Quintal", "zephyrine.q@example.org", str(volunteer.pk),
                       str(volunteer.user.pk)):
            assert secret not in body
    bundle = json.loads(download.content)
    assert draws.sha256_of(bundle["inputs"]) == draw.inputs_sha256


@pytest.mark.django_db
def test_verify_draw_command_confirms_and_detects_tampering(
    dccu: User, assembly: Assembly, tmp_path: Path, capsys: Any
) -> None:
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY)
    _pool(draw, 230)
    draw = _run(dccu, draw)
    bundle = draws.export_bundle(draw)
    honest = tmp_path / "tirage.json"
    honest.write_text(json.dumps(bundle), encoding="utf-8")
    call_command("verify_draw", str(honest))
    call_command("verify_draw", str(honest), "--offline")
    assert "The draw is verified." in capsys.readouterr().out

    # A volunteer moved to another canton: the hash no longer matches.
    moved = json.loads(json.dumps(bundle))
    moved["inputs"]["people"][0][3] = "revel"
    (tmp_path / "moved.json").write_text(json.dumps(moved), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("verify_draw", str(tmp_path / "moved.json"), "--offline")
    # The same, with a hash recomputed to match: the published draw's hash differs.
    moved["inputs_sha256"] = draws.sha256_of(moved["inputs"])
    (tmp_path / "rehashed.json").write_text(json.dumps(moved), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("verify_draw", str(tmp_path / "rehashed.json"))
    # A result edited after the draw: the re-run differs.
    swapped = json.loads(json.dumps(bundle))
    swapped["result"][0]["id"] = swapped["result"][1]["id"]
    (tmp_path / "swapped.json").write_text(json.dumps(swapped), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("verify_draw", str(tmp_path / "swapped.json"), "--offline")


# --- Permissions -------------------------------------------------------------------------

ROLES = ["anonymous", "titulaire", "remplacant", "facilitateur", "agent", "dccu", "dpd",
         "comite_suivi", "no_role"]


def _client(role: str, assembly: Assembly) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    if role == "titulaire":
        person = factories.make_titulaire(assembly)
    elif role == "remplacant":
        person = factories.make_substitute(assembly, factories.seat(assembly))
    elif role == "no_role":
        person = factories.UserFactory()
    else:
        person = factories.UserFactory(roles=[Role(role)])
        if role in {"dccu", "dpd"}:
            enrol_demo_totp(person)
    client.force_login(person)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_the_dccu_prepares_and_runs_draws_and_everyone_verifies(
    role: str, assembly: Assembly
) -> None:
    dccu = factories.UserFactory(roles=[Role.DCCU])
    draw = _prepared(dccu, assembly, DrawPurpose.ASSEMBLY)
    _pool(draw, 220)
    draw = _run(dccu, draw)
    client = _client(role, assembly)
    pages = [("get", "/tirages/"), ("get", "/tirages/nouveau/"),
             ("get", f"/tirages/{draw.pk}/"), ("get", f"/tirages/{draw.pk}/a-inviter.csv"),
             ("post", f"/tirages/{draw.pk}/graine/"), ("post", f"/tirages/{draw.pk}/figer/"),
             ("post", f"/tirages/{draw.pk}/tirer/"), ("post", f"/tirages/{draw.pk}/quotas/"),
             ("post", f"/tirages/{draw.pk}/volontaires/")]
    for method, url in pages:
        response = getattr(client, method)(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/comptes/login/" in response["Location"]
        elif role == "dccu":
            assert response.status_code in {200, 302}, url
        else:
            assert response.status_code == 403, (url, response.status_code)
    # Applying, by anyone but the DCCU, changes nothing.
    response = client.post(f"/tirages/{draw.pk}/appliquer/")
    draw.refresh_from_db()
    assert (draw.status == DrawStatus.APPLIED) == (role == "dccu")
    for url in (f"/tirages/{draw.pk}/verification/",
                f"/tirages/{draw.pk}/verification/tirage.json"):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_dccu_walks_a_draw_through_its_pages(dccu_client: Client, assembly: Assembly) -> None:
    response = dccu_client.post("/tirages/nouveau/", {
        "title": "Assemblée 2027", "purpose": "assemblee", "substitutes": "1"})
    assert response.status_code == 302
    draw = Draw.objects.get()
    url = f"/tirages/{draw.pk}/"
    assert dccu_client.post(url + "graine/", {
        "source": "La phrase lue à voix haute en plénière."}).status_code == 302
    _pool(draw, 250)
    assert dccu_client.post(url + "figer/").status_code == 302
    assert dccu_client.post(url + "tirer/", {"seed": "Bonjour Toulouse"}).status_code == 302
    page = dccu_client.get(url)
    assert page.status_code == 200
    draw.refresh_from_db()
    assert draw.status == DrawStatus.DRAWN and draw.seed == "Bonjour Toulouse"
    assert draw.result[0]["id"] in page.content.decode()
    csv_body = dccu_client.get(url + "a-inviter.csv").content.decode("utf-8-sig")
    assert csv_body.splitlines()[0].startswith("identifiant;nom;prenom;email;canton")
    assert len(csv_body.splitlines()) == 1 + len(draw.result)
