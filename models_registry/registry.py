"""Registry operations on MLflow aliases, and the decision log that aliases themselves do not keep.

MLflow aliases have no history, so every decision is appended to a JSON-lines log in the data home and written
as tags on the model version; `champion` is only ever moved here. Every operation takes the ``client`` of the
registry it acts on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models_registry.policy import Decision

if TYPE_CHECKING:
    from mlflow import MlflowClient

CHAMPION, CHALLENGER = "champion", "challenger"


def current_alias_version(model_name: str, alias: str, *, client: MlflowClient | None = None) -> str | None:
    """The version holding ``alias``, or None. Without ``client``: the process-wide MLflow (only the quarterly
    review, which points it at the data home itself, still asks so)."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        return str((client or MlflowClient()).get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


class RegistryError(RuntimeError):
    """A registry action that must not happen (e.g. approving a model trained on data that failed a gate)."""


PENDING_FILE = "pending_decision.json"


def apply_decision(
    model_name: str,
    version: str,
    decision: Decision,
    *,
    client: MlflowClient,
    log_path: Path,
    kind: str = "policy",
) -> dict[str, Any]:
    """Move the aliases as decided, tag the version and the run, and append the decision to the log.

    ``kind`` says who decided: the promotion ``policy``, a human ``approval``, a ``rollback`` or a ``repair``.
    MLflow cannot change an alias and tags in one transaction, and the log is a file, so the whole step is first
    written down as an intent (``pending_decision.json`` beside the log) and then carried out in an order that
    keeps every intermediate state harmless: tags, then the log line, then the alias. A process killed anywhere
    in between leaves the intent, and :func:`repair_interrupted` finishes it; `champion` never points at a
    version without its decision tags and log line.
    """
    import uuid

    previous = current_alias_version(model_name, CHAMPION, client=client)
    alias = CHAMPION if decision.promote else CHALLENGER
    record = {
        "kind": kind,
        "decision_id": uuid.uuid4().hex,
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
    intent = {"record": record, "tags": tags}
    _write_pending(log_path, intent)
    _carry_out(intent, client=client, log_path=log_path)
    return record


def repair_interrupted(model_name: str, *, client: MlflowClient, log_path: Path) -> str | None:
    """Finish, or undo, a promotion decision that a killed process left half done; one line saying what.

    With an intent on disk the decision is carried out to its end (it was made; only its recording stopped).
    Without one, a `champion` whose version carries no decision tags was set by a process that died before it
    could record why (a radar older than the intent): it is given back to the last champion the log records,
    or removed when there is none, because nothing says it passed the gates."""
    pending = _pending_path(log_path)
    if pending.exists():
        try:
            intent = json.loads(pending.read_text())
        except ValueError:
            # Written atomically, so never torn; unreadable means tampered with: drop it, check the alias below.
            pending.unlink()
        else:
            if intent["record"]["model_name"] == model_name:
                _carry_out(intent, client=client, log_path=log_path)
                r = intent["record"]
                return (
                    f"finished an interrupted promotion decision of {r['decided_at']}: "
                    f"version {r['version']} is {r['alias']}"
                )
    return _undo_unrecorded_champion(model_name, client=client, log_path=log_path)


def _undo_unrecorded_champion(model_name: str, *, client: MlflowClient, log_path: Path) -> str | None:
    current = current_alias_version(model_name, CHAMPION, client=client)
    if current is None:
        return None
    if "decision_kind" in client.get_model_version(model_name, current).tags:
        return None
    recorded = [r for r in read_log(log_path) if r["promoted"] and r["version"] != current]
    reason = f"version {current} became champion without a recorded decision (an interrupted run)"
    if recorded:
        back = recorded[-1]["version"]
        apply_decision(
            model_name,
            back,
            Decision(promote=True, reasons=[f"repair: {reason}"], figures={"repaired_from": current}),
            client=client,
            log_path=log_path,
            kind="repair",
        )
        return f"{reason}; champion returned to version {back}"
    client.delete_registered_model_alias(model_name, CHAMPION)
    client.set_model_version_tag(model_name, current, "promotion_decision", "interrupted")
    client.set_model_version_tag(model_name, current, "decision_kind", "repair")
    _append_log(
        log_path,
        {
            "kind": "repair",
            "decided_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "model_name": model_name,
            "version": current,
            "promoted": False,
            "alias": None,
            "previous_champion": current,
            "reasons": [f"repair: {reason}; no earlier champion is recorded, so there is none now"],
            "figures": {},
        },
    )
    return f"{reason}; no earlier champion is recorded, so there is none until a run promotes one"


def read_log(log_path: Path) -> list[dict[str, Any]]:
    """The decision log, oldest first. A torn last line (a process killed while appending) is skipped."""
    if not log_path.exists():
        return []
    records = []
    for line in log_path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def _carry_out(intent: dict[str, Any], *, client: MlflowClient, log_path: Path) -> None:
    """Tags, log line, alias, in that order; each step may run twice (a repair repeats what was done)."""
    record, tags = intent["record"], intent["tags"]
    name, version = record["model_name"], record["version"]
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)
    run_id = client.get_model_version(name, version).run_id
    if run_id:
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
    if not any(r.get("decision_id") == record["decision_id"] for r in read_log(log_path)):
        _append_log(log_path, record)
    client.set_registered_model_alias(name, record["alias"], version)
    # A promoted version is no longer a challenger, whatever it was before.
    if record["promoted"] and current_alias_version(name, CHALLENGER, client=client) == version:
        client.delete_registered_model_alias(name, CHALLENGER)
    _pending_path(log_path).unlink(missing_ok=True)


def _append_log(log_path: Path, record: dict[str, Any]) -> None:
    """One write of one whole line with O_APPEND, so a reader never sees two decisions interleaved."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        size = os.fstat(fd).st_size
        # A line torn by a kill stays a line of its own (skipped by read_log) instead of swallowing this one.
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        os.write(fd, (("\n" if torn else "") + json.dumps(record, default=str) + "\n").encode())
    finally:
        os.close(fd)


def _write_pending(log_path: Path, intent: dict[str, Any]) -> None:
    """Written beside its final name and renamed over it, so a repair never reads half an intent."""
    target = _pending_path(log_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(intent, default=str))
    os.replace(tmp, target)


def _pending_path(log_path: Path) -> Path:
    return log_path.parent / PENDING_FILE


def approve(
    model_name: str, version: str, *, reason: str, approver: str, client: MlflowClient, log_path: Path
) -> dict[str, Any]:
    """A human makes ``version`` champion, overriding the policy; never for a model whose data failed a gate."""
    from mlflow.exceptions import MlflowException

    try:
        tags = client.get_model_version(model_name, version).tags
    except MlflowException as exc:
        raise RegistryError(f"{model_name} has no version {version}") from exc
    if current_alias_version(model_name, CHAMPION, client=client) == str(version):
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
    return apply_decision(model_name, version, decision, client=client, log_path=log_path, kind="approval")


def rollback(model_name: str, *, reason: str, client: MlflowClient, log_path: Path) -> dict[str, Any]:
    """Give `champion` back to the version that held it before the current one, as the decision log records."""
    current = current_alias_version(model_name, CHAMPION, client=client)
    if current is None:
        raise RegistryError(f"{model_name} has no champion to roll back")
    previous = None
    for record in reversed(read_log(log_path)):
        if (
            record["promoted"]
            and record["version"] == current
            and record["kind"] not in {"rollback", "repair"}
        ):
            previous = record["previous_champion"]
            break
    if not previous:
        raise RegistryError(f"no earlier champion of {model_name} is recorded before version {current}")
    decision = Decision(
        promote=True,
        reasons=[f"rollback from version {current}: {reason}"],
        figures={"rolled_back_from": current},
    )
    return apply_decision(model_name, previous, decision, client=client, log_path=log_path, kind="rollback")
