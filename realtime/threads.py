"""The threads that do every socket's database work keep their database connection.

A process has one thread for the sockets' database calls (asgiref's thread-sensitive
executor, which Channels' ``database_sync_to_async`` uses) and two for the drafts' store
(``realtime.yjs.hub``). With PostgreSQL's pool (``DATABASE_POOL_SIZE``, CONN_MAX_AGE 0),
each call would give its connection back and borrow one again: when HTTP requests held
the whole pool, every socket of the process queued behind that one thread's wait for a
connection (the 1,000-user proxy run: socket connections took 112 s at p50). These
threads keep one connection each, as persistent connections did; an unusable one is still
closed (Django's ``close_old_connections``) and the next call borrows a fresh one. HTTP
requests borrow from what is left of the pool and give back at the end of each request.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created

_thread = threading.local()


def keep_connections_here() -> None:
    """Mark the calling thread: its connections no longer expire after each call."""
    _thread.keep = True
    for connection in connections.all(initialized_only=True):
        connection.close_at = None


def _created(sender: Any, connection: Any, **kwargs: Any) -> None:
    if getattr(_thread, "keep", False):
        connection.close_at = None


def install() -> None:
    """Called once per process (RealtimeConfig.ready): the sockets' database thread is
    marked now, the drafts' threads by their executors' initializer."""
    from asgiref.sync import SyncToAsync

    connection_created.connect(_created, dispatch_uid="realtime.threads.keep")
    SyncToAsync.single_thread_executor.submit(keep_connections_here).result(timeout=10)


def close_kept_connections() -> None:
    """Close the connections the three threads keep (tests, before PostgreSQL drops the
    test database: a checked-out pool connection would keep it open)."""
    from asgiref.sync import SyncToAsync

    from realtime.yjs.hub import close_thread_connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
    close_thread_connections()
