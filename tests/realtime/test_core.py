"""``realtime`` is the transport core: it imports no domain app, at module level or inside a
function. The apps register their live features with it (``realtime.hub.register_feature``,
``realtime.guards.register_gate``, ``realtime.yjs.registry.register``); the only app it
reads is ``accounts`` (people and login: who a socket belongs to, their roles)."""

from __future__ import annotations

from realtime.hub import features
from tests.imports import imports_of, project_apps

ALLOWED = {"realtime", "accounts", "config"}


def test_realtime_imports_no_domain_app() -> None:
    domain = project_apps() - ALLOWED
    assert {"forums", "documents", "deliberation", "assembly", "gdpr"} <= domain
    offenders = imports_of("realtime", domain)
    assert not offenders, f"realtime imports domain apps: {offenders}"


def test_each_app_owns_its_live_feature_on_the_socket() -> None:
    owners = {feature.name: feature.__module__ for feature in features()}
    assert owners["chat"] == "forums.realtime"
    assert owners["library"] == "documents.realtime"
    frames = {frame for feature in features() for frame in feature.frames}
    assert {"subscribe", "message.send", "history", "resync", "typing", "read"} <= frames


def test_a_frame_type_has_one_owner() -> None:
    from realtime.hub import LiveFeature, register_feature

    class Twin(LiveFeature):
        name = "twin"
        frames = {"subscribe": "subscribe"}

        async def subscribe(self, content: dict[str, object]) -> None: ...

    class Lost(LiveFeature):
        name = "lost"
        frames = {"lost.frame": "missing_handler"}

    for feature in (Twin, Lost):
        try:
            register_feature(feature)
        except ValueError:
            continue
        raise AssertionError(f"{feature.__name__} was registered")
    assert {f.name for f in features()}.isdisjoint({"twin", "lost"})


def test_process_state_lives_in_the_hub() -> None:
    from realtime.hub import Hub

    hub = Hub.current()
    first = hub.state("test.thing", list)
    assert hub.state("test.thing", dict) is first  # made once per process
