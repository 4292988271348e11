"""The whiteboards' pages, under /ateliers/ (namespace "workshops"): included by
workshops/urls.py. Their views live in workshops/views_boards.py."""

from django.urls import URLPattern, path

from workshops import views_boards

urlpatterns: list[URLPattern] = [
    path("salle/<uuid:room_id>/nouveau-tableau/", views_boards.board_create, name="board_create"),
    path("tableaux/<uuid:board_id>/", views_boards.board, name="board"),
    path(
        "tableaux/<uuid:board_id>/projection/",
        views_boards.board_projection,
        name="board_projection",
    ),
    path("tableaux/<uuid:board_id>/figer/", views_boards.board_freeze, name="board_freeze"),
    path("tableaux/<uuid:board_id>/images/", views_boards.board_images, name="board_images"),
    path(
        "tableaux/<uuid:board_id>/images/<uuid:document_id>/",
        views_boards.board_image,
        name="board_image",
    ),
    path(
        "tableaux/<uuid:board_id>/export.png",
        views_boards.board_export,
        {"fmt": "png"},
        name="board_export_png",
    ),
    path(
        "tableaux/<uuid:board_id>/export.pdf",
        views_boards.board_export,
        {"fmt": "pdf"},
        name="board_export_pdf",
    ),
]
