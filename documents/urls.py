"""The library's URLs (docs/permissions.md, « Bibliothèque »)."""

from django.urls import path

from documents import views

urlpatterns = [
    path("", views.browse, name="library"),
    path("recherche/", views.search, name="library_search"),
    path("proposer/", views.propose, name="library_propose"),
    path("moderation/", views.moderation, name="library_moderation"),
    path("parcours/", views.paths, name="library_paths"),
    path("parcours/<slug:slug>/", views.path, name="library_path"),
    path("mandats/<uuid:mandate_id>/suivre/", views.follow, name="library_follow"),
    path("<uuid:document_id>/", views.document, name="library_document"),
    path("<uuid:document_id>/modifier/", views.edit, name="library_edit"),
    path("<uuid:document_id>/retirer/", views.withdraw, name="library_withdraw"),
    path("<uuid:document_id>/publier/", views.publish, name="library_publish"),
    path("<uuid:document_id>/refuser/", views.decline, name="library_decline"),
    path("<uuid:document_id>/archiver/", views.archive, name="library_archive"),
    path("<uuid:document_id>/lu/", views.mark_read, name="library_mark_read"),
    path("<uuid:document_id>/commenter/", views.comment, name="library_comment"),
    path("<uuid:document_id>/nouvelle-version/", views.new_version, name="library_new_version"),
    path(
        "<uuid:document_id>/fichiers/<uuid:file_id>/telecharger/",
        views.download,
        name="library_download",
    ),
    path(
        "<uuid:document_id>/fichiers/<uuid:file_id>/apercu/", views.preview, name="library_preview"
    ),
    path(
        "<uuid:document_id>/fichiers/<uuid:file_id>/lecture/", views.inline, name="library_inline"
    ),
]
