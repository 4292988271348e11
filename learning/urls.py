from django.urls import include, path

from learning import views

urlpatterns = [
    # The help centre (docs/help.md): URL names without a namespace, as before the move.
    path("aide/", views.help_index, name="help"),
    path("aide/glossaire/", views.glossary, name="help_glossary"),
    path("aide/aide-memoire.pdf", views.cheatsheet, name="help_cheatsheet"),
    path("aide/<slug:slug>/", views.guide, name="help_guide"),
    path("aide/<slug:slug>/pas-a-pas.pdf", views.guide_print, name="help_guide_pdf"),
    # The practice space, in the ``learning`` namespace (learning:sandbox…).
    path("", include("learning.urls_sandbox")),
]
