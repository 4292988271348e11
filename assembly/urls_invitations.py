"""Invitation URLs (DCCU side and invitee side)."""

from django.urls import path

from assembly import views_invitations as views

app_name = "invitations"

urlpatterns = [
    path("", views.invitation_list, name="list"),
    path("nouvelle/", views.invitation_new, name="new"),
    path("import/", views.invitation_import, name="import"),
    path("<uuid:invitation_id>/renvoyer/", views.invitation_resend, name="resend"),
    path("<uuid:invitation_id>/revoquer/", views.invitation_revoke, name="revoke"),
    # The invitee's link; the token is never stored, only its hash.
    path("<str:token>/", views.invitation_accept, name="accept"),
]
