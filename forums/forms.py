"""Forms of the conversation pages (the actions do the real checks; these shape the input)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_ckeditor_5.widgets import CKEditor5Widget

from deliberation.people import person_name_with_role
from forums.models import MESSAGE_MAX_LENGTH, POST_MAX_LENGTH, NotificationPreference


class MessageForm(forms.Form):
    # No max_length here: a browser given `maxlength` cuts a long paste without a word.
    # forums.actions refuses a text past MESSAGE_MAX_LENGTH whole, saying by how much.
    body = forms.CharField(
        label=_("Your message"), strip=True, required=False,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off",
                                     "data-max-length": MESSAGE_MAX_LENGTH}),
    )
    # The browser picks it once per message, so a resend never duplicates.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def clean_client_id(self) -> uuid.UUID:
        return self.cleaned_data.get("client_id") or uuid.uuid4()


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "data-max-length": MESSAGE_MAX_LENGTH}),
    )


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Your message"), max_length=POST_MAX_LENGTH,
        widget=CKEditor5Widget(config_name="default"),
    )


class VoiceForm(forms.Form):
    # Either the recording, or the draft it was uploaded as for a proposed transcript.
    audio = forms.FileField(label=_("Recording"), required=False)
    draft = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # No duration field: the duration is read from the file itself (forums/voice.py).
    # No max_length (a browser would cut a paste): forums.actions refuses a long one whole.
    # Never required: without it the worker may write one (forums/transcription.py).
    transcript = forms.CharField(
        label=_("What you say, in writing"), required=False,
        help_text=_("People who cannot listen will read it."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class MuteForm(forms.Form):
    DURATIONS = [
        (15, _("15 minutes")), (60, _("1 hour")), (24 * 60, _("1 day")), (7 * 24 * 60, _("1 week")),
    ]
    minutes = forms.TypedChoiceField(label=_("For how long"), choices=DURATIONS, coerce=int)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name_with_role(obj)


class DirectRoomForm(forms.Form):
    participants = PeopleField(
        label=_("With whom"), queryset=None, widget=forms.CheckboxSelectMultiple,
        help_text=_("One to seven people who share a room with you."),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["participants"]
        if isinstance(field, PeopleField):
            field.queryset = people

    def clean_participants(self) -> list[Any]:
        people = list(self.cleaned_data["participants"])
        if not 1 <= len(people) <= 7:
            raise forms.ValidationError(_("Choose between one and seven people."))
        return people


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words to look for"), min_length=2, max_length=200)


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email_direct_and_mentions"]
