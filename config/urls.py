"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from accounts.views import email_addresses_closed
from config.health import healthz
from config.metrics import metrics_view
from config.search import search_page
from notifications.views import push_service_worker

urlpatterns = [
    path("", include("dashboards.urls")),
    path("", include("learning.urls")),
    path("", include("gdpr.urls")),
    path("recherche/", search_page, name="search"),
    path("discussions/", include("forums.urls")),
    path("appels/", include("calls.urls")),
    path("propositions/", include("deliberation.urls_proposals")),
    path("propositions/", include("deliberation.urls_export")),
    path("suivi/", include("deliberation.urls_followup")),
    path("decisions/", include("decisions.urls")),
    path("bibliotheque/", include("documents.urls")),
    path("ateliers/", include("workshops.urls")),
    path("notifications/", include("notifications.urls")),
    # Before allauth's own: its page to add or switch addresses is closed (accounts.views).
    path("comptes/email/", email_addresses_closed, name="email_addresses_closed"),
    path("comptes/", include("allauth.urls")),
    path("comptes/", include("accounts.urls")),
    path("invitations/", include("assembly.urls_invitations")),
    path("tirages/", include("assembly.urls_draws")),
    path("agenda/", include("assembly.urls_sessions")),
    path("echeances/", include("assembly.urls_deadlines")),
    path("presences/", include("assembly.urls_attendance")),
    path("", include("assembly.urls_seats")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    # At the root, so that it may show notifications for the whole site (its scope is /).
    path("sw.js", push_service_worker, name="push_service_worker"),
]
