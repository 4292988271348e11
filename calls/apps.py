"""Live calls in conversation rooms: signalling, media rooms and the speaking floor."""

from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "Calls"
