"""The report server: the data home's reports and the GE Data Docs over http, which Dagster's links point to.

A browser refuses ``file://`` links from an http page such as Dagster's, and a colleague on another machine has
no such file at all. So `radar ui` serves two roots, read-only, under the prefixes the links use
(`urls.REPORTS_PREFIX`, `urls.DATA_DOCS_PREFIX`): files only, no directory listing beyond the front page's list of
reports, nothing outside the roots (a path that resolves elsewhere, through ``..`` or a symlink, is a 404).

It runs on a port of its own rather than as a path on Dagster's proxy: each report is then its own origin, so a
script in a report (Evidently's pages are JavaScript) can never call Dagster's GraphQL as same-origin.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from pipelines.lib.core.urls import DATA_DOCS_PREFIX, REPORTS_PREFIX
from pipelines.lib.ui.guard import HostGuard
from pipelines.lib.ui.proxy import guarded

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "frame-ancestors 'self'",
}


def inside(root: Path, relative: str) -> Path | None:
    """The file ``relative`` names under ``root`` (a directory means its index.html), or None when it does not
    exist or resolves outside the root. The root may not exist yet: the first run creates it."""
    if "\0" in relative:
        return None
    try:
        base = root.resolve(strict=True)
        target = (base / relative.lstrip("/")).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(base):
        return None
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def reports_app(*, reports: Path, data_docs: Path, guard: HostGuard) -> web.Application:
    app = web.Application(middlewares=[guarded(guard)])

    async def with_headers(response: web.StreamResponse) -> web.StreamResponse:
        response.headers.update(SECURITY_HEADERS)
        return response

    def serve(root: Path):
        async def handler(request: web.Request) -> web.StreamResponse:
            found = inside(root, request.match_info["tail"])
            if found is None:
                return await with_headers(web.Response(status=404, text="404 Not Found\n"))
            return await with_headers(web.FileResponse(found))

        return handler

    async def front_page(request: web.Request) -> web.StreamResponse:
        try:
            pages = sorted(reports.glob("*.html"), key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            pages = []
        items = "".join(
            f'<li><a href="{REPORTS_PREFIX}{quote(p.name)}">{html.escape(p.name)}</a></li>' for p in pages
        )
        docs = (
            f'<p><a href="{DATA_DOCS_PREFIX}index.html">Great Expectations Data Docs</a></p>'
            if (data_docs / "index.html").is_file()
            else "<p>No Data Docs yet.</p>"
        )
        body = (
            "<!doctype html><meta charset=utf-8><title>Retention Radar reports</title>"
            f"<h1>Retention Radar reports</h1>{docs}<h2>Reports, newest first</h2>"
            f"<ul>{items or '<li>none yet (run `radar run`)</li>'}</ul>"
        )
        return await with_headers(web.Response(text=body, content_type="text/html"))

    app.router.add_get("/", front_page)
    app.router.add_get(REPORTS_PREFIX + "{tail:.*}", serve(reports))
    app.router.add_get(DATA_DOCS_PREFIX + "{tail:.*}", serve(data_docs))
    return app
