"""Exports of proposals and of the mandate report (.docx, HTML)."""

from django.urls import path

from deliberation import views_export

urlpatterns = [
    path(
        "<uuid:proposal_id>/export.docx",
        views_export.proposal_export_docx,
        name="proposal_export_docx",
    ),
    path(
        "<uuid:proposal_id>/export.html",
        views_export.proposal_export_html,
        name="proposal_export_html",
    ),
    path(
        "rapport/<uuid:mandate_id>.docx",
        views_export.mandate_report_docx,
        name="mandate_report_docx",
    ),
]
