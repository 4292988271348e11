"""Pages for information and consent: the welcome gate, « Mes choix », public pages, texts.

Every write goes through ``gdpr.consent``; these views only read the request,
call the operation and pick the next page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from gdpr import accessibility as a11y
from gdpr import audit, consent, markup
from gdpr.models import ConsentDecision, OptionalPurpose, PolicyText, TextKind
from gdpr.register import build_register

View = Callable[..., HttpResponse]

# --- Helpers shared by the pages --------------------------------------------------------


def processing_summary() -> list[dict[str, Any]]:
    """What is kept, why, on which basis and how long: the register, from the declarations."""
    return [
        {"data": d.name, "purpose": d.purpose, "legal_basis": d.legal_basis,
         "retention": d.retention}
        for _processing, d in build_register().data_categories
    ]


def rights_url(*names: str) -> str:
    """A page of « Mes données » (another part of the module), or its home as a fallback."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/mes-donnees/"


def erasure_request_url() -> str:
    return rights_url("rights:request_erasure", "rights:home")


def _contacts() -> dict[str, Any]:
    return {
        "dpo_email": settings.DPO_EMAIL,
        "dpo_phone": settings.DPO_PHONE,
        "dccu_email": settings.DCCU_EMAIL,
        "organisation_address": settings.AGORA_ORGANISATION_ADDRESS,
    }


def _notice_context(notice: PolicyText | None, top_heading: int) -> dict[str, Any]:
    return {
        "notice": notice,
        "notice_html": markup.render(notice.body, top_heading=top_heading) if notice else "",
        "processing": processing_summary(),
        **_contacts(),
    }


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("home")


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- The welcome gate -------------------------------------------------------------------


@login_required
def welcome(request: AuthenticatedRequest) -> HttpResponse:
    """Read the privacy notice and accept the charter, at first login and after each change."""
    gate = consent.gate_for(request.user)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        return _answer_welcome(request, next_url)
    if gate.is_open:
        return redirect(next_url)
    context = _notice_context(gate.notice, top_heading=3)
    context.update(
        gate=gate,
        charter_html=markup.render(gate.charter.body, top_heading=3) if gate.charter else "",
        next=next_url,
    )
    return render(request, "gdpr/consent/welcome.html", context)


def _posted_text(request: HttpRequest, field: str, kind: str) -> PolicyText | None:
    value = request.POST.get(field)
    if not value:
        return None
    try:
        return PolicyText.objects.get(pk=uuid.UUID(value), kind=kind, published_at__isnull=False)
    except (ValueError, PolicyText.DoesNotExist):
        return None


def _answer_welcome(request: AuthenticatedRequest, next_url: str) -> HttpResponse:
    # The ids of the versions the page showed: a version published meanwhile is asked next.
    notice = _posted_text(request, "notice", TextKind.NOTICE)
    charter = _posted_text(request, "charter", TextKind.CHARTER)
    decision = request.POST.get("decision")
    if decision not in {"accept", "refuse"} or (charter is None and decision == "refuse"):
        return redirect(reverse("consent:welcome"))
    with transaction.atomic():
        if notice is not None:
            consent.do_record_notice_read(request.user, notice)
        if charter is not None and decision == "accept":
            consent.do_accept_charter(request.user, charter)
        elif charter is not None:
            consent.do_refuse_charter(request.user, charter)
    if decision == "refuse":
        return redirect(reverse("consent:exit"))
    gate = consent.gate_for(request.user)
    if not gate.is_open:  # a newer version appeared while the page was open
        return redirect(f"{reverse('consent:welcome')}?{urlencode({'next': next_url})}")
    return redirect(next_url)


@login_required
def exit_page(request: AuthenticatedRequest) -> HttpResponse:
    """After refusing the charter: the ways out, and the way back in."""
    gate = consent.gate_for(request.user)
    if not gate.refused:
        return redirect(reverse("consent:welcome"))
    return render(
        request,
        "gdpr/consent/exit.html",
        {"erasure_url": erasure_request_url(), "rights_url": rights_url("rights:home"),
         **_contacts()},
    )


# --- « Mes choix »: optional purposes ---------------------------------------------------


def _choices_page(
    request: AuthenticatedRequest, *, error_purpose: str = "", status: int = 200
) -> HttpResponse:
    states = consent.purpose_states(request.user)
    return render(
        request,
        "gdpr/consent/choices.html",
        {
            "purposes": [
                {
                    "state": s,
                    "html": markup.render(s.text.body, top_heading=3) if s.text else "",
                    "error": s.purpose.value == error_purpose,
                }
                for s in states
                # A purpose the platform does not offer (web push without keys) is not
                # shown, unless the person gave it earlier and may still withdraw it.
                if consent.is_offered(s.purpose) or s.given
            ],
            "history": consent.consent_history(request.user),
        },
        status=status,
    )


@login_required
def choices(request: AuthenticatedRequest) -> HttpResponse:
    """Each optional purpose, off until the person ticks it; and their full history."""
    return _choices_page(request)


def _purpose(value: str) -> OptionalPurpose:
    try:
        return OptionalPurpose(value)
    except ValueError as exc:
        raise Http404 from exc


def _purpose_title(purpose: OptionalPurpose) -> str:
    text = consent.current_text(TextKind.PURPOSE, purpose)
    return text.title if text else str(purpose.label)


@require_POST
@login_required
def give(request: AuthenticatedRequest, purpose: str) -> HttpResponse:
    chosen = _purpose(purpose)
    if not consent.is_offered(chosen):
        raise Http404
    if request.POST.get("agree") != "yes":
        # Consent is an explicit act: the box must be ticked by the person.
        return _choices_page(request, error_purpose=chosen.value, status=400)
    try:
        consent.do_give_consent(request.user, chosen)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Your consent is recorded: « %(purpose)s ».")
                         % {"purpose": _purpose_title(chosen)})
    return redirect(reverse("consent:choices") + f"#{chosen.value}")


@require_POST
@login_required
def withdraw(request: AuthenticatedRequest, purpose: str) -> HttpResponse:
    chosen = _purpose(purpose)
    try:
        consent.do_withdraw_consent(request.user, chosen)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Your consent is withdrawn: « %(purpose)s ».")
                         % {"purpose": _purpose_title(chosen)})
    return redirect(reverse("consent:choices") + f"#{chosen.value}")


# --- Public pages (no login) ------------------------------------------------------------


def privacy_notice(request: HttpRequest) -> HttpResponse:
    """« Données personnelles »: the current notice, what is kept and how long, the DPO."""
    context = _notice_context(consent.current_text(TextKind.NOTICE), top_heading=2)
    return render(request, "gdpr/public/privacy.html", context)


def legal_notice(request: HttpRequest) -> HttpResponse:
    """« Mentions légales »: publisher, host, licence."""
    return render(
        request,
        "gdpr/public/legal.html",
        {
            "publication_director": settings.AGORA_PUBLICATION_DIRECTOR,
            "host_provider": settings.AGORA_HOST_PROVIDER,
            "source_url": settings.AGORA_SOURCE_URL,
            **_contacts(),
        },
    )


class AccessibilityFeedbackForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Your message"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What you could not do or read, and on which page."),
    )
    page = forms.CharField(label=gettext_lazy("Page concerned (optional)"), max_length=300,
                           required=False)
    email = forms.EmailField(
        label=gettext_lazy("Your email address (optional, to get an answer)"), required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement, from docs/accessibility/audit.toml, and its feedback
    form: public, like the statement, so that someone who cannot log in can say so."""
    form = AccessibilityFeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        # The same per-address limit as the login's (ACCOUNT_RATE_LIMITS): the 429 page.
        limited = ratelimit.consume_or_429(request, action="accessibility_feedback")
        if limited is not None:
            return limited
        if form.is_valid():
            a11y.do_send_accessibility_feedback(
                message=form.cleaned_data["message"], email=form.cleaned_data["email"],
                page=form.cleaned_data["page"],
            )
            messages.success(request, _("Thank you: your message was sent to the citizen "
                                        "dialogue team, who will answer you."))
            return redirect(reverse("consent:accessibility") + "#feedback")
    audit = a11y.load_audit()
    context = {"audit": audit, "form": form, **_contacts()}
    return render(request, "gdpr/public/accessibility.html", context,
                  status=400 if form.errors else 200)


# --- Staff: texts, paper consent, a person's history ------------------------------------


def _staff_view(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


texts_managers_only = _staff_view(consent.can_manage_texts)


class PolicyTextForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=gettext_lazy(
            "One paragraph per block, separated by an empty line. “## ” starts a heading, "
            "“- ” a list item, **words** are bold, [words](/address) is a link."
        ),
    )


def _text_label(kind: str, purpose: str) -> str:
    if kind == TextKind.PURPOSE:
        return str(OptionalPurpose(purpose).label)
    return str(TextKind(kind).label).capitalize()


@texts_managers_only
def texts(request: AuthenticatedRequest) -> HttpResponse:
    """Every text with its published version and its draft, if any."""
    rows = []
    everything = list(PolicyText.objects.order_by("-version"))
    keys = [(TextKind.NOTICE.value, ""), (TextKind.CHARTER.value, "")] + [
        (TextKind.PURPOSE.value, p.value) for p in OptionalPurpose
    ]
    for kind, purpose in keys:
        versions = [t for t in everything if t.kind == kind and t.purpose == purpose]
        rows.append({
            "kind": kind,
            "purpose": purpose,
            "label": _text_label(kind, purpose),
            "current": next((t for t in versions if t.is_published), None),
            "draft": next((t for t in versions if not t.is_published), None),
            "versions": versions,
        })
    return render(request, "gdpr/consent/texts.html", {"rows": rows})


@texts_managers_only
def text_new(request: AuthenticatedRequest, kind: str, purpose: str = "") -> HttpResponse:
    """Start the next version of a text from the current one."""
    if kind not in TextKind.values or (purpose and purpose not in OptionalPurpose.values):
        raise Http404
    if (kind == TextKind.PURPOSE) != bool(purpose):
        raise Http404
    existing = consent.draft_of(kind, purpose)
    if existing is not None:
        return redirect("consent:text_detail", text_id=existing.pk)
    current = consent.current_text(kind, purpose)
    initial = {"title": current.title, "body": current.body} if current else {}
    form = PolicyTextForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            text = consent.do_create_policy_draft(
                request.user, kind=kind, purpose=purpose, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("consent:text_detail", text_id=text.pk)
    return render(
        request,
        "gdpr/consent/text_form.html",
        {"form": form, "label": _text_label(kind, purpose), "current": current},
    )


@texts_managers_only
def text_detail(request: AuthenticatedRequest, text_id: uuid.UUID) -> HttpResponse:
    """A published version (read only) or a draft (edit, preview, publish, discard)."""
    text = get_object_or_404(PolicyText, pk=text_id)
    form = None
    if not text.is_published:
        form = PolicyTextForm(request.POST or None,
                              initial={"title": text.title, "body": text.body})
        if request.method == "POST" and form.is_valid():
            try:
                consent.do_update_policy_draft(request.user, text, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("consent:text_detail", text_id=text.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "gdpr/consent/text_detail.html",
        {
            "text": text,
            "form": form,
            "label": _text_label(text.kind, text.purpose),
            "html": markup.render(text.body, top_heading=3),
            "is_purpose": text.kind == TextKind.PURPOSE,
            "records": text.records.count() if text.is_published else 0,
        },
    )


@require_POST
@texts_managers_only
def text_publish(request: AuthenticatedRequest, text_id: uuid.UUID) -> HttpResponse:
    text = get_object_or_404(PolicyText, pk=text_id)
    try:
        consent.do_publish_policy_text(
            request.user, text, asks_again=request.POST.get("asks_again") == "yes"
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Version %(version)s is published.")
                         % {"version": text.version})
    return redirect("consent:text_detail", text_id=text.pk)


@require_POST
@texts_managers_only
def text_discard(request: AuthenticatedRequest, text_id: uuid.UUID) -> HttpResponse:
    text = get_object_or_404(PolicyText, pk=text_id)
    try:
        consent.do_discard_policy_draft(request.user, text)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("consent:text_detail", text_id=text.pk)
    messages.success(request, _("The draft is discarded."))
    return redirect("consent:texts")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = f"{obj.last_name} {obj.first_name}".strip() or obj.display_name
        return f"{name} ({obj.email})" if name else obj.email


class PaperConsentForm(forms.Form):
    person = PersonChoiceField(
        label=gettext_lazy("Person"),
        queryset=User.objects.filter(is_active=True).order_by("last_name", "first_name", "email"),
    )
    purpose = forms.ChoiceField(
        label=gettext_lazy("Choice"), choices=OptionalPurpose.choices,
        widget=forms.RadioSelect,
    )
    decision = forms.ChoiceField(
        label=gettext_lazy("What the signed form says"),
        choices=[
            (ConsentDecision.GRANTED.value, gettext_lazy("The person gives their consent")),
            (ConsentDecision.WITHDRAWN.value, gettext_lazy("The person withdraws their consent")),
        ],
        widget=forms.RadioSelect,
    )


@_staff_view(consent.can_record_paper_consent)
def paper_consent(request: AuthenticatedRequest) -> HttpResponse:
    """The DCCU types in a consent signed on paper by a member without internet."""
    form = PaperConsentForm(request.POST or None, initial={"person": request.GET.get("personne")})
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"]
        try:
            record = consent.do_record_paper_consent(
                request.user, person=person, purpose=form.cleaned_data["purpose"],
                decision=form.cleaned_data["decision"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if record is None:
                messages.info(request, _("Nothing changed: the person's choice was already that."))
            else:
                messages.success(request, _("The paper consent is recorded."))
            return redirect("consent:person_consents", person_id=person.pk)
    return render(request, "gdpr/consent/paper.html", {"form": form})


@_staff_view(consent.can_view_consents_of_others)
def person_consents(request: AuthenticatedRequest, person_id: uuid.UUID) -> HttpResponse:
    """A person's consents and their history, as proof (the access is audited)."""
    person = get_object_or_404(User, pk=person_id)
    audit.record(request.user, "gdpr.consent.view", subject=person)
    return render(
        request,
        "gdpr/consent/person.html",
        {
            "person": person,
            "states": consent.purpose_states(person),
            "history": consent.consent_history(person),
            "can_record_paper": consent.can_record_paper_consent(request.user),
        },
    )
