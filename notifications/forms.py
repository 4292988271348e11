"""The « Préférences de notification » form: one checkbox per kind and channel."""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.models import Channel, Kind, Preference


def field_name(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


class PreferenceForm(forms.Form):
    def __init__(self, *args: Any, preference: Preference, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preference = preference
        for kind in Kind:
            for channel in Channel:
                self.fields[field_name(kind, channel)] = forms.BooleanField(
                    required=False,
                    label=f"{kind.label} — {channel.label}",
                    initial=preference.wants(kind, channel),
                )

    def rows(self) -> list[dict[str, Any]]:
        """One row per kind, its three checkboxes in the order of ``Channel``."""
        return [
            {"kind": kind, "fields": [self[field_name(kind, channel)] for channel in Channel]}
            for kind in Kind
        ]

    def save(self) -> Preference:
        self.preference.choices = {
            kind.value: {
                channel.value: bool(self.cleaned_data[field_name(kind, channel)])
                for channel in Channel
            }
            for kind in Kind
        }
        self.preference.save()
        return self.preference
