"""`radar serve` on a data home with a real finished run: stored and live scores, the champion alias moving, one
clear line for every bad request, no lock held against a writer, and one real uvicorn start on a free port."""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from pipelines.lib.core.config import Playbook, load_config
from pipelines.lib.core.home_lock import writer_lock
from pipelines.lib.core.paths import REPO_ROOT, RadarPaths
from pipelines.lib.core.pseudonym import key_for
from pipelines.lib.core.tracking import Tracking
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.score import holdout
from pipelines.lib.serve.app import create_app
from pipelines.lib.serve.champion import ChampionHolder
from pipelines.lib.serve.errors import Unavailable
from pipelines.lib.ui.serve import free_local_port
from tests.conftest import PipelineRun

pytestmark = pytest.mark.slow
MODEL = load_config().training.model_name


@pytest.fixture(scope="module")
def home(full_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> RadarPaths:
    """A copy of the session run's data home: these tests move its champion alias, which others must not see."""
    copy = tmp_path_factory.mktemp("serve") / "home"
    shutil.copytree(full_run.paths.home, copy)
    return RadarPaths(copy)


@pytest.fixture(scope="module")
def registry(home: RadarPaths) -> MlflowClient:
    return MlflowClient(tracking_uri=home.tracking_uri, registry_uri=home.tracking_uri)


@pytest.fixture
def client(home: RadarPaths) -> Iterator[TestClient]:
    # TTL 0: every request looks the alias up, so a move is seen by the next request.
    with TestClient(create_app(home, load_config(), alias_ttl_seconds=0)) as c:
        yield c


def _stored(home: RadarPaths) -> list[dict]:
    with connect(home.warehouse, read_only=True) as con:
        frame = con.execute(
            "select * from scores.customer_scores where as_of = (select max(as_of) from scores.customer_scores) "
            "order by priority"
        ).df()
    return frame.to_dict("records")


def test_health_names_the_champion_version_and_the_newest_as_of(
    client: TestClient, home: RadarPaths, registry: MlflowClient
) -> None:
    body = client.get("/health").json()
    assert body["champion_version"] == str(registry.get_model_version_by_alias(MODEL, "champion").version)
    assert body["newest_as_of"] == str(_stored(home)[0]["as_of"].date())


def test_a_customer_gets_the_newest_stored_score_with_its_reasons_value_tier_and_action(
    client: TestClient, home: RadarPaths
) -> None:
    row = _stored(home)[0]
    r = client.get(f"/customers/{row['customer_id']}")
    assert r.headers["server-timing"].startswith("app;dur=")
    body = r.json()
    assert body["churn_probability"] == pytest.approx(row["churn_probability"])
    assert (body["risk_tier"], body["value_tier"], body["action"], body["owner"], body["score_source"]) == (
        row["risk_tier"],
        row["value_tier"],
        row["action"],
        row["owner"],
        row["score_source"],
    )
    assert "; ".join(body["reasons"]) == row["reasons"] and body["reasons"]
    assert body["as_of"] == str(row["as_of"].date()) and body["priority"] == 1


def test_an_unknown_customer_is_a_404_with_one_line(client: TestClient) -> None:
    r = client.get("/customers/NO-SUCH-CUSTOMER")
    assert r.status_code == 404
    assert r.json() == {"detail": r.json()["detail"]} and "'NO-SUCH-CUSTOMER'" in r.json()["detail"]
    r = client.post("/score", json={"customer_id": "NO-SUCH-CUSTOMER"})
    assert r.status_code == 404 and "'NO-SUCH-CUSTOMER'" in r.json()["detail"]


def test_a_customer_scored_live_from_the_warehouse_matches_the_stored_batch_score(
    client: TestClient, home: RadarPaths
) -> None:
    for row in _stored(home)[:5]:
        body = client.post("/score", json={"customer_id": row["customer_id"]}).json()
        [live] = body["scores"]
        assert body["model_version"] == row["model_version"] and body["as_of"] == str(row["as_of"].date())
        assert live["churn_probability"] == pytest.approx(row["churn_probability"], abs=1e-4)
        assert (live["risk_tier"], "; ".join(live["reasons"]), live["action"]) == (
            row["risk_tier"],
            row["reasons"],
            row["action"],
        )


def test_a_held_out_customer_scored_live_gets_no_action(home: RadarPaths) -> None:
    config = load_config().model_copy(update={"playbook": Playbook.model_validate({"holdout_share": 0.5})})
    warned = [r for r in _stored(home) if r["risk_tier"] != "none"][:20]
    salt = config.playbook.holdout_salt
    held = holdout.draws([r["customer_id"] for r in warned], key=key_for(home.home), salt=salt) < 0.5
    assert held.any() and not held.all()  # about half of them; all or none has a chance below 1 in 10^5
    with TestClient(create_app(home, config, alias_ttl_seconds=0)) as client:
        actions = [
            client.post("/score", json={"customer_id": r["customer_id"]}).json()["scores"][0]["action"]
            for r in warned
        ]
    book = config.playbook.tiers
    assert actions == [
        holdout.ACTION if h else book[r["risk_tier"]].action for h, r in zip(held, warned, strict=True)
    ]


def _posted_rows(home: RadarPaths, features: list[str], n: int) -> list[dict]:
    """The newest snapshot's rows as a client would post them: JSON numbers, null for a missing value."""
    with connect(home.warehouse, read_only=True) as con:
        frame = feats.latest_snapshot(con).head(n)
    return [
        {"customer_id": r["customer_id"], **{f: None if math.isnan(r[f]) else float(r[f]) for f in features}}
        for r in frame.to_dict("records")
    ]


def test_posted_feature_rows_are_scored_as_the_batch_scored_the_same_customers(
    client: TestClient, home: RadarPaths
) -> None:
    features = client.app.state.holder.current().features
    rows = _posted_rows(home, features, 20)
    body = client.post("/score", json=rows)
    assert body.status_code == 200
    stored = {r["customer_id"]: r for r in _stored(home)}
    for live in body.json()["scores"]:
        want = stored[live["customer_id"]]
        assert live["churn_probability"] == pytest.approx(want["churn_probability"], abs=1e-4)
        assert (live["risk_tier"], "; ".join(live["reasons"])) == (want["risk_tier"], want["reasons"])


def test_a_missing_or_wrongly_typed_feature_is_a_422_naming_the_row_and_the_field(
    client: TestClient, home: RadarPaths
) -> None:
    features = client.app.state.holder.current().features
    [good, second] = _posted_rows(home, features, 2)
    missing = {k: v for k, v in second.items() if k != features[0]}
    r = client.post("/score", json=[good, missing])
    assert r.status_code == 422
    assert r.json()["detail"] == f"row 1, field '{features[0]}': Field required"
    r = client.post("/score", json=[{**good, features[1]: "twelve"}])
    assert r.status_code == 422 and r.json()["detail"].startswith(f"row 0, field '{features[1]}': ")
    assert "number" in r.json()["detail"]
    for body, says in [
        ({"tenure": 3}, 'expected a JSON list of feature rows, or {"customer_id": "..."}'),
        ([], "no rows to score: post a list of feature rows"),
        ({"customer_id": 7}, "field 'customer_id': Input should be a valid string"),
    ]:
        r = client.post("/score", json=body)
        assert (r.status_code, r.json()) == (422, {"detail": says})
    r = client.post("/score", content=b"[{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"].startswith("the body is not valid JSON")


def test_the_docs_describe_the_champions_feature_row(client: TestClient) -> None:
    features = client.app.state.holder.current().features
    assert client.get("/docs").status_code == 200
    body = client.get("/openapi.json").json()["paths"]["/score"]["post"]["requestBody"]
    row = body["content"]["application/json"]["schema"]["anyOf"][0]["items"]
    assert set(features) <= set(row["properties"]) and set(features) <= set(row["required"])


def test_the_api_follows_the_champion_alias_and_answers_503_while_there_is_none(
    client: TestClient, home: RadarPaths, registry: MlflowClient
) -> None:
    first = registry.get_model_version_by_alias(MODEL, "champion")
    row = _posted_rows(home, client.app.state.holder.current().features, 1)
    try:
        registry.delete_registered_model_alias(MODEL, "champion")
        r = client.post("/score", json=row)
        assert r.status_code == 503 and r.json()["detail"].startswith(
            f"no 'champion' version of model '{MODEL}'"
        )
        assert client.get("/health").json()["champion_version"] is None
        # The stored scores do not need a model.
        assert client.get(f"/customers/{row[0]['customer_id']}").status_code == 200
        # MLflow's registry resolves a `models:/m-…` source through the process-wide tracking store.
        with Tracking.for_home(home).reading():
            again = registry.create_model_version(MODEL, source=first.source, run_id=first.run_id)
        registry.set_registered_model_alias(MODEL, "champion", again.version)
        r = client.post("/score", json=row)
        assert r.status_code == 200 and r.json()["model_version"] == str(again.version) != str(first.version)
    finally:
        registry.set_registered_model_alias(MODEL, "champion", first.version)


def test_the_alias_is_looked_up_again_only_once_its_ttl_has_passed(
    home: RadarPaths, registry: MlflowClient
) -> None:
    now = [0.0]
    cfg = load_config()
    holder = ChampionHolder(home, model_name=MODEL, tiers=cfg.tiers, ttl_seconds=5, clock=lambda: now[0])
    first = str(registry.get_model_version_by_alias(MODEL, "champion").version)
    assert holder.current().version == first
    try:
        registry.delete_registered_model_alias(MODEL, "champion")
        now[0] = 4.9
        assert holder.current().version == first
        now[0] = 5.0
        with pytest.raises(Unavailable, match="no 'champion' version"):
            holder.current()
    finally:
        registry.set_registered_model_alias(MODEL, "champion", first)


HOLD_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import duckdb
    from pipelines.lib.core.home_lock import writer_lock
    if sys.argv[2] == "home":
        with writer_lock(Path(sys.argv[1]), command="radar run"):
            print("held", flush=True)
            sys.stdin.readline()
    else:  # DuckDB's own lock only, as a run launched from the Dagster UI holds it
        con = duckdb.connect(str(Path(sys.argv[1]) / "warehouse.duckdb"))
        print("held", flush=True)
        sys.stdin.readline()
        con.close()
    """
)


@pytest.fixture
def writer(home: RadarPaths) -> Iterator:
    procs: list[subprocess.Popen] = []

    def _hold(kind: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLD_WRITER, str(home.home), kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        procs.append(proc)
        return proc

    yield _hold
    for proc in procs:
        proc.stdin.close()
        proc.wait(timeout=30)


@pytest.mark.parametrize("kind", ["home", "duckdb"])
def test_an_api_started_while_a_run_writes_answers_503_a_run_is_writing(
    home: RadarPaths, writer, kind: str
) -> None:
    writer(kind)
    with TestClient(create_app(home, load_config())) as c:
        r = c.get("/customers/anyone")
        assert r.status_code == 503
        assert r.json()["detail"] == "a run is writing the data home; try again when it has finished"
        assert c.get("/health").json()["newest_as_of"] is None


def test_the_api_holds_no_lock_between_requests_and_keeps_answering_under_a_run(
    client: TestClient, home: RadarPaths, writer
) -> None:
    someone = _stored(home)[0]["customer_id"]
    assert client.get(f"/customers/{someone}").status_code == 200
    # A writer gets the home and the file at once while the API runs ...
    with writer_lock(home.home, wait=False):
        pass
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("create or replace table main.serve_probe as select 1 as x")
    # ... and while one writes, the API answers from the scores it read before (the file changed: the probe).
    writer("home")
    r = client.get(f"/customers/{someone}")
    assert r.status_code == 200 and r.json()["customer_id"] == someone
    assert "a run is writing" in client.get("/health").json()["note"]


def test_radar_serve_starts_uvicorn_on_127_0_0_1_and_stops_on_sigint(home: RadarPaths) -> None:
    port = free_local_port()
    env = {**os.environ, "RADAR_HOME": str(home.home), "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.25)  # the server is still starting (imports MLflow, loads the champion)
        assert health is not None and health.status_code == 200 and health.json()["champion_version"]
        someone = _stored(home)[0]["customer_id"]
        assert httpx.get(f"http://127.0.0.1:{port}/customers/{someone}").json()["customer_id"] == someone
        r = httpx.post(f"http://127.0.0.1:{port}/score", json={"customer_id": someone})
        assert r.status_code == 200 and r.json()["scores"][0]["risk_tier"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert f"Online scoring: http://127.0.0.1:{port}" in out
