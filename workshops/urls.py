"""The workshops' pages (« ateliers »), under /ateliers/ (namespace "workshops").

Idea walls are here; the whiteboards' pages are in workshops/urls_boards.py."""

from django.urls import include, path

from workshops import views

app_name = "workshops"

urlpatterns = [
    path("", views.index, name="index"),
    path("salle/<uuid:room_id>/", views.room_workshops, name="room"),
    path("salle/<uuid:room_id>/nouveau-mur/", views.wall_create, name="wall_create"),
    path("murs/<uuid:wall_id>/", views.wall, name="wall"),
    path("murs/<uuid:wall_id>/projection/", views.wall_projection, name="wall_projection"),
    path("murs/<uuid:wall_id>/reglages/", views.wall_settings, name="wall_settings"),
    path("murs/<uuid:wall_id>/mode/", views.wall_mode, name="wall_mode"),
    path("murs/<uuid:wall_id>/vote/", views.wall_round, name="wall_round"),
    path("murs/<uuid:wall_id>/proposition/", views.wall_proposal, name="wall_proposal"),
    path("murs/<uuid:wall_id>/export.docx", views.wall_export, name="wall_export"),
    # Whiteboards (their pages, projection and exports).
    path("", include("workshops.urls_boards")),
]
