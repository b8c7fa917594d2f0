"""The report server serves the reports and the Data Docs that Dagster's links point to, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from ui_servers import serving

from pipelines.lib.core.config import RadarConfig, UiSettings
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.ui.guard import HostGuard
from pipelines.lib.ui.reports import reports_app
from pipelines.lib.ui.serve import free_local_port

REVIEW = "<html><body>quarterly review 2026-10-31</body></html>"


@pytest.fixture
def home(tmp_path: Path) -> RadarPaths:
    paths = RadarPaths(tmp_path / "home")
    paths.reports.mkdir(parents=True)
    (paths.reports / "quarterly_review_2026-10-31.html").write_text(REVIEW)
    site = paths.data_docs.parent
    (site / "validations").mkdir(parents=True)
    paths.data_docs.write_text("<html>Data Docs index</html>")
    (site / "validations" / "features.html").write_text("<html>one validation</html>")
    paths.warehouse.write_text("not for the browser")
    (tmp_path / "outside.html").write_text("secret")
    (paths.reports / "link_out.html").symlink_to(tmp_path / "outside.html")
    return paths


@pytest.fixture
def server(home: RadarPaths):
    port = free_local_port()
    app = reports_app(
        reports=home.reports,
        data_docs=home.data_docs.parent,
        guard=HostGuard.for_server(host="127.0.0.1", port=port),
    )
    with serving(app, port=port) as served:
        yield served


def test_the_review_and_the_data_docs_are_served_at_the_links_the_pipeline_writes(home, server) -> None:
    links = RadarConfig().ui.model_copy(update={"reports_port": server.port}).links(home)
    for path, expected in (
        (home.reports / "quarterly_review_2026-10-31.html", REVIEW),
        (home.data_docs, "Data Docs index"),
        (home.data_docs.parent / "validations" / "features.html", "one validation"),
    ):
        url = links.report(path)
        assert url.startswith(f"http://127.0.0.1:{server.port}/")
        status, body, headers = server.get(url.removeprefix(f"http://127.0.0.1:{server.port}"))
        assert (status, expected in body.decode()) == (200, True), url
        assert headers["Content-Type"].startswith("text/html")
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_front_page_lists_the_reports_and_links_the_data_docs(server) -> None:
    status, body, _ = server.get("/")
    assert status == 200
    assert b'href="/reports/quarterly_review_2026-10-31.html"' in body
    assert b'href="/data-docs/index.html"' in body


@pytest.mark.parametrize(
    "path",
    [
        "/warehouse.duckdb",  # the data home itself is no root
        "/reports/../warehouse.duckdb",
        "/reports/%2e%2e/warehouse.duckdb",
        "/reports/..%2fwarehouse.duckdb",
        "/data-docs/..%2f..%2f..%2f..%2fwarehouse.duckdb",
        "/reports/link_out.html",  # a symlink out of the root
        "/data-docs/validations/missing.html",
        "/reports/%00.html",
        "/mlflow/mlflow.db",
    ],
)
def test_nothing_outside_the_two_roots_is_served(server, path: str) -> None:
    status, body, _ = server.get(path)
    assert status in (403, 404), (path, status)
    assert b"not for the browser" not in body and b"secret" not in body


def test_a_folder_without_index_is_not_listed(server) -> None:
    status, body, _ = server.get("/data-docs/validations/")
    assert status == 404
    assert b"features.html" not in body


def test_a_foreign_host_cannot_read_a_report(server) -> None:
    status, body, _ = server.get(
        "/reports/quarterly_review_2026-10-31.html", headers={"Host": f"evil.example:{server.port}"}
    )
    assert status == 403
    assert b"quarterly review" not in body


def test_roots_that_do_not_exist_yet_give_404_not_an_error(tmp_path: Path) -> None:
    paths = RadarPaths(tmp_path / "empty")
    port = free_local_port()
    app = reports_app(
        reports=paths.reports,
        data_docs=paths.data_docs.parent,
        guard=HostGuard.for_server(host="127.0.0.1", port=port),
    )
    with serving(app, port=port) as served:
        assert served.get("/data-docs/index.html")[0] == 404
        status, body, _ = served.get("/")
        assert status == 200 and b"none yet" in body


def test_the_servers_bind_to_127_0_0_1_by_default(home: RadarPaths) -> None:
    settings = UiSettings()
    assert settings.host == "127.0.0.1"
    port = free_local_port()
    app = reports_app(
        reports=home.reports,
        data_docs=home.data_docs.parent,
        guard=HostGuard.for_server(host=settings.host, port=port),
    )
    with serving(app, host=settings.host, port=port) as served:
        assert served.addresses == [("127.0.0.1", port)]


def test_without_a_configured_server_links_fall_back_to_file_urls(home: RadarPaths, monkeypatch) -> None:
    monkeypatch.delenv("RADAR_REPORTS_URL", raising=False)
    review = home.reports / "quarterly_review_2026-10-31.html"
    off = UiSettings(reports_url="", mlflow_url="").links(home)
    assert off.report(review) == review.resolve().as_uri()
    assert off.mlflow_run("1", "abc") is None and off.mlflow_runs("1") is None
    monkeypatch.setenv("RADAR_REPORTS_URL", "http://radar.example.internal:8080/")
    via_env = UiSettings().links(home)
    assert (
        via_env.report(review)
        == "http://radar.example.internal:8080/reports/quarterly_review_2026-10-31.html"
    )
    assert (
        via_env.report(home.warehouse) == home.warehouse.resolve().as_uri()
    )  # outside the roots: no http link


def test_mlflow_links_open_the_runs_table_and_the_run_page(home: RadarPaths, monkeypatch) -> None:
    monkeypatch.delenv("RADAR_MLFLOW_URL", raising=False)
    links = UiSettings().links(home)
    assert (
        links.mlflow_runs("7") == "http://127.0.0.1:5000/#/experiments/7/runs?workflowType=machine_learning"
    )
    assert (
        links.mlflow_run("7", "0123abc")
        == "http://127.0.0.1:5000/#/experiments/7/runs/0123abc?workflowType=machine_learning"
    )
