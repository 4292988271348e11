from django.urls import path

from learning import views

urlpatterns = [
    path("aide/", views.help_index, name="help"),
    path("aide/glossaire/", views.glossary, name="help_glossary"),
    path("aide/aide-memoire.pdf", views.cheatsheet, name="help_cheatsheet"),
    path("aide/<slug:slug>/", views.guide, name="help_guide"),
    path("aide/<slug:slug>/pas-a-pas.pdf", views.guide_print, name="help_guide_pdf"),
]
