"""Template context shared by every page: the platform's identity."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def agora(request: HttpRequest) -> dict[str, Any]:
    return {
        "AGORA_SITE_NAME": settings.AGORA_SITE_NAME,
        "AGORA_ORGANISATION": settings.AGORA_ORGANISATION,
        "AGORA_ASSEMBLY_NAME": settings.AGORA_ASSEMBLY_NAME,
        "DPO_EMAIL": settings.DPO_EMAIL,
        "DCCU_EMAIL": settings.DCCU_EMAIL,
        "AGORA_TRAINING_MODE": getattr(settings, "AGORA_TRAINING_MODE", False),
    }
