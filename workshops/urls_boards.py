"""The whiteboards' pages, under /ateliers/ (namespace "workshops"): included by
workshops/urls.py. Their views live in workshops/views_boards.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
