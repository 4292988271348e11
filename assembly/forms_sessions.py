"""The organisers' form of a session (the operation validates again: ``assembly.sessions``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import MODERATOR_ROLES, Role, has_role
from assembly.models import ReplyAnswer, Session, SessionKind
from assembly.sessions import manageable_subgroups


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["kind", "title", "subgroup", "starts_at", "ends_at", "place", "online",
                  "agenda", "facilitators", "documents"]
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "agenda": forms.Textarea(attrs={"rows": 6}),
            "facilitators": forms.CheckboxSelectMultiple(),
        }
        help_texts = {
            "place": _("The full address (room, street, town). Empty for an online session."),
            "online": _("The session's call is the live call of its subgroup's room, or of the "
                        "plenary room."),
            "agenda": _("One item per line."),
            "documents": _("Library documents to read before the session; each person sees "
                           "those they may read."),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from documents.access import visible_documents

        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M"]  # type: ignore[attr-defined]
        self.fields["subgroup"].queryset = manageable_subgroups(actor)  # type: ignore[attr-defined]
        self.fields["facilitators"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            groups__name__in=MODERATOR_ROLES, is_active=True
        ).distinct().order_by("first_name", "last_name")
        self.fields["facilitators"].label_from_instance = (  # type: ignore[attr-defined]
            lambda user: user.public_name
        )
        self.fields["documents"].queryset = visible_documents(  # type: ignore[attr-defined]
            actor
        ).order_by("title")
        self.fields["documents"].required = False
        if not (actor.is_superuser or has_role(actor, Role.DCCU)):
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                (SessionKind.SOUS_GROUPE, SessionKind.SOUS_GROUPE.label)
            ]
            self.fields["subgroup"].required = True

    def operation_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["facilitators"] = list(data.get("facilitators") or [])
        data["documents"] = list(data.get("documents") or [])
        return data

    def _post_clean(self) -> None:
        # The operation validates the instance (and may change it): not here.
        pass


class ReplyForm(forms.Form):
    answer = forms.ChoiceField(label=_("My answer"), choices=ReplyAnswer.choices,
                               widget=forms.RadioSelect)

    def __init__(self, *args: Any, online: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not online:
            self.fields["answer"].choices = [  # type: ignore[attr-defined]
                c for c in ReplyAnswer.choices if c[0] != ReplyAnswer.ONLINE
            ]
