"""The « Préférences de notification » form: one checkbox per kind and channel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from notifications.models import Channel, Kind, Preference


def field_name(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


class PreferenceForm(forms.Form):
    """``channels``: the columns offered (web push only when the platform has its keys);
    a channel not offered keeps what was chosen before."""

    def __init__(
        self,
        *args: Any,
        preference: Preference,
        channels: Sequence[Channel] = tuple(Channel),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.preference = preference
        self.channels = list(channels)
        for kind in Kind:
            for channel in self.channels:
                self.fields[field_name(kind, channel)] = forms.BooleanField(
                    required=False,
                    label=f"{kind.label} — {channel.label}",
                    initial=preference.wants(kind, channel),
                )

    def rows(self) -> list[dict[str, Any]]:
        """One row per kind, its checkboxes in the order of the offered channels."""
        return [
            {
                "kind": kind,
                "fields": [self[field_name(kind, channel)] for channel in self.channels],
            }
            for kind in Kind
        ]

    def save(self) -> Preference:
        self.preference.choices = {
            kind.value: {
                channel.value: (
                    bool(self.cleaned_data[field_name(kind, channel)])
                    if channel in self.channels
                    else self.preference.wants(kind, channel)
                )
                for channel in Channel
            }
            for kind in Kind
        }
        self.preference.save()
        return self.preference
