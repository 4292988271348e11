"""URLs of the privacy module: one module per area, each with its own namespace."""

from importlib.util import find_spec

from django.urls import URLPattern, URLResolver, include, path

AREAS = ("gdpr.urls_consent", "gdpr.urls_rights", "gdpr.urls_dpo")

# An area whose module is not written yet is skipped; one that exists but fails to
# import fails loudly, as it should.
urlpatterns: list[URLPattern | URLResolver] = [
    path("", include(module)) for module in AREAS if find_spec(module) is not None
]
