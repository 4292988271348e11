"""Invitation URLs (DCCU side and invitee side)."""


app_name = "invitations"

urlpatterns: list = []
