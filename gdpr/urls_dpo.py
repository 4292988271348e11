"""URLs of the DPO's pages: retention runs, the register of processing, the audit trail."""

from django.urls import path

from gdpr.views import dpo as views

app_name = "dpo"

urlpatterns = [
    path("dpd/", views.index, name="index"),
    path("dpd/conservation/", views.retention, name="retention"),
    path("dpd/registre/", views.register, name="register"),
    path("dpd/registre/export.<str:fmt>", views.register_export, name="register_export"),
    path("dpd/journal/", views.journal, name="journal"),
]
