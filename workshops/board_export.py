"""Whiteboard exports (PNG and PDF) from the stored scene, drawn by Excalidraw itself in
headless Chromium on the server.

Chromium opens a page of an address that exists nowhere (EXPORT_ORIGIN): every request it
makes is answered here, from the static files (Excalidraw's bundle and fonts) or refused,
so rendering needs no network and the page can reach nothing else. Rendering is
synchronous for the person who asked (a few seconds, like the Word exports), run in a
thread so the server keeps answering others, with a limit of EXPORTS_AT_ONCE renders per
process (more answer « busy, try again ») and of EXPORT_TIMEOUT_MS each.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404

from workshops import boards
from workshops.models import Board

EXPORT_ORIGIN = "http://board-export.invalid"
EXPORTS_AT_ONCE = 2
EXPORT_TIMEOUT_MS = 30_000
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
PNG_MIME = "image/png"
PDF_MIME = "application/pdf"

_slots = threading.BoundedSemaphore(EXPORTS_AT_ONCE)

PAGE = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>export</title>
<style>
@page { size: A4 landscape; margin: 12mm; }
html, body { margin: 0; background: #fff; }
h1 { font: 600 16pt/1.3 "Liberation Sans", Arial, sans-serif; margin: 0 0 6mm; }
#out svg { display: block; max-width: 100%; max-height: 160mm; width: auto; height: auto; }
</style></head>
<body><h1 id="title"></h1><div id="out"></div>
<script type="module" src="/static/boards/export.js"></script></body></html>
"""


class ExportBusy(Exception):
    """Too many exports at once in this process: try again in a moment."""


class ExportFailed(Exception):
    """Chromium or Excalidraw could not draw the board."""


def chromium() -> str:
    configured = os.environ.get("BOARD_EXPORT_CHROMIUM", "")
    for candidate in (configured, *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    raise ExportFailed("no Chromium on this server")


def scene_for(user: Any, board: Board) -> dict[str, Any]:
    """The stored scene, with the images of the library this person may read as data URLs
    (an image they may not read is left out: Excalidraw draws its placeholder)."""
    scene = boards.stored_scene(board)
    files: dict[str, Any] = {}
    for file_id, entry in scene["files"].items():
        try:
            _document, current = boards.access_image(user, entry.get("document"))
            data = boards.image_bytes(current)
        except (Http404, OSError):
            continue
        files[file_id] = {
            "id": file_id,
            "mimeType": current.mime_type,
            "dataURL": f"data:{current.mime_type};base64,{base64.b64encode(data).decode()}",
            "created": 0,
        }
    return {"elements": scene["elements"], "files": files}


def _static(path: str) -> Path | None:
    relative = path[len(settings.STATIC_URL) :]
    if ".." in relative.split("/"):
        return None
    found = finders.find(relative)
    if found:
        return Path(str(found))
    collected = Path(settings.STATIC_ROOT) / relative
    return collected if collected.is_file() else None


def _route(route: Any) -> None:
    url = route.request.url
    if not url.startswith(EXPORT_ORIGIN + "/"):
        route.abort()
        return
    path = url[len(EXPORT_ORIGIN) :].split("?", 1)[0]
    if path == "/export":
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)
        return
    if path.startswith(settings.STATIC_URL):
        found = _static(path)
        if found is not None:
            kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            if found.suffix in (".js", ".mjs"):
                kind = "text/javascript"
            route.fulfill(status=200, content_type=kind, body=found.read_bytes())
            return
    route.fulfill(status=404, body="")


def render(scene: dict[str, Any], fmt: str, title: str) -> bytes:
    """PNG or PDF bytes of the scene. Raises ExportBusy or ExportFailed."""
    if fmt not in ("png", "pdf"):
        raise ValueError(fmt)
    if not _slots.acquire(blocking=False):
        raise ExportBusy
    try:
        return _render(scene, fmt, title)
    finally:
        _slots.release()


def _render(scene: dict[str, Any], fmt: str, title: str) -> bytes:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium(),
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            try:
                page = browser.new_page(viewport={"width": 1600, "height": 1000})
                page.set_default_timeout(EXPORT_TIMEOUT_MS)
                page.route("**/*", _route)
                page.goto(EXPORT_ORIGIN + "/export")
                page.wait_for_function("window.agoraBoardExport !== undefined")
                if fmt == "png":
                    encoded = page.evaluate("(s) => window.agoraBoardExport.png(s)", scene)
                    return base64.b64decode(encoded)
                page.evaluate("(t) => { document.getElementById('title').textContent = t }", title)
                page.evaluate("(s) => window.agoraBoardExport.svg(s, '#out')", scene)
                page.evaluate("document.fonts.ready")
                return page.pdf(format="A4", landscape=True, print_background=True)  # type: ignore[no-any-return]
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ExportFailed(str(exc)) from exc
