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
        return MlflowClient().get_model_version_by_alias(model_name, alias).version
    except MlflowException:
        return None


def apply_decision(model_name: str, version: str, decision: Decision, *, log_path: Path) -> dict[str, Any]:
    """Move the aliases as decided, tag the version and the run, and append the decision to the log."""
    from mlflow import MlflowClient

    client = MlflowClient()
    previous = current_alias_version(model_name, CHAMPION)
    alias = CHAMPION if decision.promote else CHALLENGER
    client.set_registered_model_alias(model_name, alias, version)
    # A promoted version is no longer a challenger, whatever it was before.
    if decision.promote and current_alias_version(model_name, CHALLENGER) == version:
        client.delete_registered_model_alias(model_name, CHALLENGER)
    record = {
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
    }
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
