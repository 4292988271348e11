"""The admin of proposals (the assembly's own admin is in ``assembly.admin``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from config.admin import LabelledListEditableAdmin
from deliberation.models import Proposal

# --- Proposals ---------------------------------------------------------------------------


@admin.register(Proposal)
class ProposalAdmin(LabelledListEditableAdmin):
    """Read mostly: proposals are created and moved through the workflow on their pages
    (``deliberation.proposals``); here the DCCU orders them for the mandate's report."""

    list_display = ["title", "subgroup", "mandate", "status", "position", "updated_at"]
    list_filter = ["status", "mandate", "subgroup"]
    list_editable = ["position"]
    search_fields = ["title", "subgroup__name"]
    list_select_related = ["subgroup", "mandate"]
    fields = ["title", "mandate", "subgroup", "status", "position", "created_by", "created_at",
              "updated_at"]
    readonly_fields = ["title", "mandate", "subgroup", "status", "created_by", "created_at",
                       "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A proposal's history (draft, versions, comments) is the assembly's record.
        return False
