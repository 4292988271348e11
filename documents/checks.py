"""Deploy checks of the library: say it loudly when its files are not scanned for viruses."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Info, Tags, Warning, register


@register(Tags.security, deploy=True)
def antivirus_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Members upload files that others open: without ClamAV nobody scans them.

    A WARNING (so `check --deploy --fail-level WARNING` fails) unless the operator wrote
    down, with LIBRARY_WITHOUT_ANTIVIRUS=true, that they run without one on purpose;
    then an INFO line still says so on every deploy check.
    """
    if settings.CLAMAV_ADDRESS:
        return []
    if settings.LIBRARY_WITHOUT_ANTIVIRUS:
        return [
            Info(
                "No antivirus: library files are not scanned (LIBRARY_WITHOUT_ANTIVIRUS=true "
                "acknowledges it).",
                id="documents.I001",
            )
        ]
    return [
        Warning(
            "No antivirus is configured: files that members upload to the library are "
            "served to others without a virus scan.",
            hint=(
                "Run clamd and set CLAMAV_ADDRESS (docs/deploy.md, « Antivirus »), or set "
                "LIBRARY_WITHOUT_ANTIVIRUS=true to acknowledge running without one."
            ),
            id="documents.W001",
        )
    ]
