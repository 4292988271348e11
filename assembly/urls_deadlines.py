"""« Échéances »: the documents due for the sessions (assembly/views_deadlines.py)."""

from django.urls import path

from assembly import views_deadlines as views

app_name = "deadlines"

urlpatterns = [
    path("", views.deadline_list, name="list"),
    path("<uuid:document_id>/", views.deadline_document, name="document"),
    path("<uuid:document_id>/remettre/", views.deadline_deliver, name="deliver"),
    path("<uuid:document_id>/rouvrir/", views.deadline_reopen, name="reopen"),
    path("<uuid:document_id>/export.docx", views.deadline_export, name="export"),
]
