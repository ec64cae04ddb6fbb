"""The few static files the pages need (CSS, the upload script), served by the app itself so the
local stack and AWS need no separate web server."""

from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response

blueprint = Blueprint(__name__)

STATIC = Path(__file__).parent / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "application/javascript; charset=utf-8"}
FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in TYPES}
SERVICE_WORKERS = frozenset({"tech-outbox-sw.js"})


@blueprint.route("/static/{name}", methods=["GET"])
def static_file(name: str) -> Response:
    path = FILES.get(name)
    if path is None:
        return Response(body="not found", status_code=404, headers={"Content-Type": "text/plain"})
    headers: dict[str, str | list[str]] = {"Content-Type": TYPES[path.suffix], "Cache-Control": "public, max-age=300"}
    if name in SERVICE_WORKERS:
        # Served from /static/ but looks after the technician's pages (the scope it registers), and a
        # changed worker must reach the phones at their next visit.
        headers |= {"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"}
    return Response(body=path.read_text(encoding="utf-8"), headers=headers)
