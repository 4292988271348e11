"""One Yjs engine for every document kind: y-websocket protocol, hub, relay, stores."""
