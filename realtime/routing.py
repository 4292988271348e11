"""Websocket URL routes."""

from django.urls import re_path

from realtime.hub import HubConsumer
from realtime.yjs.registry import urlpatterns as yjs_urlpatterns

websocket_urlpatterns = [
    re_path(r"^ws/?$", HubConsumer.as_asgi()),
    # y-websocket, one route per registered document kind: serverUrl ws://host/ws/<path>,
    # room name = the document id (/ws/drafts/<draft id> for drafts).
    *yjs_urlpatterns(),
]
