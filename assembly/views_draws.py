"""Draw pages: the DCCU's steps (pool, seed, freeze, draw, apply) and the public check."""

from __future__ import annotations

import csv
import json
import uuid
from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from assembly import draws
from assembly.csv_import import MAX_FILE_BYTES
from assembly.models import Assembly, Canton, SeatCategory
from assembly.models_draws import Draw, DrawPurpose, DrawStatus
from assembly.views_invitations import dccu_required


def access_draw(user: Any, draw_id: uuid.UUID) -> Draw:
    """The DCCU's view of a draw; for anyone else it does not exist (404)."""
    draw = Draw.objects.select_related("assembly").filter(pk=draw_id).first()
    if draw is None or not draw.get_abilities(user)["manage"]:
        raise Http404
    return draw


def access_published_draw(user: Any, draw_id: uuid.UUID) -> Draw:
    """A draw whose inputs are frozen is public (pseudonyms only); before, it is not."""
    draw = Draw.objects.filter(pk=draw_id).first()
    if draw is None or not draw.get_abilities(user)["verify"]:
        raise Http404
    return draw


# --- Forms ----------------------------------------------------------------------------


class NewDrawForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=DrawPurpose.choices,
                                widget=forms.RadioSelect)
    substitutes = forms.IntegerField(
        label=gettext_lazy("Substitutes per seat"), min_value=0, max_value=20, initial=1,
        required=False,
        help_text=gettext_lazy("Assembly and replacement: how many ranked substitutes to draw "
                               "for each seat."),
    )
    panel_size = forms.IntegerField(
        label=gettext_lazy("Size of the committee"), min_value=1, max_value=100, initial=12,
        required=False,
    )
    subgroups = forms.IntegerField(
        label=gettext_lazy("Number of subgroups"), min_value=2, max_value=20, initial=4,
        required=False,
    )
    canton = forms.ModelChoiceField(
        label=gettext_lazy("Canton of the seat to fill"), queryset=Canton.objects.all(),
        required=False, empty_label="—",
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category of the seat to fill"),
        choices=[("", "—"), *SeatCategory.choices], required=False,
    )


class PoolForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file of the volunteers"),
        help_text=gettext_lazy(
            "Columns: identifiant (a number from your recruitment file, no name) and/or email "
            "(an existing account), sexe (femme/homme), tranche_age (18-44/45+), canton. "
            "UTF-8, commas or semicolons."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(_("The file is too large (%(max)s MB at most).")
                                  % {"max": MAX_FILE_BYTES // (1024 * 1024)})
        return upload


class QuotasForm(forms.Form):
    panel_size = forms.IntegerField(label=gettext_lazy("Size of the committee"), min_value=1,
                                    max_value=100)
    min_f = forms.IntegerField(label=gettext_lazy("Women, at least"), min_value=0)
    max_f = forms.IntegerField(label=gettext_lazy("Women, at most"), min_value=0)
    min_h = forms.IntegerField(label=gettext_lazy("Men, at least"), min_value=0)
    max_h = forms.IntegerField(label=gettext_lazy("Men, at most"), min_value=0)
    min_18 = forms.IntegerField(label=gettext_lazy("Aged 18–44, at least"), min_value=0)
    max_18 = forms.IntegerField(label=gettext_lazy("Aged 18–44, at most"), min_value=0)
    min_45 = forms.IntegerField(label=gettext_lazy("Aged 45 and over, at least"), min_value=0)
    max_45 = forms.IntegerField(label=gettext_lazy("Aged 45 and over, at most"), min_value=0)
    max_canton = forms.IntegerField(label=gettext_lazy("At most per canton"), min_value=1)

    KEYS = (("sex", "f"), ("sex", "h"), ("age_band", "18"), ("age_band", "45"))

    @classmethod
    def initial_for(cls, draw: Draw) -> dict[str, int]:
        initial: dict[str, int] = {"panel_size": draw.panel_size}
        for quota in draw.quotas:
            if quota["value"] == "*":
                initial["max_canton"] = quota["max"]
            else:
                initial[f"min_{quota['value']}"] = quota["min"]
                initial[f"max_{quota['value']}"] = quota["max"]
        return initial

    def quotas(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {"feature": feature, "value": value, "min": data[f"min_{value}"],
             "max": data[f"max_{value}"]}
            for feature, value in self.KEYS
        ] + [{"feature": "canton", "value": "*", "min": 0, "max": data["max_canton"]}]


class AnnounceForm(forms.Form):
    source = forms.CharField(
        label=gettext_lazy("Source of the seed"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Say it before the draw, in public: for example « the sentence read aloud at the "
            "plenary of 14 March », or « the EuroMillions numbers of Friday 20 March »."
        ),
    )


class RunForm(forms.Form):
    seed = forms.CharField(
        label=gettext_lazy("Value of the seed"), max_length=200,
        help_text=gettext_lazy("Exactly as announced: every character counts."),
    )


# --- DCCU pages -------------------------------------------------------------------------


@require_GET
@dccu_required
def draw_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "draws/list.html", {"draws": Draw.objects.all()})


@dccu_required
def draw_new(request: AuthenticatedRequest) -> HttpResponse:
    form = NewDrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        purpose = data["purpose"]
        strata: list[str] = []
        rounds = 1
        if purpose in {DrawPurpose.ASSEMBLY, DrawPurpose.REPLACEMENT}:
            rounds = 1 + (data["substitutes"] or 0)
        elif purpose == DrawPurpose.SUBGROUPS:
            rounds = data["subgroups"] or 0
        if purpose == DrawPurpose.REPLACEMENT and data["canton"] and data["category"]:
            strata = [f"{data['canton'].code}:{data['category']}"]
        assembly = Assembly.current()
        if assembly is None:
            form.add_error(None, _("There is no assembly yet."))
        else:
            try:
                draw = draws.do_create_draw(
                    request.user, assembly=assembly, title=data["title"], purpose=purpose,
                    rounds=rounds, panel_size=data["panel_size"] or 0, strata=strata,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("draws:detail", draw_id=draw.pk)
    return render(request, "draws/new.html", {"form": form})


def _pool_summary(draw: Draw) -> list[tuple[str, int]]:
    """How many volunteers per canton and category: counts only, never a person."""
    counts = Counter(
        (canton, f"{sex}{band}")
        for canton, sex, band in draw.volunteers.values_list("canton__name", "sex", "age_band")
    )
    return [(f"{canton} — {SeatCategory(category).label}", count)
            for (canton, category), count in sorted(counts.items())]


def _detail(request: AuthenticatedRequest, draw: Draw, **extra: Any) -> HttpResponse:
    status = draw.status
    context = {
        "draw": draw,
        "pool_count": draw.volunteers.count(),
        "pool_summary": _pool_summary(draw),
        "pool_form": PoolForm() if status in {DrawStatus.PREPARED, DrawStatus.SEED_ANNOUNCED}
        else None,
        "quotas_form": QuotasForm(initial=QuotasForm.initial_for(draw))
        if draw.purpose == DrawPurpose.COMITE
        and status in {DrawStatus.PREPARED, DrawStatus.SEED_ANNOUNCED} else None,
        "announce_form": AnnounceForm() if status == DrawStatus.PREPARED else None,
        "run_form": RunForm() if status == DrawStatus.FROZEN else None,
        "result": draws.result_rows(draw),
        "statuses": DrawStatus,
        "purposes": DrawPurpose,
        **extra,
    }
    return render(request, "draws/detail.html", context)


@require_GET
@dccu_required
def draw_detail(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    return _detail(request, access_draw(request.user, draw_id))


@require_POST
@dccu_required
def draw_import(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_draw(request.user, draw_id)
    form = PoolForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, draw, pool_form_errors=form)
    try:
        report = draws.do_import_pool(request.user, draw, form.cleaned_data["file"].read())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("draws:detail", draw_id=draw.pk)
    if report.ok:
        messages.success(request, _("%(count)s volunteers added to the pool.")
                         % {"count": report.imported})
        return redirect("draws:detail", draw_id=draw.pk)
    return _detail(request, draw, report=report)


def _step(request: AuthenticatedRequest, draw: Draw, done: str, operation: Any) -> HttpResponse:
    try:
        operation()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("draws:detail", draw_id=draw.pk)


@require_POST
@dccu_required
def draw_quotas(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_draw(request.user, draw_id)
    form = QuotasForm(request.POST)
    if not form.is_valid():
        return _detail(request, draw, quotas_form_errors=form)
    return _step(request, draw, _("The quotas are saved."), lambda: draws.do_set_quotas(
        request.user, draw, panel_size=form.cleaned_data["panel_size"], quotas=form.quotas()))


@require_POST
@dccu_required
def draw_announce(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_draw(request.user, draw_id)
    form = AnnounceForm(request.POST)
    source = form.cleaned_data["source"] if form.is_valid() else ""
    return _step(request, draw, _("The seed's source is announced."),
                 lambda: draws.do_announce_seed(request.user, draw, source=source))


@require_POST
@dccu_required
def draw_freeze(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_draw(request.user, draw_id)
    return _step(request, draw, _("The pool and the quotas are frozen; their hash is public."),
                 lambda: draws.do_freeze_draw(request.user, draw))


@require_POST
@dccu_required
def draw_run(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_draw(request.user, draw_id)
    form = RunForm(request.POST)
    seed = form.cleaned_data["seed"] if form.is_valid() else ""
    return _step(request, draw, _("The draw is done."),
                 lambda: draws.do_run_draw(request.user, draw, seed=seed))


@require_POST
@dccu_required
def draw_apply(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_draw(request.user, draw_id)
    try:
        outcome = draws.do_apply_draw(request.user, draw)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Applied: %(memberships)s memberships, %(roles)s roles given, %(invite)s people "
              "to invite.") % {"memberships": outcome.memberships, "roles": outcome.roles,
                               "invite": len(outcome.to_invite)},
        )
    return redirect("draws:detail", draw_id=draw.pk)


@require_GET
@dccu_required
def draw_to_invite(request: AuthenticatedRequest, draw_id: uuid.UUID) -> HttpResponse:
    """The drawn people without an account, as a file for the member import: the DCCU adds
    names and email addresses from the recruitment file, then imports it."""
    draw = access_draw(request.user, draw_id)
    if draw.purpose not in {DrawPurpose.ASSEMBLY, DrawPurpose.REPLACEMENT} or not draw.result:
        raise Http404
    with_account = set(draw.volunteers.exclude(user=None).values_list("pseudonym", flat=True))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tirage-{draw.pk}-a-inviter.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["identifiant", "nom", "prenom", "email", "canton", "categorie",
                     "tranche_age", "statut", "rang"])
    cantons = dict(Canton.objects.values_list("code", "name"))
    for row in draw.result:
        canton, _sep, category = row["stratum"].partition(":")
        if row["id"] in with_account:
            continue
        writer.writerow([
            row["id"], "", "", "", cantons.get(canton, canton),
            "femme" if category.startswith("f") else "homme",
            "18-44" if category.endswith("18") else "45+",
            "remplacant" if row["round"] else "titulaire",
            row["round"] or "",
        ])
    return response


# --- Public -----------------------------------------------------------------------------


@require_GET
def draw_verify(request: HttpRequest, draw_id: uuid.UUID) -> HttpResponse:
    """Anyone, without an account, checks a draw: pseudonyms and strata only."""
    draw = access_published_draw(request.user, draw_id)
    return render(request, "draws/verify.html", {
        "draw": draw,
        "result": draws.result_rows(draw),
        "quotas": [
            {**quota, "feature": draws.FEATURE_LABELS.get(quota["feature"], quota["feature"]),
             "value": quota["value"] if quota["value"] == "*"
             else draws.value_label(quota["feature"], quota["value"])}
            for quota in draw.quotas
        ],
        "library": draws.LIBRARY,
        "pool_size": len(json.loads(draw.inputs_json)["people"]),
        "strata_count": len(json.loads(draw.inputs_json)["strata"]),
    })


@require_GET
def draw_inputs(request: HttpRequest, draw_id: uuid.UUID) -> HttpResponse:
    draw = access_published_draw(request.user, draw_id)
    body = json.dumps(draws.export_bundle(draw), ensure_ascii=False, indent=1, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tirage-{draw.pk}.json"'
    return response
