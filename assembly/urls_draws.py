"""Draw URLs: the DCCU's steps, and the public verification (no login)."""

from django.urls import path

from assembly import views_draws as views

app_name = "draws"

urlpatterns = [
    path("", views.draw_list, name="list"),
    path("nouveau/", views.draw_new, name="new"),
    path("<uuid:draw_id>/", views.draw_detail, name="detail"),
    path("<uuid:draw_id>/volontaires/", views.draw_import, name="import"),
    path("<uuid:draw_id>/quotas/", views.draw_quotas, name="quotas"),
    path("<uuid:draw_id>/graine/", views.draw_announce, name="announce"),
    path("<uuid:draw_id>/figer/", views.draw_freeze, name="freeze"),
    path("<uuid:draw_id>/tirer/", views.draw_run, name="run"),
    path("<uuid:draw_id>/appliquer/", views.draw_apply, name="apply"),
    path("<uuid:draw_id>/a-inviter.csv", views.draw_to_invite, name="to_invite"),
    path("<uuid:draw_id>/verification/", views.draw_verify, name="verify"),
    path("<uuid:draw_id>/verification/tirage.json", views.draw_inputs, name="inputs"),
]
