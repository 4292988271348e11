"""Drawing lots, verifiably: import a pool, announce the seed, freeze, draw, apply, verify.

The selection itself is the Sortition Foundation's ``sortition-algorithms`` library, with
its *legacy* algorithm (leximin needs Gurobi, a commercial solver; legacy is pure Python,
so its result depends only on the inputs, the seed and the library's version, and anyone
can re-run it). This module only prepares the library's inputs in a canonical form, calls
it once per round, and records what it returned. The canonical form and the rounds are
documented in ``docs/draws.md``.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Role, grant_role
from assembly.actions import do_add_membership, require_dccu
from assembly.csv_import import AGE_BANDS, GENDERS, Problem, _compact, _decode, _delimiter, _key
from assembly.csv_import import canton_key as _canton_key
from assembly.models import Canton, Membership, MembershipKind, Seat, SeatCategory
from assembly.models_draws import Draw, DrawPurpose, DrawStatus, Volunteer
from gdpr import audit

INPUTS_FORMAT = "agora-draw/1"
ALGORITHM = "legacy"
LIBRARY = "sortition-algorithms"
MAX_POOL_ROWS = 5000
PSEUDONYM_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
FEATURES = ("sex", "age_band", "canton")

# The library seeds Python's global ``random``: two draws in one process must not interleave.
_LIBRARY_LOCK = threading.Lock()


def library_version() -> str:
    return importlib.metadata.version(LIBRARY)


def canonical_bytes(value: Any) -> bytes:
    """The canonical serialisation that is hashed: JSON, keys sorted, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def round_seed(seed: str, round_number: int) -> int:
    """The integer the library is seeded with for one round (never 0: 0 means « random »)."""
    digest = hashlib.sha256(f"{seed}\n{round_number}".encode()).hexdigest()
    return int(digest[:15], 16) or 1


class DrawError(ValidationError):
    """A draw that cannot be done as asked, with a French message for the DCCU."""


# --- The pure part: from frozen inputs and a seed to a result (no database) -------------


def _quota_rows(quotas: dict[str, dict[str, tuple[int, int]]]) -> list[dict[str, str]]:
    return [
        {"feature": feature, "value": value, "min": str(lo), "max": str(hi)}
        for feature in sorted(quotas)
        for value, (lo, hi) in sorted(quotas[feature].items())
    ]


def _select(
    people: list[dict[str, str]],
    quotas: dict[str, dict[str, tuple[int, int]]],
    wanted: int,
    seed: int,
) -> list[str]:
    """One call of the library: ``wanted`` ids among ``people`` within ``quotas``."""
    from sortition_algorithms import Settings, run_stratification
    from sortition_algorithms.features import read_in_features
    from sortition_algorithms.people import read_in_people
    from sortition_algorithms.utils import set_log_level

    # Its loggers print each attempt to stdout; what matters is in its report.
    set_log_level(logging.ERROR)
    features_used = sorted(quotas)
    _check_feasible(people, quotas, wanted)
    features, _f, _v = read_in_features(
        ["feature", "value", "min", "max"], _quota_rows(quotas), wanted
    )
    settings = Settings(
        id_column="id", columns_to_keep=[], selection_algorithm=ALGORITHM,
        random_number_seed=seed,
    )
    body = [{"id": p["id"], **{f: p[f] for f in features_used}}
            for p in sorted(people, key=lambda p: p["id"])]
    pool, _report = read_in_people(["id", *features_used], body, features, settings)
    with _LIBRARY_LOCK:
        success, panels, report = run_stratification(features, pool, wanted, settings)
    if not success or not panels:
        raise DrawError(
            _("The library found no selection that respects the quotas with this pool "
              "(its message: %(detail)s). Change the quotas or widen the pool.")
            % {"detail": report.last_error() or "—"}
        )
    return sorted(panels[0])


def _check_feasible(
    people: list[dict[str, str]], quotas: dict[str, dict[str, tuple[int, int]]], wanted: int
) -> None:
    """Say in French why quotas cannot be met, before the library says it in English."""
    problems: list[str] = []
    if wanted > len(people):
        problems.append(
            _("%(wanted)s people are wanted but the pool has only %(count)s.")
            % {"wanted": wanted, "count": len(people)}
        )
    for feature, values in sorted(quotas.items()):
        label = FEATURE_LABELS.get(feature, feature)
        if sum(lo for lo, _hi in values.values()) > wanted:
            problems.append(
                _("The minimums for %(feature)s add up to more than the %(wanted)s people "
                  "wanted.") % {"feature": label, "wanted": wanted}
            )
        if sum(hi for _lo, hi in values.values()) < wanted:
            problems.append(
                _("The maximums for %(feature)s add up to less than the %(wanted)s people "
                  "wanted.") % {"feature": label, "wanted": wanted}
            )
        for value, (lo, _hi) in sorted(values.items()):
            count = sum(1 for p in people if p[feature] == value)
            if count < lo:
                problems.append(
                    _("At least %(min)s people are wanted for “%(value)s” but the pool has "
                      "%(count)s.") % {"min": lo, "value": value_label(feature, value),
                                       "count": count}
                )
        unknown = {p[feature] for p in people} - set(values)
        if unknown:
            problems.append(
                _("No quota for %(values)s.") % {"values": ", ".join(sorted(unknown))}
            )
    if problems:
        raise DrawError(problems)


FEATURE_LABELS = {"sex": gettext_lazy("sex"), "age_band": gettext_lazy("age band"),
                  "canton": gettext_lazy("canton"), "stratum": gettext_lazy("stratum")}


def value_label(feature: str, value: str) -> str:
    if feature == "sex":
        return {"f": _("women"), "h": _("men")}.get(value, value)
    if feature == "age_band":
        return {"18": _("18–44"), "45": _("45 and over")}.get(value, value)
    if feature == "stratum":
        canton, _sep, category = value.partition(":")
        return f"{canton} — {SeatCategory(category).label}" if category in SeatCategory.values \
            else value
    return value


def _person(row: list[str]) -> dict[str, str]:
    pseudonym, sex, band, canton = row
    return {"id": pseudonym, "sex": sex, "age_band": band, "canton": canton,
            "stratum": f"{canton}:{sex}{band}"}


def compute_result(inputs: dict[str, Any], seed: str) -> list[dict[str, Any]]:
    """The result of a draw from its frozen inputs and its seed: a pure function.

    Each round calls the library once on the people not selected in earlier rounds, with
    the seed ``round_seed(seed, round)``. Rows: ``{"id", "round", "stratum"}``, sorted.
    """
    if inputs.get("format") != INPUTS_FORMAT:
        raise DrawError(_("Unknown format of the draw's inputs."))
    if not seed:
        raise DrawError(_("The seed is empty."))
    people = [_person(row) for row in inputs["people"]]
    purpose = inputs["purpose"]
    result: list[dict[str, Any]] = []
    remaining = list(people)
    rounds = int(inputs["rounds"])
    for number in range(rounds):
        if not remaining:
            break
        forced: list[str] = []
        remaining_lib = remaining
        if purpose in {DrawPurpose.ASSEMBLY, DrawPurpose.REPLACEMENT}:
            strata = list(inputs["strata"])
            present = {p["stratum"] for p in remaining}
            if number == 0:
                missing = [s for s in strata if s not in present]
                if missing:
                    raise DrawError(
                        _("Nobody in the pool for: %(strata)s.")
                        % {"strata": "; ".join(value_label("stratum", s) for s in missing)}
                    )
            # A substitutes' round fills the strata that still have volunteers. A stratum
            # with a single volunteer left has no choice to make: that person is taken
            # without calling the library (whose legacy algorithm refuses a value whose
            # last remaining person is also its minimum, see docs/draws.md).
            alone = {s for s in strata if sum(1 for p in remaining if p["stratum"] == s) == 1}
            forced += [p["id"] for p in remaining if p["stratum"] in alone]
            remaining_lib = [p for p in remaining if p["stratum"] not in alone]
            quotas = {"stratum": {s: (1, 1) for s in strata
                                  if s in present and s not in alone}}
            wanted = len(quotas["stratum"])
        elif purpose == DrawPurpose.COMITE:
            quotas = _committee_quotas(inputs["quotas"], remaining)
            wanted = int(inputs["panel_size"])
        else:
            wanted = len(remaining) // (rounds - number)
            quotas = _balanced_quotas(remaining, wanted)
            if wanted == len(remaining):
                # The last subgroup is whoever is left: there is nothing to draw.
                forced, wanted = [p["id"] for p in remaining], 0
        chosen = set(forced)
        if wanted:
            chosen |= set(_select(remaining_lib, quotas, wanted, round_seed(seed, number)))
        by_id = {p["id"]: p for p in remaining}
        result += [{"id": pid, "round": number, "stratum": by_id[pid]["stratum"]}
                   for pid in sorted(chosen)]
        remaining = [p for p in remaining if p["id"] not in chosen]
    result.sort(key=lambda r: (r["round"], r["stratum"], r["id"]))
    return result


def _committee_quotas(
    quotas: list[dict[str, Any]], people: list[dict[str, str]]
) -> dict[str, dict[str, tuple[int, int]]]:
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for quota in quotas:
        if quota["value"] == "*":
            # « At most N per canton »: one quota for each canton of the pool.
            for value in sorted({p[quota["feature"]] for p in people}):
                out.setdefault(quota["feature"], {})[value] = (int(quota["min"]),
                                                               int(quota["max"]))
        else:
            out.setdefault(quota["feature"], {})[quota["value"]] = (int(quota["min"]),
                                                                    int(quota["max"]))
    return out


def _balanced_quotas(
    people: list[dict[str, str]], size: int
) -> dict[str, dict[str, tuple[int, int]]]:
    """Each subgroup mirrors the pool left: per sex and age band, its share rounded down
    or up."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    total = len(people)
    for feature in ("sex", "age_band"):
        counts: dict[str, int] = {}
        for p in people:
            counts[p[feature]] = counts.get(p[feature], 0) + 1
        out[feature] = {
            value: (count * size // total, -(-count * size // total))
            for value, count in counts.items()
        }
    return out


# --- Exported file and verification ------------------------------------------------------


def export_bundle(draw: Draw) -> dict[str, Any]:
    """What the public downloads: the frozen inputs and everything needed to re-run them."""
    return {
        "inputs": json.loads(draw.inputs_json) if draw.inputs_json else None,
        "inputs_sha256": draw.inputs_sha256,
        "seed": draw.seed,
        "seed_source": draw.seed_source,
        "seed_announced_at": draw.seed_announced_at.isoformat() if draw.seed_announced_at
        else None,
        "frozen_at": draw.frozen_at.isoformat() if draw.frozen_at else None,
        "drawn_at": draw.drawn_at.isoformat() if draw.drawn_at else None,
        "algorithm": draw.algorithm,
        "library": LIBRARY,
        "library_version": draw.library_version,
        "result": draw.result,
        "result_sha256": draw.result_sha256,
    }


@dataclass
class Verification:
    hash_ok: bool
    result_ok: bool
    version_ok: bool
    recomputed: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.hash_ok and self.result_ok


def verify_bundle(bundle: dict[str, Any], published: Draw | None = None) -> Verification:
    """Re-run a draw from an exported file and compare with the file and the published draw."""
    inputs = bundle.get("inputs") or {}
    messages: list[str] = []
    hash_ok = sha256_of(inputs) == bundle.get("inputs_sha256")
    if not hash_ok:
        messages.append(_("The inputs do not match their published hash."))
    if published is not None and bundle.get("inputs_sha256") != published.inputs_sha256:
        hash_ok = False
        messages.append(_("The file's hash is not the one published for this draw."))
    version_ok = bundle.get("library_version") == library_version()
    if not version_ok:
        messages.append(
            _("The draw used version %(used)s of the library; this is version %(here)s: a "
              "difference may come from the version.")
            % {"used": bundle.get("library_version"), "here": library_version()}
        )
    try:
        recomputed = compute_result(inputs, str(bundle.get("seed") or ""))
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        messages.append(_("The draw cannot be re-run: %(error)s") % {"error": exc})
        return Verification(hash_ok, False, version_ok, [], messages)
    expected = published.result if published is not None else bundle.get("result")
    result_ok = recomputed == expected and recomputed == bundle.get("result")
    if not result_ok:
        messages.append(_("The re-run gives a different result."))
    return Verification(hash_ok, result_ok, version_ok, recomputed, messages)


# --- Operations --------------------------------------------------------------------------


def _log(actor: User | None, action: str, draw: Draw, **details: Any) -> None:
    audit.record(actor, f"assembly.draw.{action}", obj=draw, **details)


def _require_status(draw: Draw, *allowed: str) -> None:
    if draw.status not in allowed:
        raise DrawError(
            _("This step is not possible now: the draw is “%(status)s”.")
            % {"status": draw.get_status_display()}
        )


@transaction.atomic
def do_create_draw(
    actor: User | None, *, assembly: Any, title: str, purpose: str, rounds: int = 1,
    panel_size: int = 0, strata: list[str] | None = None,
) -> Draw:
    require_dccu(actor)
    errors: list[str] = []
    if purpose not in DrawPurpose.values:
        errors.append(_("Unknown purpose."))
    if rounds < 1:
        errors.append(_("A draw has at least one round."))
    if purpose == DrawPurpose.COMITE and panel_size < 1:
        errors.append(_("Say how many people the committee has."))
    if purpose == DrawPurpose.REPLACEMENT:
        if not strata:
            errors.append(_("Choose at least one seat to fill."))
        codes = set(Canton.objects.values_list("code", flat=True))
        for stratum in strata or []:
            canton, _sep, category = stratum.partition(":")
            if canton not in codes or category not in SeatCategory.values:
                errors.append(_("Unknown seat: %(stratum)s.") % {"stratum": stratum})
    if purpose == DrawPurpose.SUBGROUPS and rounds < 2:
        errors.append(_("Balanced subgroups need at least two subgroups."))
    if errors:
        raise DrawError(errors)
    quotas: list[dict[str, Any]] = []
    if purpose == DrawPurpose.COMITE:
        quotas = default_committee_quotas(panel_size)
    draw = Draw.objects.create(
        assembly=assembly, title=title, purpose=purpose, rounds=rounds, panel_size=panel_size,
        strata=sorted(strata or []), quotas=quotas, created_by=actor,
    )
    _log(actor, "create", draw, purpose=purpose)
    return draw


def default_committee_quotas(size: int) -> list[dict[str, Any]]:
    """Parity of sexes and of age bands (± 1), at most 2 per canton: the DCCU changes them."""
    half_low, half_high = size // 2, -(-size // 2)
    return [
        {"feature": feature, "value": value, "min": half_low, "max": half_high}
        for feature, values in (("sex", ("f", "h")), ("age_band", ("18", "45")))
        for value in values
    ] + [{"feature": "canton", "value": "*", "min": 0, "max": 2}]


@transaction.atomic
def do_set_quotas(
    actor: User | None, draw: Draw, *, panel_size: int, quotas: list[dict[str, Any]]
) -> Draw:
    """The committee's quotas, set by the DCCU before the inputs are frozen."""
    require_dccu(actor)
    _require_status(draw, DrawStatus.PREPARED, DrawStatus.SEED_ANNOUNCED)
    if draw.purpose != DrawPurpose.COMITE:
        raise DrawError(_("Only the follow-up committee's draw has quotas to set."))
    errors: list[str] = []
    if panel_size < 1:
        errors.append(_("Say how many people the committee has."))
    for quota in quotas:
        if quota["feature"] not in FEATURES:
            errors.append(_("Unknown criterion."))
        elif int(quota["min"]) < 0 or int(quota["max"]) < int(quota["min"]):
            errors.append(
                _("For %(value)s the minimum must be between 0 and the maximum.")
                % {"value": value_label(quota["feature"], quota["value"])}
            )
    if errors:
        raise DrawError(errors)
    draw.panel_size = panel_size
    draw.quotas = quotas
    draw.save(update_fields=["panel_size", "quotas", "updated_at"])
    _log(actor, "quotas", draw, panel_size=panel_size)
    return draw


@transaction.atomic
def do_announce_seed(actor: User | None, draw: Draw, *, source: str) -> Draw:
    """Publish, before the draw, where its seed will come from (stored with the time)."""
    require_dccu(actor)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    _require_status(draw, DrawStatus.PREPARED)
    source = source.strip()
    if len(source) < 10:
        raise DrawError(
            _("Describe the seed's source precisely (for example the sentence read in the "
              "plenary, or which public value of which date).")
        )
    draw.seed_source = source
    draw.seed_announced_at = timezone.now()
    draw.status = DrawStatus.SEED_ANNOUNCED
    draw.save(update_fields=["seed_source", "seed_announced_at", "status", "updated_at"])
    _log(actor, "announce_seed", draw, source=source)
    return draw


def build_inputs(draw: Draw) -> dict[str, Any]:
    """The draw's inputs in their canonical form: pseudonyms and strata only."""
    people = [
        [v.pseudonym, v.sex, v.age_band, v.canton.code]
        for v in draw.volunteers.select_related("canton").order_by("pseudonym")
    ]
    strata: list[str] = []
    if draw.purpose == DrawPurpose.ASSEMBLY:
        strata = [f"{code}:{category}" for code in Canton.objects.order_by("code")
                  .values_list("code", flat=True) for category in SeatCategory.values]
    elif draw.purpose == DrawPurpose.REPLACEMENT:
        strata = sorted(draw.strata)
    if strata:
        # Volunteers of other strata cannot take these seats: they are not drawn.
        wanted = set(strata)
        people = [p for p in people if f"{p[3]}:{p[1]}{p[2]}" in wanted]
    return {
        "format": INPUTS_FORMAT,
        "draw": str(draw.pk),
        "purpose": draw.purpose,
        "rounds": draw.rounds,
        "panel_size": draw.panel_size,
        "strata": strata,
        "quotas": sorted(draw.quotas, key=lambda q: (q["feature"], q["value"])),
        "algorithm": ALGORITHM,
        "people": people,
    }


@transaction.atomic
def do_freeze_draw(actor: User | None, draw: Draw) -> Draw:
    """Freeze the pool and the quotas: after this nothing in them changes, and their hash
    is published."""
    require_dccu(actor)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    _require_status(draw, DrawStatus.SEED_ANNOUNCED)
    inputs = build_inputs(draw)
    if not inputs["people"]:
        raise DrawError(_("The pool is empty: import the volunteers first."))
    people = [_person(row) for row in inputs["people"]]
    if draw.purpose in {DrawPurpose.ASSEMBLY, DrawPurpose.REPLACEMENT}:
        present = {p["stratum"] for p in people}
        missing = [s for s in inputs["strata"] if s not in present]
        if missing:
            raise DrawError(
                _("Nobody in the pool for: %(strata)s.")
                % {"strata": "; ".join(value_label("stratum", s) for s in missing)}
            )
    elif draw.purpose == DrawPurpose.COMITE:
        _check_feasible(people, _committee_quotas(inputs["quotas"], people), draw.panel_size)
    draw.inputs_json = canonical_bytes(inputs).decode()
    draw.inputs_sha256 = sha256_of(inputs)
    draw.frozen_at = timezone.now()
    draw.status = DrawStatus.FROZEN
    draw.save(update_fields=["inputs_json", "inputs_sha256", "frozen_at", "status",
                             "updated_at"])
    _log(actor, "freeze", draw, inputs_sha256=draw.inputs_sha256,
         pool=len(inputs["people"]))
    return draw


@transaction.atomic
def do_run_draw(actor: User | None, draw: Draw, *, seed: str) -> Draw:
    """Draw: the announced seed's value, the frozen inputs, the library — and nothing else."""
    require_dccu(actor)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    _require_status(draw, DrawStatus.FROZEN)
    seed = seed.strip()
    if not seed:
        raise DrawError(_("Type the seed's value, as announced."))
    result = compute_result(json.loads(draw.inputs_json), seed)
    draw.seed = seed
    draw.algorithm = ALGORITHM
    draw.library_version = library_version()
    draw.result = result
    draw.result_sha256 = sha256_of(result)
    draw.drawn_at = timezone.now()
    draw.status = DrawStatus.DRAWN
    draw.save(update_fields=["seed", "algorithm", "library_version", "result",
                             "result_sha256", "drawn_at", "status", "updated_at"])
    _log(actor, "run", draw, seed=seed, inputs_sha256=draw.inputs_sha256,
         result_sha256=draw.result_sha256, selected=len(result))
    return draw


@dataclass
class Application:
    memberships: int = 0
    roles: int = 0
    # Drawn people without an account: the DCCU imports them with the member import.
    to_invite: list[dict[str, Any]] = field(default_factory=list)


def _seat_for(draw: Draw, stratum: str, seats: dict[str, Seat]) -> Seat:
    seat = seats.get(stratum)
    if seat is None:
        raise DrawError(
            _("The assembly has no seat %(seat)s.") % {"seat": value_label("stratum", stratum)}
        )
    return seat


@transaction.atomic
def do_apply_draw(actor: User | None, draw: Draw) -> Application:
    """Turn the result into seats (assembly, replacement) or roles (committee).

    All or nothing: one membership refused (a seat already taken…) and nothing is written.
    Subgroups are not applied here: the DCCU sets them from the result.
    """
    require_dccu(actor)
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    _require_status(draw, DrawStatus.DRAWN)
    volunteers = {v.pseudonym: v for v in draw.volunteers.select_related("user")}
    outcome = Application()
    errors: list[str] = []
    if draw.purpose in {DrawPurpose.ASSEMBLY, DrawPurpose.REPLACEMENT}:
        seats = {f"{s.canton.code}:{s.category}": s
                 for s in Seat.objects.filter(assembly=draw.assembly).select_related("canton")}
        # Substitutes drawn rank after the seat's current ones (none, for a new assembly).
        base: dict[int, int] = {}
        for row in draw.result:
            seat = _seat_for(draw, row["stratum"], seats)
            volunteer = volunteers.get(row["id"])
            if volunteer is None:
                errors.append(_("Volunteer %(id)s is no longer in the pool.") % {"id": row["id"]})
                continue
            kind = MembershipKind.TITULAIRE if row["round"] == 0 else MembershipKind.REMPLACANT
            rank: int | None = None
            if kind == MembershipKind.REMPLACANT:
                if seat.pk not in base:
                    base[seat.pk] = (Membership.objects.open()
                                     .filter(seat=seat, kind=kind).order_by("-substitute_rank")
                                     .values_list("substitute_rank", flat=True).first()) or 0
                rank = base[seat.pk] + row["round"]
            if volunteer.user is None:
                outcome.to_invite.append({**row, "kind": kind, "rank": rank, "seat": seat})
                continue
            try:
                do_add_membership(actor, user=volunteer.user, seat=seat, kind=kind,
                                  substitute_rank=rank)
            except ValidationError as exc:
                errors += [f"{row['id']}: {message}" for message in exc.messages]
            else:
                outcome.memberships += 1
    elif draw.purpose == DrawPurpose.COMITE:
        for row in draw.result:
            volunteer = volunteers.get(row["id"])
            if volunteer is None or volunteer.user is None:
                errors.append(_("Volunteer %(id)s has no account.") % {"id": row["id"]})
                continue
            grant_role(volunteer.user, Role.COMITE_SUIVI)
            outcome.roles += 1
    if errors:
        raise DrawError(errors)
    draw.status = DrawStatus.APPLIED
    draw.applied_at = timezone.now()
    draw.save(update_fields=["status", "applied_at", "updated_at"])
    _log(actor, "apply", draw, memberships=outcome.memberships, roles=outcome.roles,
         to_invite=len(outcome.to_invite))
    return outcome


# --- Import of the pool ----------------------------------------------------------------

POOL_COLUMNS: dict[str, tuple[str, ...]] = {
    "pseudonym": ("identifiant", "id", "pseudonyme", "numero"),
    "email": ("email", "e_mail", "mail", "courriel"),
    "sex": ("sexe", "sex", "genre", "gender"),
    "age_band": ("tranche_age", "tranche_d_age", "age_band", "age"),
    "canton": ("canton",),
}


@dataclass
class PoolReport:
    rows_read: int = 0
    imported: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))


def do_import_pool(actor: User | None, draw: Draw, data: bytes) -> PoolReport:
    """Add volunteers to a draw's pool from a CSV file: every row, or none.

    Columns: ``identifiant`` (a pseudonymous number from the recruitment file) and/or
    ``email`` (an existing account), ``sexe``, ``tranche_age``, ``canton``.
    """
    require_dccu(actor)
    report = PoolReport()
    _require_status(draw, DrawStatus.PREPARED, DrawStatus.SEED_ANNOUNCED)
    text = _decode(data, report)  # type: ignore[arg-type]
    if text is None:
        return report
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    if not records:
        report.add(0, "", _("The file is empty."))
        return report
    aliases = {alias: column for column, names in POOL_COLUMNS.items() for alias in names}
    positions: dict[str, int] = {}
    for index, title in enumerate(records[0]):
        column = aliases.get(_key(title))
        if column is not None:
            positions[column] = index
    for column in ("sex", "age_band", "canton"):
        if column not in positions:
            report.add(1, POOL_COLUMNS[column][0], _("This column is missing."))
    if "pseudonym" not in positions and "email" not in positions:
        report.add(1, "identifiant", _("Give an « identifiant » column, an « email » column, "
                                        "or both."))
    if report.problems:
        return report
    cantons: dict[str, Canton] = {}
    for canton in Canton.objects.all():
        cantons[_canton_key(canton.name)] = canton
        cantons.setdefault(_canton_key(canton.code), canton)
    taken = set(draw.volunteers.values_list("pseudonym", flat=True))
    taken_users = set(draw.volunteers.exclude(user=None).values_list("user_id", flat=True))
    members = set(Membership.objects.current().values_list("user_id", flat=True))
    rows: list[Volunteer] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        report.rows_read += 1
        if report.rows_read > MAX_POOL_ROWS:
            report.add(0, "", _("At most %(max)s volunteers can be imported at once.")
                       % {"max": MAX_POOL_ROWS})
            break
        values = {c: record[i].strip() if i < len(record) else "" for c, i in positions.items()}
        volunteer = _pool_row(number, values, draw, cantons, members, report)
        if volunteer is None:
            continue
        if volunteer.pseudonym in taken or volunteer.pseudonym in seen:
            report.add(number, "identifiant",
                       _("Same identifier as row %(row)s.") % {"row": seen.get(
                           volunteer.pseudonym, _("already in the pool"))})
            continue
        if volunteer.user_id is not None and volunteer.user_id in taken_users:
            report.add(number, "email", _("This person is already in the pool."))
            continue
        seen[volunteer.pseudonym] = number
        if volunteer.user_id is not None:
            taken_users.add(volunteer.user_id)
        rows.append(volunteer)
    if not report.rows_read and not report.problems:
        report.add(0, "", _("The file has no rows to import."))
    if report.problems:
        report.problems.sort(key=lambda p: p.row)
        return report
    with transaction.atomic():
        Volunteer.objects.bulk_create(rows)
        _log(actor, "import_pool", draw, rows=len(rows))
    report.imported = len(rows)
    return report


def _pool_row(
    number: int, values: dict[str, str], draw: Draw, cantons: dict[str, Canton],
    members: set[Any], report: PoolReport,
) -> Volunteer | None:
    before = len(report.problems)
    pseudonym = values.get("pseudonym", "")
    email = values.get("email", "").lower()
    user: User | None = None
    if pseudonym and not PSEUDONYM_RE.match(pseudonym):
        report.add(number, "identifiant", _("Letters, digits, - and _ only (40 at most)."))
    if email:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            report.add(number, "email", _("No account has this email address."))
        elif draw.purpose in {DrawPurpose.COMITE, DrawPurpose.SUBGROUPS} \
                and user.pk not in members:
            report.add(number, "email", _("This person is not a current member."))
    elif draw.purpose in {DrawPurpose.COMITE, DrawPurpose.SUBGROUPS}:
        report.add(number, "email", _("Members are drawn here: give their email address."))
    if not pseudonym and not email:
        report.add(number, "identifiant", _("Give an identifier or an email address."))
    sex = GENDERS.get(_compact(values["sex"]))
    if sex is None:
        report.add(number, "sexe", _("Write “femme” or “homme” (found “%(value)s”).")
                   % {"value": values["sex"]})
    band = AGE_BANDS.get(_compact(values["age_band"]))
    if band is None:
        report.add(number, "tranche_age", _("Write “18-44” or “45+” (found “%(value)s”).")
                   % {"value": values["age_band"]})
    canton = cantons.get(_canton_key(values["canton"]))
    if canton is None:
        report.add(number, "canton", _("Unknown canton: “%(value)s”.")
                   % {"value": values["canton"]})
    if len(report.problems) > before or sex is None or band is None or canton is None:
        return None
    return Volunteer(
        draw=draw, pseudonym=pseudonym or f"V{secrets.token_hex(4).upper()}", user=user,
        sex=sex, age_band=band, canton=canton,
    )


def result_rows(draw: Draw) -> list[dict[str, Any]]:
    """The result for display: pseudonym, role (full member / substitute rank / subgroup)."""
    rows = []
    for row in draw.result:
        canton, _sep, category = row["stratum"].partition(":")
        rows.append({**row, "canton": canton, "category": SeatCategory(category).label,
                     "rank": row["round"]})
    return rows
