"""The GE Data Docs open offline: no page loads a stylesheet, script or image from the network, and every local
asset a page names is there."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.lib.quality import gates
from pipelines.lib.quality.data_docs import ASSETS, rewrite_page

# What a browser fetches on opening a page (links that load only when clicked do not count).
_LOADED = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"')

PAGE = """<head>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css" />
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
</head><body>
<img class="NO-CACHE" src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&dataContextId=x" alt="GX"/>
<a href="https://greatexpectations.io">Great Expectations</a>
</body>"""


def test_a_page_is_pointed_at_the_vendored_assets_and_keeps_its_links() -> None:
    page = rewrite_page(PAGE, "../..")
    assert _LOADED.findall(page) == [
        "../../static/vendor/bootstrap-4.3.1.min.css",
        "../../static/vendor/bootstrap-4.3.1.min.js",
        "../../static/vendor/fontawesome-6.6.0/css/fontawesome.min.css",
        "../../static/vendor/fontawesome-6.6.0/css/solid.min.css",
        "../../static/images/logo-long.png",
    ]
    assert "integrity" not in page and "vega" not in page and "bootstrap-dark" not in page
    assert '<a href="https://greatexpectations.io">' in page
    assert rewrite_page(page, "../..") == page


def test_every_vendored_asset_the_mapping_names_is_in_the_repo() -> None:
    from pipelines.lib.core.paths import DATA_DOCS_ASSETS_DIR

    named = [f for files in ASSETS.values() if files for f in ((files,) if isinstance(files, str) else files)]
    assert named and all((DATA_DOCS_ASSETS_DIR / f).is_file() for f in named)
    assert (DATA_DOCS_ASSETS_DIR / "fontawesome-6.6.0" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_built_data_docs_load_nothing_from_the_network(tmp_path: Path) -> None:
    validator = gates.Validator(tmp_path / "gx")
    figures = {"active_customers": 150, "churns_in_lookback": 12}
    gates.learnability_gate(figures, min_active=100, min_churns=20, validator=validator)
    index = validator.build_docs()
    assert index is not None and index.is_file()
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) >= 3  # the index, the suite, the validation result
    for page in pages:
        for url in _LOADED.findall(page.read_text()):
            assert not url.startswith(("http:", "https:", "//")), (page.name, url)
            assert (page.parent / url.split("?")[0]).resolve().is_file(), (page.name, url)
    index_html = index.read_text()
    assert "static/vendor/jquery-3.7.1.min.js" in index_html
    assert "static/vendor/bootstrap-table-1.19.1.min.js" in index_html


def test_a_validation_page_names_its_data_asset_and_run_and_shows_the_gates_own_figure(
    tmp_path: Path,
) -> None:
    validator = gates.Validator(tmp_path / "gx", run_name="learnability-2026-10-31")
    figures = {"as_of_date": "2026-10-31", "active_customers": 1633, "churns_in_lookback": 367}
    gates.learnability_gate(figures, min_active=100, min_churns=20, validator=validator)
    index = validator.build_docs()
    assert index is not None
    [page] = list((index.parent / "validations").rglob("*.html"))
    assert "learnability-2026-10-31" in page.parts and "__none__" not in page.parts
    html = page.read_text()
    assert "Data asset:" in html and "None" not in html.split("Data asset:")[1][:200]
    assert "learnability" in html.split("Data asset:")[1][:200]
    assert "gate figure: " in html
    assert "1,633 active customers at 2026-10-31 (at least 100)" in html
    assert "367 churns in the lookback before 2026-10-31 (at least 20)" in html
