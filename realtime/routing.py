"""Websocket URL routes."""

from channels.auth import AuthMiddleware
from django.urls import re_path

from realtime.auth import PersonOnFirstUse
from realtime.hub import HubConsumer
from realtime.yjs.registry import urlpatterns as yjs_urlpatterns

websocket_urlpatterns = [
    # The hub reads the person inside its one database call per connection (realtime/auth.py).
    re_path(r"^ws/?$", PersonOnFirstUse(HubConsumer.as_asgi())),
    # y-websocket, one route per registered document kind: serverUrl ws://host/ws/<path>,
    # room name = the document id (/ws/drafts/<draft id> for drafts).
    *yjs_urlpatterns(wrap=AuthMiddleware),
]
