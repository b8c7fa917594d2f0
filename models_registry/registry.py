"""Registry operations on MLflow aliases, and the decision log that aliases themselves do not keep.

MLflow aliases have no history, so every decision is appended to a JSON-lines log in the data home and written
as tags on the model version; `champion` is only ever moved here.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from models_registry.policy import Decision

CHAMPION, CHALLENGER = "champion", "challenger"


def current_alias_version(model_name: str, alias: str) -> str | None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str(MlflowClient().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


class RegistryError(RuntimeError):
    """A registry action that must not happen (e.g. approving a model trained on data that failed a gate)."""


def apply_decision(
    model_name: str, version: str, decision: Decision, *, log_path: Path, kind: str = "policy"
) -> dict[str, Any]:
    """Move the aliases as decided, tag the version and the run, and append the decision to the log.

    ``kind`` says who decided: the promotion ``policy``, a human ``approval``, or a ``rollback``.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    previous = current_alias_version(model_name, CHAMPION)
    alias = CHAMPION if decision.promote else CHALLENGER
    client.set_registered_model_alias(model_name, alias, version)
    # A promoted version is no longer a challenger, whatever it was before.
    if decision.promote and current_alias_version(model_name, CHALLENGER) == version:
        client.delete_registered_model_alias(model_name, CHALLENGER)
    record = {
        "kind": kind,
        "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model_name": model_name,
        "version": version,
        "promoted": decision.promote,
        "alias": alias,
        "previous_champion": previous,
        "reasons": decision.reasons,
        "figures": decision.figures,
    }
    tags = {
        "promotion_decision": "promoted" if decision.promote else "not_promoted",
        "promotion_reasons": " | ".join(decision.reasons),
        "previous_champion": previous or "none",
        "decided_at": record["decided_at"],
        "decision_kind": kind,
    }
    if "gates_passed" in decision.figures:
        tags["gates_passed"] = str(bool(decision.figures["gates_passed"])).lower()
    for key, value in tags.items():
        client.set_model_version_tag(model_name, version, key, value)
    run_id = client.get_model_version(model_name, version).run_id
    if run_id:
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
    return record


def approve(model_name: str, version: str, *, reason: str, approver: str, log_path: Path) -> dict[str, Any]:
    """A human makes ``version`` champion, overriding the policy; never for a model whose data failed a gate."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        tags = MlflowClient().get_model_version(model_name, version).tags
    except MlflowException as exc:
        raise RegistryError(f"{model_name} has no version {version}") from exc
    if current_alias_version(model_name, CHAMPION) == str(version):
        raise RegistryError(f"version {version} of {model_name} is already champion")
    if tags.get("gates_passed") != "true":
        raise RegistryError(
            f"version {version} of {model_name} has no record of passed data gates "
            f"(gates_passed={tags.get('gates_passed', 'unknown')}); it cannot be champion"
        )
    decision = Decision(
        promote=True,
        reasons=[f"approved by {approver}: {reason}"],
        figures={"approved_by": approver, "gates_passed": True},
    )
    return apply_decision(model_name, version, decision, log_path=log_path, kind="approval")


def rollback(model_name: str, *, reason: str, log_path: Path) -> dict[str, Any]:
    """Give `champion` back to the version that held it before the current one, as the decision log records."""
    current = current_alias_version(model_name, CHAMPION)
    if current is None:
        raise RegistryError(f"{model_name} has no champion to roll back")
    previous = None
    if log_path.exists():
        for line in reversed(log_path.read_text().strip().splitlines()):
            record = json.loads(line)
            if record["promoted"] and record["version"] == current and record["kind"] != "rollback":
                previous = record["previous_champion"]
                break
    if not previous:
        raise RegistryError(f"no earlier champion of {model_name} is recorded before version {current}")
    decision = Decision(
        promote=True,
        reasons=[f"rollback from version {current}: {reason}"],
        figures={"rolled_back_from": current},
    )
    return apply_decision(model_name, previous, decision, log_path=log_path, kind="rollback")
