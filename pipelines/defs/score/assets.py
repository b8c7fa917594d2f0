"""Score: every active customer's churn probability, risk tier, reasons and playbook action, as of the newest date."""

import dagster as dg
import pandas as pd

from models_registry.registry import CHAMPION, current_alias_version
from pipelines.defs.resources import RadarResource
from pipelines.lib import features as feats
from pipelines.lib.atomic import write_atomic
from pipelines.lib.churn_model import load_churn_model
from pipelines.lib.reasons import top_reasons
from pipelines.lib.tiers import TIER_ORDER, playbook_columns, risk_tier
from pipelines.lib.tracking import configure_mlflow
from pipelines.lib.warehouse import connect

EXPORT_COLUMNS = [
    "customer_id",
    "as_of",
    "churn_probability",
    "risk_tier",
    "reasons",
    "action",
    "owner",
    "sla_hours",
    "model_name",
    "model_version",
]


@dg.asset(
    group_name="score", deps=[dg.AssetKey(["champion_decision"])], kinds={"duckdb", "csv"}, pool="warehouse"
)
def customer_scores(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.MaterializeResult:
    """Scores from the `champion` model for every customer active at the newest date in the sources.

    Written to `scores.customer_scores` (one row per customer and as_of; a re-run replaces that as_of) and to
    `exports/customer_scores.csv` for a CRM import. Reasons are the three features that raise the risk most.
    """

    cfg = radar.config
    configure_mlflow(radar.paths, cfg.training.experiment)
    name = cfg.training.model_name
    version = current_alias_version(name, CHAMPION)
    if version is None:
        raise dg.Failure(
            description=f"no '{CHAMPION}' version of model '{name}' yet; train and promote one first"
        )
    model = load_churn_model(f"models:/{name}@{CHAMPION}")
    features = model.feature_names
    with connect(radar.paths.warehouse, read_only=True) as con:
        current = feats.latest_snapshot(con)
    if current.empty:
        raise dg.Failure(description="no active customers at the newest snapshot; nothing to score")
    p = model.predict_proba(current[features])[:, 1]
    contributions = model.contributions(current[features])
    tiers = risk_tier(p, cfg.tiers)
    scores = pd.concat(
        [
            pd.DataFrame(
                {
                    "customer_id": current["customer_id"].to_numpy(),
                    "as_of": current["snapshot_date"].dt.date.to_numpy(),
                    "churn_probability": p.round(4),
                    "risk_tier": tiers,
                    "reasons": top_reasons(contributions, current, features),
                }
            ),
            playbook_columns(tiers, cfg.playbook),
        ],
        axis=1,
    ).assign(model_name=name, model_version=version)[EXPORT_COLUMNS]
    as_of = str(scores["as_of"].iloc[0])

    with connect(radar.paths.warehouse) as con:
        con.execute("create schema if not exists scores")
        con.execute(
            """create table if not exists scores.customer_scores (
                customer_id varchar, as_of date, churn_probability double, risk_tier varchar, reasons varchar,
                action varchar, owner varchar, sla_hours integer, model_name varchar, model_version varchar,
                scored_at timestamp)"""
        )
        con.execute("begin transaction")
        con.execute("delete from scores.customer_scores where as_of = ?", [as_of])
        con.execute("insert into scores.customer_scores select *, now() from scores")
        con.execute("commit")
    write_atomic(radar.paths.scores_csv, lambda path: scores.to_csv(path, index=False))

    counts = scores["risk_tier"].value_counts().reindex(TIER_ORDER, fill_value=0)
    context.log.info(
        f"scored {len(scores)} customers as of {as_of}: " + ", ".join(f"{t} {n}" for t, n in counts.items())
    )
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of,
            "customers": len(scores),
            "model_version": version,
            **{f"tier_{t}": dg.MetadataValue.int(int(n)) for t, n in counts.items()},
            "mean_probability": dg.MetadataValue.float(float(p.mean())),
            "export": dg.MetadataValue.path(str(radar.paths.scores_csv)),
            "top_risks": dg.MetadataValue.md(
                scores.nlargest(10, "churn_probability")[
                    ["customer_id", "churn_probability", "risk_tier", "reasons"]
                ].to_markdown(index=False)
            ),
        }
    )
