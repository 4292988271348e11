from django.urls import path

from learning import views_sandbox

app_name = "learning"

urlpatterns = [
    # The practice space (learning/sandbox.py, docs/training.md).
    path("bac-a-sable/", views_sandbox.sandbox_home, name="sandbox"),
    path("bac-a-sable/brouillon/", views_sandbox.sandbox_draft, name="sandbox_draft"),
    path("bac-a-sable/effacer/", views_sandbox.sandbox_reset, name="sandbox_reset"),
    path("bac-a-sable/salle-commune/", views_sandbox.training_room, name="training_room"),
    path(
        "bac-a-sable/salle-commune/effacer/",
        views_sandbox.training_room_reset,
        name="training_room_reset",
    ),
]
