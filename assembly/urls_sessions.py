"""The agenda's URLs (« Mon agenda », sessions, the personal calendar feed)."""

from django.urls import path

from assembly import views_sessions as views

app_name = "sessions"

urlpatterns = [
    path("", views.agenda, name="agenda"),
    path("nouvelle/", views.session_create, name="create"),
    path("seance/<uuid:session_id>/", views.session_detail, name="detail"),
    path("seance/<uuid:session_id>/reponse/", views.session_reply, name="reply"),
    path("seance/<uuid:session_id>/modifier/", views.session_edit, name="edit"),
    path("seance/<uuid:session_id>/annuler/", views.session_cancel, name="cancel"),
    path("seance/<uuid:session_id>/seance.ics", views.session_ics, name="ics"),
    path("abonnement/", views.feed_settings, name="feed_settings"),
    # The secret address itself: no login, the token is the key (404 when wrong or revoked).
    path("flux/<str:token>.ics", views.feed, name="feed"),
]
