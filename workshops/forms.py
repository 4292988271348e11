"""Forms of the workshops' pages (the operations in workshops/walls.py do the real work)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from workshops.models import WallMode

MAX_COLUMNS = 8
COLUMN_MAX_CHARS = 40
# Offered when a wall is created (the facilitator may empty it).
DEFAULT_COLUMNS = _("Findings\nIdeas\nQuestions")


def parse_columns(text: str) -> list[dict[str, str]]:
    """One column a line → [{"key", "label"}]; keys from the labels, unique."""
    columns: list[dict[str, str]] = []
    keys: set[str] = set()
    for line in text.splitlines():
        label = " ".join(line.split())[:COLUMN_MAX_CHARS]
        if not label:
            continue
        key = (slugify(label) or "colonne")[:20]
        base, n = key, 2
        while key in keys:
            key, n = f"{base[:17]}-{n}", n + 1
        keys.add(key)
        columns.append({"key": key, "label": label})
    return columns


class WallForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    columns = forms.CharField(
        label=_("Columns"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One column a line (for example Findings, Ideas, Questions). Empty: one column."
        ),
    )
    anonymous_allowed = forms.BooleanField(
        label=_("Allow anonymous notes"),
        required=False,
        help_text=_(
            "Others will not see who wrote them; the facilitators and the server "
            "still know it, for moderation."
        ),
    )

    def clean_columns(self) -> list[dict[str, str]]:
        columns = parse_columns(self.cleaned_data.get("columns") or "")
        if len(columns) > MAX_COLUMNS:
            raise forms.ValidationError(_("At most %(n)s columns.") % {"n": MAX_COLUMNS})
        return columns

    @staticmethod
    def columns_text(columns: list[dict[str, Any]]) -> str:
        return "\n".join(str(c.get("label", "")) for c in columns)


class ModeForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=WallMode.choices)


class RoundForm(forms.Form):
    dots = forms.IntegerField(label=_("Dots per person"), min_value=1, max_value=20, initial=3)
