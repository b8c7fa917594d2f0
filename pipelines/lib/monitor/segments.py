"""How well the model does for each kind of customer: precision, recall and calibration per segment, industry and
tenure band on its validation months, with a flag where a sizeable group is served much worse than the whole.

A model that is good on average can still miss most churners of one segment (the small accounts whose signals are
thin, the newest customers with no history yet); the overall figures hide that, this table shows it.

Segment and industry are the account's attributes as delivered now (`marts.account_attributes`), not
point-in-time: accounts rarely change segment, and the contract keeps no history of them. Transaction-only data
has no accounts attributes at all; those dimensions are then "not delivered", never a group called "None".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from pipelines.lib.core import rates
from pipelines.lib.core.pseudonym import pseudonymise
from pipelines.lib.core.warehouse import table_exists
from pipelines.lib.features import mart as feats

if TYPE_CHECKING:
    from pipelines.lib.train.churn_model import ChurnModel

DIMENSIONS = ("segment", "industry", "tenure_band")
ALL = "all customers"
NOT_DELIVERED = "not delivered"
# Lifecycle stages by tenure: onboarding, first year, then yearly up to three, then established.
TENURE_EDGES_DAYS = (0, 182, 365, 730, 1095, np.inf)
TENURE_LABELS = ("under 6 months", "6-12 months", "1-2 years", "2-3 years", "3 years or more")
# The columns that say how long someone has been a customer, in order of preference (transaction-only data has
# no account creation date, only the first order).
TENURE_SOURCES = ("tenure_days", "days_since_first_order")

# The rule: a group is judged only with at least this many customer-months and churners (fewer make recall and
# ROC-AUC noise); it is flagged when its recall is below RECALL_FACTOR × the overall recall, or its ROC-AUC is
# ROC_AUC_GAP or more below the overall ROC-AUC.
MIN_ROWS = 200
MIN_CHURNERS = 10
RECALL_FACTOR = 0.5
ROC_AUC_GAP = 0.1

TABLE_COLUMNS = [
    "dimension",
    "group",
    "customer_months",
    "churners",
    "warned",
    "precision",
    "recall",
    "roc_auc",
    "mean_predicted",
    "observed_rate",
    "brier",
    "judged",
    "flag",
]


@dataclass(frozen=True)
class SegmentReport:
    """The per-group table (one row per dimension and group, the whole first), the groups flagged by the rule,
    and the dimensions the data does not deliver."""

    table: pd.DataFrame
    flagged: pd.DataFrame
    not_delivered: list[str] = field(default_factory=list)

    def warning_lines(self) -> list[str]:
        """One line per flagged group, for the log and the metadata."""
        return [f"{r.dimension} '{r.group}': {r.flag}" for r in self.flagged.itertuples()]


def rule_line(*, min_rows: int = MIN_ROWS, min_churners: int = MIN_CHURNERS) -> str:
    """The flag rule in words, for the metadata and the README."""
    return (
        f"a group with at least {min_rows} customer-months and {min_churners} churners is flagged when its recall "
        f"is below {RECALL_FACTOR:g} × the overall recall or its ROC-AUC is {ROC_AUC_GAP:g} or more below the overall"
    )


def tenure_band(days: pd.Series) -> pd.Series:
    """The lifecycle stage of each tenure in days (`TENURE_LABELS`); missing stays missing."""
    bands = pd.cut(days, bins=list(TENURE_EDGES_DAYS), labels=list(TENURE_LABELS), right=False)
    return bands.astype(object).where(bands.notna(), None)


def _roc_auc(label: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(label, p)) if 0 < label.sum() < len(label) else float("nan")


def _figures(label: np.ndarray, p: np.ndarray, warned: np.ndarray) -> dict[str, float]:
    r = rates.warning_rates(warned, label)
    return {
        "customer_months": len(label),
        "churners": int(label.sum()),
        "warned": int(warned.sum()),
        "precision": r["precision"],
        "recall": r["recall"],
        "roc_auc": _roc_auc(label, p),
        "mean_predicted": float(p.mean()) if len(p) else float("nan"),
        "observed_rate": float(label.mean()) if len(label) else float("nan"),
        "brier": float(np.mean((p - label) ** 2)) if len(p) else float("nan"),
    }


def _flag(row: dict, whole: dict) -> str:
    reasons = []
    if (
        np.isfinite(whole["recall"])
        and np.isfinite(row["recall"])
        and row["recall"] < RECALL_FACTOR * whole["recall"]
    ):
        reasons.append(f"recall {row['recall']:.2f} against {whole['recall']:.2f} overall")
    if (
        np.isfinite(whole["roc_auc"])
        and np.isfinite(row["roc_auc"])
        and row["roc_auc"] <= whole["roc_auc"] - ROC_AUC_GAP
    ):
        reasons.append(f"ROC-AUC {row['roc_auc']:.2f} against {whole['roc_auc']:.2f} overall")
    return "; ".join(reasons)


def segment_table(
    frame: pd.DataFrame,
    *,
    warn_from: float,
    min_rows: int = MIN_ROWS,
    min_churners: int = MIN_CHURNERS,
) -> SegmentReport:
    """The figures per group of each of `DIMENSIONS` present in ``frame``.

    ``frame`` holds one row per customer-month: `label` (churned within the horizon), `p` (the model's
    probability) and the dimension columns; a customer-month counts as warned from ``warn_from`` up (the low tier's
    cut-off). A dimension that is absent or entirely empty is "not delivered"; within one, a missing value is the
    group "unknown". Precision and recall come from `rates`: NaN when nobody was warned or nobody churned."""
    label = frame["label"].to_numpy(dtype=int)
    p = frame["p"].to_numpy(dtype=float)
    warned = p >= warn_from
    whole = _figures(label, p, warned)
    rows = [{"dimension": ALL, "group": ALL, **whole, "judged": True, "flag": ""}]
    not_delivered = []
    for dimension in DIMENSIONS:
        if dimension not in frame or frame[dimension].isna().all():
            not_delivered.append(dimension)
            continue
        groups = frame[dimension].astype(object).where(frame[dimension].notna(), "unknown").astype(str)
        present = set(groups)
        known = TENURE_LABELS if dimension == "tenure_band" else sorted(present - {"unknown"})
        order = [g for g in known if g in present] + ["unknown"] * ("unknown" in present)
        for group in order:
            mask = (groups == group).to_numpy()
            figures = _figures(label[mask], p[mask], warned[mask])
            judged = figures["customer_months"] >= min_rows and figures["churners"] >= min_churners
            rows.append(
                {
                    "dimension": dimension,
                    "group": group,
                    **figures,
                    "judged": judged,
                    "flag": _flag(figures, whole) if judged else "",
                }
            )
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    flagged = table[table["flag"] != ""].reset_index(drop=True)
    return SegmentReport(table=table.reset_index(drop=True), flagged=flagged, not_delivered=not_delivered)


def validation_rows(con: duckdb.DuckDBPyConnection, start: str, end: str) -> pd.DataFrame:
    """The labelled customer-months from ``start`` to ``end`` (a model's validation months) with their features,
    `label`, and the dimensions: segment and industry from the accounts when delivered, the tenure band from the
    first tenure column the mart has."""
    rows = feats.snapshots_between(con, start, end)
    labels = con.execute(
        """select customer_id, snapshot_date, churned_within_horizon::int as label
           from marts.churn_labels where is_labelled and snapshot_date between ? and ?""",
        [start, end],
    ).df()
    labels["snapshot_date"] = pd.to_datetime(labels["snapshot_date"])
    frame = rows.merge(labels, on=["customer_id", "snapshot_date"], how="inner")
    attributes = _account_attributes(con)
    frame = frame.merge(attributes, on="customer_id", how="left") if len(attributes.columns) > 1 else frame
    tenure = next((c for c in TENURE_SOURCES if c in frame), None)
    if tenure is not None:
        frame["tenure_band"] = tenure_band(frame[tenure])
    return frame


def _account_attributes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not table_exists(con, "marts", "account_attributes"):
        return pd.DataFrame(columns=["customer_id"])
    return con.execute("select customer_id, segment, industry from marts.account_attributes").df()


def segment_report(
    con: duckdb.DuckDBPyConnection,
    model: ChurnModel,
    *,
    start: str,
    end: str,
    warn_from: float,
    min_rows: int = MIN_ROWS,
    min_churners: int = MIN_CHURNERS,
    logged: pd.DataFrame | None = None,
    key: bytes | None = None,
) -> SegmentReport:
    """``model``'s figures per segment, industry and tenure band on the labelled months ``start`` to ``end``: what
    the monitor asset logs for each candidate and what the review shows for the champion (its validation months,
    its low-tier cut-off as ``warn_from``).

    ``logged``: the run's out-of-time validation scores (pseudonymised with ``key``), used instead of scoring the
    months again when the registered model learnt from them (`training.refit: newest`)."""
    frame = validation_rows(con, start, end)
    if frame.empty:
        raise ValueError(f"no labelled customer-months between {start} and {end} to judge the model on")
    if logged is None:
        frame["p"] = model.churn_probability(frame)
    else:
        if key is None:
            raise ValueError("the logged validation scores carry pseudonyms: the pseudonym key is needed")
        frame["pseudonym"] = pseudonymise(frame[["customer_id"]], key=key)["customer_id"].to_numpy()
        scores = logged.rename(columns={"customer_id": "pseudonym", "churn_probability": "p"})
        frame = frame.merge(scores[["pseudonym", "snapshot_date", "p"]], on=["pseudonym", "snapshot_date"])
        if frame.empty:
            raise ValueError(f"the logged validation scores match no customer-month between {start} and {end}")
    return segment_table(frame, warn_from=warn_from, min_rows=min_rows, min_churners=min_churners)
