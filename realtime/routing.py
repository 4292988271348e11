"""Websocket URL routes."""

from django.urls import re_path

from realtime.consumers import AgoraConsumer

websocket_urlpatterns = [
    re_path(r"^ws/?$", AgoraConsumer.as_asgi()),
]
