"""The production files (deploy/, docker/) agree with the code they deploy.

Neither helm (with the official chart) nor a Docker daemon is reachable on these machines, so these tests check
what can be checked without them: every file parses, the chart's values name the code location, the environment
variables and the run-queue tag the pipeline really uses, the MLflow server stores where the values point, and
the Dockerfile copies files that exist, installs from the hash-checked lock, runs as a non-root user and starts a
code server that loads (``dagster api grpc`` is started with the image's own arguments and asked for its health).
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipelines.defs.jobs import JOBS, WAREHOUSE_WRITER
from pipelines.lib.core import environment
from pipelines.lib.core.paths import REPO_ROOT
from pipelines.lib.ui.serve import free_local_port

DEPLOY = REPO_ROOT / "deploy"
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def _values() -> dict:
    (values,) = _documents(DEPLOY / "dagster-values.yaml")
    return values


def _code_location() -> dict:
    (deployment,) = _values()["dagster-user-deployments"]["deployments"]
    return deployment


def _variables_the_pipeline_reads() -> set[str]:
    names = {value for key, value in vars(environment).items() if key.isupper() and isinstance(value, str)}
    return names | {"DBT_SEND_ANONYMOUS_USAGE_STATS", "DAGSTER_HOME"}


def test_every_deploy_file_parses_as_yaml() -> None:
    files = sorted(DEPLOY.glob("*.y*ml"))
    assert {f.name for f in files} >= {"dagster-values.yaml", "mlflow.yaml", "radar-home-pvc.yaml"}
    for path in files:
        assert _documents(path), path


def test_the_chart_runs_each_run_as_a_kubernetes_job_on_postgres_storage() -> None:
    values = _values()
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    postgres = values["postgresql"]
    assert postgres["enabled"] is False and postgres["postgresqlHost"]
    # dagster-postgres speaks psycopg2; SQLAlchemy 2.1 would pick psycopg 3 for a bare postgresql://.
    assert postgres["postgresqlScheme"] == "postgresql+psycopg2"
    assert values["generatePostgresqlPasswordSecret"] is False and values["global"]["postgresqlSecretName"]
    assert "postgresqlPassword" not in postgres


def test_runs_that_write_the_warehouse_queue_one_at_a_time() -> None:
    coordinator = _values()["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    limits = coordinator["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    ((key, value),) = WAREHOUSE_WRITER.items()
    assert {"key": key, "value": value, "limit": 1} in limits
    # Every job carries the tag, so none slips past the queue.
    assert all(job.tags.get(key) == value for job in JOBS)


def test_the_code_location_loads_what_the_workspace_loads_with_variables_the_pipeline_reads() -> None:
    deployment = _code_location()
    args = deployment["dagsterApiGrpcArgs"]
    (entry,) = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())["load_from"]
    module = entry["python_module"]
    assert args == ["--module-name", module["module_name"], "--attribute", module["attribute"]]
    assert deployment["includeConfigInLaunchedRuns"] == {"enabled": True}
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert set(env) <= _variables_the_pipeline_reads(), set(env) - _variables_the_pipeline_reads()
    assert env[environment.MLFLOW_TRACKING_URI].startswith("http://mlflow.")
    mounts = {m["mountPath"] for m in deployment["volumeMounts"]}
    assert env[environment.HOME] in mounts and Path(env[environment.CONFIG]).parent.as_posix() in mounts
    claims = {v["persistentVolumeClaim"]["claimName"] for v in deployment["volumes"] if "persistentVolumeClaim" in v}
    (pvc,) = _documents(DEPLOY / "radar-home-pvc.yaml")
    assert pvc["metadata"]["name"] in claims and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    # Secrets come from Kubernetes Secrets, never from the values file.
    assert deployment["envSecrets"] == [{"name": "radar-secrets"}]
    assert not any(word in json.dumps(_values()).lower() for word in ("password:", "token", "secret_key"))


def test_the_mlflow_server_keeps_runs_in_postgres_and_serves_its_artifacts() -> None:
    documents = {d["kind"]: d for d in _documents(DEPLOY / "mlflow.yaml")}
    assert set(documents) == {"PersistentVolumeClaim", "Deployment", "Service"}
    pod = documents["Deployment"]["spec"]["template"]["spec"]
    (server,) = pod["containers"]
    command = shlex.split(server["command"][-1])
    assert command[:3] == ["exec", "mlflow", "server"]
    backend = next(e for e in server["env"] if e["name"] == "MLFLOW_BACKEND_STORE_URI")
    assert backend["valueFrom"]["secretKeyRef"]["name"] == "mlflow-db"
    assert command[command.index("--backend-store-uri") + 1] == "$MLFLOW_BACKEND_STORE_URI"
    artifacts = command[command.index("--artifacts-destination") + 1]
    assert artifacts.removeprefix("file://") in {m["mountPath"] for m in server["volumeMounts"]}
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == documents["PersistentVolumeClaim"]["metadata"]["name"]
    (upgrade,) = pod["initContainers"]
    assert "mlflow db upgrade" in upgrade["command"][-1]
    # The same image as the code location (mlflow and psycopg 3 from the lock), and the port the pipeline uses.
    image = _code_location()["image"]
    assert server["image"] == upgrade["image"] == f"{image['repository']}:{image['tag']}"
    url = next(e["value"] for e in _code_location()["env"] if e["name"] == environment.MLFLOW_TRACKING_URI)
    assert url.endswith(f":{documents['Service']['spec']['ports'][0]['port']}")
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_the_documented_dbt_outputs_take_their_credentials_from_the_environment() -> None:
    (profiles,) = _documents(DEPLOY / "dbt-profiles.production.yml")
    outputs = profiles["retention_radar"]["outputs"]
    assert {o["type"] for o in outputs.values()} == {"databricks", "spark"}
    assert outputs["databricks"]["token"] == "{{ env_var('DATABRICKS_TOKEN') }}"
    shipped = yaml.safe_load((REPO_ROOT / "dbt_project" / "profiles.yml").read_text())["retention_radar"]
    assert shipped["target"] == "duckdb" and not set(outputs) & set(shipped["outputs"]) - {"spark"}


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _ignored(relative: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(relative, body) or fnmatch.fnmatch(relative, f"{body}/*") or (
            body.startswith("**/") and fnmatch.fnmatch(relative.rsplit("/", 1)[-1], body.removeprefix("**/"))
        ):
            ignored = not negated
    return ignored


def test_the_dockerfile_copies_files_that_exist_and_the_context_keeps() -> None:
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = [
        source
        for keyword, args in _instructions()
        if keyword == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    ]
    assert "requirements.lock" in copied and "pipelines" in copied and "dbt_project" in copied
    for source in copied:
        assert (REPO_ROOT / source).exists(), source
        assert not _ignored(source, patterns), f"{source} is copied but .dockerignore leaves it out"
    assert _ignored("tests/conftest.py", patterns) and _ignored(".radar/warehouse.duckdb", patterns)
    assert _ignored("dbt_project/target/manifest.json", patterns)


def test_the_image_installs_the_lock_with_hashes_and_runs_as_a_non_root_user() -> None:
    instructions = _instructions()
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "--require-hashes" in runs and "-r /tmp/requirements.lock" in runs and "--no-deps" in runs
    bases = [args for keyword, args in instructions if keyword == "FROM"]
    assert all(base.startswith("python:3.11") for base in bases)
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    keywords = [keyword for keyword, _ in instructions]
    assert keywords.index("USER") < keywords.index("CMD") and "ENTRYPOINT" not in keywords


def test_the_images_command_starts_a_code_server_that_loads_the_definitions(tmp_path: Path) -> None:
    (cmd,) = [json.loads(args) for keyword, args in _instructions() if keyword == "CMD"]
    assert cmd[:3] == ["dagster", "api", "grpc"]
    port = free_local_port()
    cmd[cmd.index("--port") + 1] = str(port)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "RADAR_HOME": str(tmp_path / "home"),
        "DAGSTER_HOME": str(tmp_path),
    }
    server = subprocess.Popen(
        [str(bin_dir / cmd[0]), *cmd[1:]], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"the code server exited: {server.stdout.read().decode()[-2000:]}")
            check = subprocess.run(
                [str(bin_dir / "dagster"), "api", "grpc-health-check", "--port", str(port)],
                capture_output=True,
                timeout=30,
            )
            if check.returncode == 0:
                break
            time.sleep(1)
        else:
            pytest.fail("the code server did not answer its health check in 120 s")
    finally:
        server.terminate()
        server.wait(timeout=30)
