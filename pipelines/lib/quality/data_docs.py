"""Great Expectations Data Docs that open offline.

GE's page templates load their CSS and JavaScript from public CDNs, and the logo from GE's web-assets bucket with
the data context id in the URL. Offline the pages show no tables at all: the tables are drawn by bootstrap-table
from data embedded in the page. GE's customisation points cannot change that (custom views only add templates; the
package's own templates win), so after each build the pages are rewritten: every CDN asset points at a vendored
copy in the site's ``static/vendor/`` (copied from ``vendor/data_docs/``, whose README lists versions and licenses),
the Vega scripts and the dark-theme stylesheet are dropped (no gate suite draws a chart), and the logo and the
favicon point at the copies GE ships in ``static/images/``. Links (``<a href>``) stay: they load nothing until clicked.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from pipelines.lib.core.atomic import atomic_path
from pipelines.lib.core.paths import DATA_DOCS_ASSETS_DIR

VENDOR_IN_SITE = "static/vendor"
# CDN URL in GE 1.24's templates -> vendored file(s) (relative to static/vendor/), or None to drop the tag.
ASSETS: dict[str, str | tuple[str, ...] | None] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper-1.12.9.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table-filter-control-1.19.1.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table-filter-control-1.19.1.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table-filter-control-1.19.1.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker-1.9.0.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker-1.9.0.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-6.6.0/css/fontawesome.min.css",
        "fontawesome-6.6.0/css/solid.min.css",
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
    "https://cdn.jsdelivr.net/npm/vega@5": None,
    "https://cdn.jsdelivr.net/npm/vega-lite@5": None,
    "https://cdn.jsdelivr.net/npm/vega-embed@6": None,
}
# A <script src=...></script> or <link href=...> tag that loads from the network.
_REMOTE_TAG = re.compile(r'<(script|link)\b[^>]*?\b(?:src|href)="(https?://[^"]+)"[^>]*>(?:\s*</script>)?')
_LOGO = re.compile(r'"https://great-expectations-web-assets\.s3\.[\w.-]+/(logo-long\.png)[^"]*"')
# GE's favicon template climbs one folder too few on validation pages; the icon is in the site's static/images.
_FAVICON = re.compile(r'href="(?:\./|(?:\.\./)*)static/images/(favicon\.ico)"')


def _local_tags(kind: str, files: str | tuple[str, ...] | None, prefix: str) -> str:
    if files is None:
        return ""
    names = (files,) if isinstance(files, str) else files
    urls = [f"{prefix}/{VENDOR_IN_SITE}/{name}" for name in names]
    if kind == "script":
        return "".join(f'<script src="{url}"></script>' for url in urls)
    return "".join(f'<link rel="stylesheet" href="{url}">' for url in urls)


def rewrite_page(html: str, prefix: str) -> str:
    """The page with its CDN assets pointing at ``<prefix>/static/vendor`` (``prefix`` is the relative path from
    the page to the site root). A URL not in ``ASSETS`` is left alone; the tests catch it after a GE upgrade."""

    def local(match: re.Match[str]) -> str:
        url = match.group(2)
        if url not in ASSETS:
            return match.group(0)
        return _local_tags(match.group(1), ASSETS[url], prefix)

    html = _REMOTE_TAG.sub(local, html)
    html = _FAVICON.sub(lambda m: f'href="{prefix}/static/images/{m.group(1)}"', html)
    return _LOGO.sub(lambda m: f'"{prefix}/static/images/{m.group(1)}"', html)


def make_offline(site: Path) -> int:
    """Copy the vendored assets into the Data Docs ``site`` and rewrite its pages to use them; returns the number
    of pages rewritten. Pages already rewritten are left as they are, so each build only touches its new pages."""
    shutil.copytree(DATA_DOCS_ASSETS_DIR, site / VENDOR_IN_SITE, dirs_exist_ok=True)
    rewritten = 0
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        prefix = Path(os.path.relpath(site, page.parent)).as_posix()
        offline = rewrite_page(html, prefix)
        if offline == html:
            continue
        with atomic_path(page) as tmp:
            tmp.write_text(offline, encoding="utf-8")
        rewritten += 1
    return rewritten
