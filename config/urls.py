"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path("", include("deliberation.urls")),
    path("", include("gdpr.urls")),
    path("comptes/", include("allauth.urls")),
    path("comptes/", include("accounts.urls")),
    path("invitations/", include("accounts.invitation_urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
]
