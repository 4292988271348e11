"""Websocket URL routes."""

from django.urls import re_path

from realtime.consumers import AgoraConsumer
from realtime.yjs.consumer import DraftConsumer

websocket_urlpatterns = [
    re_path(r"^ws/?$", AgoraConsumer.as_asgi()),
    # y-websocket: serverUrl ws://host/ws/drafts, room name = the draft id.
    re_path(r"^ws/drafts/(?P<draft_id>[^/]+)/?$", DraftConsumer.as_asgi()),
]
