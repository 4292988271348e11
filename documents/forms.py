"""Forms of the library pages (the actions do the real checks; these shape the input)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_ckeditor_5.widgets import CKEditor5Widget

from assembly.models import Mandate
from documents.models import Audience, ContributorType, DocumentKind, Theme

PAGE_SIZE = 20


class MandateField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.title)


class DocumentForm(forms.Form):
    """Propose (or edit) a document: the fields shown depend on its kind."""

    kind = forms.ChoiceField(
        label=_("Kind of document"), choices=DocumentKind.choices, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "In a few lines: what the reader will find. For a bibliography entry, "
            "the reference: author, title, publisher, year."
        ),
    )
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_(
            "PDF, text, spreadsheet, presentation, image, sound or video. A large "
            "video is better shared as a link."
        ),
    )
    url = forms.CharField(
        label=_("Address (link)"),
        required=False,
        max_length=1000,
        widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"}),
        help_text=_("For a link, or a video or a recording published elsewhere."),
    )
    body = forms.CharField(
        label=_("Text of the sheet"),
        required=False,
        max_length=100_000,
        widget=CKEditor5Widget(config_name="default"),
    )
    mandates = MandateField(
        label=_("Mandates"),
        queryset=Mandate.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience = forms.ChoiceField(label=_("Who may read it"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("A word for the moderators (optional)"),
        required=False,
        max_length=300,
    )

    def __init__(
        self, *args: Any, audiences: list[str], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Audience.choices)
        audience = self.fields["audience"]
        assert isinstance(audience, forms.ChoiceField)  # noqa: S101 - declared above
        audience.choices = [(a, labels[a]) for a in audiences]
        mandates = self.fields["mandates"]
        assert isinstance(mandates, forms.ModelMultipleChoiceField)  # noqa: S101
        mandates.queryset = Mandate.objects.order_by("-start", "title")
        if editing:
            # The kind and the file do not change here: a new file is a new version.
            del self.fields["kind"]
            del self.fields["file"]
            self.fields["note"].label = _("What changed (optional)")


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version of the file"))
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, for the author"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class FilterForm(forms.Form):
    """The browse page's filters: a GET form that works without JavaScript."""

    mandate = forms.ModelChoiceField(
        label=_("Mandate"),
        queryset=Mandate.objects.none(),
        required=False,
        empty_label=_("All the mandates"),
        to_field_name="pk",
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.all(),
        required=False,
        empty_label=_("All the themes"),
        to_field_name="slug",
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All the kinds")), *DocumentKind.choices],
    )
    contributor_type = forms.ChoiceField(
        label=_("Shared by"),
        required=False,
        choices=[("", _("Everyone")), *ContributorType.choices],
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mandate = self.fields["mandate"]
        assert isinstance(mandate, forms.ModelChoiceField)  # noqa: S101
        mandate.queryset = Mandate.objects.order_by("-start", "title")
        mandate.label_from_instance = lambda obj: str(obj.title)  # type: ignore[method-assign]


class SearchForm(forms.Form):
    """The library's search: the words, then the same filters as the browse page."""

    q = forms.CharField(label=_("Words to look for"), min_length=2, max_length=200)
    mandate = forms.ModelChoiceField(
        label=_("Mandate"),
        queryset=Mandate.objects.none(),
        required=False,
        empty_label=_("All the mandates"),
        to_field_name="pk",
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.all(),
        required=False,
        empty_label=_("All the themes"),
        to_field_name="slug",
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All the kinds")), *DocumentKind.choices],
    )
    contributor_type = forms.ChoiceField(
        label=_("Shared by"),
        required=False,
        choices=[("", _("Everyone")), *ContributorType.choices],
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mandate = self.fields["mandate"]
        assert isinstance(mandate, forms.ModelChoiceField)  # noqa: S101
        mandate.queryset = Mandate.objects.order_by("-start", "title")
        mandate.label_from_instance = lambda obj: str(obj.title)  # type: ignore[method-assign]
