"""The library's URLs (docs/permissions.md, « Bibliothèque »)."""

urlpatterns: list = []
