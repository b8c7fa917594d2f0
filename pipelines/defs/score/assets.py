"""Score: every active customer's risk, reasons and playbook action, as of the newest date in the sources.

Two paths write the same table (`scores.customer_scores`) and export, marked by `score_source`:
- `model`: the champion LightGBM model's churn probability, tiered; the health colour is kept alongside.
- `health_score_fallback`: when the learnability gate fails (too few customers or churns to trust a model), no
  model is trained and the rule-based health score (green / yellow / red) is the score: red maps to the `high`
  tier, yellow to `medium`, green to `none`; churn_probability stays empty because there is none.
`health_scores` always runs (the baseline is worth having beside the model); `customer_scores` runs after it and,
when the data is learnable, replaces the fallback rows with the model's.
"""

import dagster as dg
import pandas as pd

from models_registry.registry import CHAMPION, current_alias_version
from pipelines.defs.metadata import markdown_table, shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.lib.core.atomic import write_atomic
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.quality import gates, quality
from pipelines.lib.score import hierarchy, holdout, score_changes, score_frames, score_store, survival_store
from pipelines.lib.score.model_scores import champion_cutoffs, score_with_model
from pipelines.lib.score.priority import customer_value_as_of, prioritise
from pipelines.lib.score.tiers import TIER_ORDER, cutoffs_line
from pipelines.lib.train.churn_model import load_churn_model

RISERS = 10  # rows of exports/largest_risers.csv and of the asset's `largest_risers` table


def _learnability(radar: RadarResource) -> list[gates.GateResult]:
    """The learnability verdicts, by the same figures and suite as the gate, so both always agree."""
    settings = radar.config.gates
    with connect(radar.paths.warehouse, read_only=True) as con:
        figures = quality.population_figures(
            con, lookback_years=settings.churn_lookback_years, definition=radar.config.churn.definition
        )
    return gates.learnability_gate(
        figures, min_active=settings.min_active_customers, min_churns=settings.min_churns
    )


def _current(radar: RadarResource) -> pd.DataFrame:
    with connect(radar.paths.warehouse, read_only=True) as con:
        current = feats.latest_snapshot(con)
    if current.empty:
        raise dg.Failure(description="no active customers at the newest snapshot; nothing to score")
    return current


def _publish(radar: RadarResource, scores: pd.DataFrame, notes: dict | None = None) -> pd.DataFrame:
    """Join the customer value, order by value × risk, mark the hold-out (its figures go into ``notes``), and
    write the table and both CRM exports."""
    as_of = str(scores["as_of"].iloc[0])
    with connect(radar.paths.warehouse) as con:
        value = customer_value_as_of(con, as_of)
        scores = prioritise(scores, value, value_tiers=list(radar.config.value.tiers))
        scores, measured = holdout.apply(con, scores, home=radar.paths.home, playbook=radar.config.playbook)
        score_store.replace_as_of(con, "customer_scores", scores)
        survival = survival_store.survival_as_of(con, as_of)
        parents = hierarchy.read_hierarchy(con)
    (notes if notes is not None else {}).update(measured)
    export = scores[score_frames.EXPORT_COLUMNS].merge(survival, on="customer_id", how="left")
    export = export.assign(**{c: scores[c].to_numpy() for c in holdout.EXPORT_COLUMNS})
    export = hierarchy.with_parent(export, parents)
    write_atomic(radar.paths.scores_csv, lambda path: export.to_csv(path, index=False))
    write_atomic(radar.paths.scores_parquet, lambda path: export.to_parquet(path, index=False))
    # Rewritten with every export (empty for the health-score fallback), so it never lists another day's risers.
    risers = score_changes.largest_risers(scores, n=RISERS)
    write_atomic(radar.paths.risers_csv, lambda path: risers.to_csv(path, index=False))
    return scores


def _publish_fallback(radar: RadarResource, health: pd.DataFrame) -> pd.DataFrame:
    """The health score as the customers' score (see `score_frames.fallback_scores`), published."""
    return _publish(radar, score_frames.fallback_scores(health, radar.config.playbook.tiers))


def _tier_metadata(scores: pd.DataFrame) -> dict[str, dg.MetadataValue]:
    counts = scores["risk_tier"].value_counts().reindex(TIER_ORDER, fill_value=0)
    return {f"tier_{t}": dg.MetadataValue.int(int(n)) for t, n in counts.items()}


@dg.asset(
    group_name="score",
    deps=[dg.AssetKey(["marts", "customer_features"])],
    kinds={"duckdb", "csv"},
    pool="warehouse",
)
def health_scores(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.Output[dict]:
    """The rule-based health score (green / yellow / red) for every active customer, in `scores.health_scores`.

    When the learnability gate fails it is also **the** score: written to `scores.customer_scores` and the export
    with `score_source = health_score_fallback`, and said so in the log and in this asset's metadata. The
    verdict is this asset's output, which `customer_scores` takes, so scoring judges learnability once per run.
    """
    current = _current(radar)
    health = score_frames.health_frame(current)
    with connect(radar.paths.warehouse) as con:
        score_store.replace_as_of(con, "health_scores", health)
    verdicts = _learnability(radar)
    learnable = all(v.passed for v in verdicts)
    colours = health["health_colour"].value_counts().reindex(["green", "yellow", "red"], fill_value=0)
    metadata: dict[str, object] = {
        "as_of": str(health["as_of"].iloc[0]),
        "customers": len(health),
        **{f"colour_{c}": dg.MetadataValue.int(int(n)) for c, n in colours.items()},
        "score_source": score_store.MODEL if learnable else score_store.FALLBACK,
    }
    if not learnable:
        scores = _publish_fallback(radar, health)
        why = "; ".join(v.one_line() for v in verdicts if not v.passed)
        context.log.warning(
            f"learnability gate failed ({why}): no model is trained; the scores of {len(scores)} customers "
            "are the rule-based health score (score_source=health_score_fallback)"
        )
        metadata.update(
            {
                "fallback_reason": why,
                "export": dg.MetadataValue.path(str(radar.paths.scores_csv)),
                **_tier_metadata(scores),
            }
        )
    verdict = {"learnable": learnable, "why": "; ".join(v.one_line() for v in verdicts if not v.passed)}
    return dg.Output(verdict, metadata=shown(metadata))


@dg.asset(
    group_name="score",
    deps=[
        dg.AssetKey(["champion_decision"]),
        dg.AssetKey(["customer_value"]),
        dg.AssetKey(["customer_survival"]),
        dg.AssetKey(["marts", "account_hierarchy"]),
    ],
    ins={"health_scores": dg.AssetIn("health_scores")},
    kinds={"duckdb", "csv"},
    pool="warehouse",
)
def customer_scores(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, health_scores: dict
) -> dg.MaterializeResult:
    """Scores from the `champion` model for every customer active at the newest date in the sources.

    Written to `scores.customer_scores` (one row per customer and as_of; a re-run replaces that as_of) and to
    `exports/customer_scores.csv` for a CRM import, with `score_source = model` and the health colour alongside.
    Reasons are the three features that raise the risk most. When the learnability gate fails, the health-score
    fallback written by `health_scores` stands and no model score replaces it (its verdict, handed on).
    """

    cfg = radar.config
    if not health_scores["learnable"]:
        why = health_scores["why"]
        context.log.warning(f"not scoring with a model: {why}; the health-score fallback stands")
        return dg.MaterializeResult(
            metadata=shown({"score_source": score_store.FALLBACK, "fallback_reason": why})
        )
    client = tracking.client()
    name = cfg.training.model_name
    version = current_alias_version(name, CHAMPION, client=client)
    if version is None:
        # The first candidate was held back (see champion_decision): the customers still get a score today.
        why = f"no '{CHAMPION}' version of model '{name}' yet (the first candidate was held back)"
        scores = _publish_fallback(radar, score_frames.health_frame(_current(radar)))
        context.log.warning(f"{why}; the scores are the rule-based health score")
        return dg.MaterializeResult(
            metadata=shown(
                {
                    "score_source": score_store.FALLBACK,
                    "fallback_reason": why,
                    "customers": len(scores),
                    **_tier_metadata(scores),
                }
            )
        )
    with tracking.reading():
        model = load_churn_model(f"models:/{name}/{version}")
    features = list(model.feature_names)
    current = _current(radar)
    missing = [f for f in features if f not in current]
    if missing:
        raise dg.Failure(
            description=f"the champion model needs feature(s) the mart no longer has: {', '.join(missing)}; "
            "retrain (job quarterly_retrain)"
        )
    cutoffs = champion_cutoffs(cfg.tiers, name, version, client=client)
    scored = score_with_model(model, current, cutoffs=cutoffs, playbook=cfg.playbook.tiers)
    p = scored["churn_probability"].to_numpy()
    with connect(radar.paths.warehouse, read_only=True) as con:
        previous = score_changes.previous_snapshot(con, current["snapshot_date"].max().date().isoformat())
    # Both snapshots through the same champion: the change is the customer's, not a retrain's.
    changes = score_changes.score_changes(model, current, previous, cutoffs=cutoffs)
    scores = score_frames.model_scores(
        current, scored, changes, score_frames.health_frame(current), name=name, version=version
    )
    as_of = str(scores["as_of"].iloc[0])
    notes: dict = {}
    scores = _publish(radar, scores, notes)
    tier_meta = _tier_metadata(scores)
    risers = score_changes.largest_risers(scores, n=RISERS)
    new = int((scores["moved_by"] == score_changes.NEW).sum())
    compared = scores["probability_change"].notna()
    context.log.info(
        f"scored {len(scores)} customers as of {as_of}: "
        + ", ".join(f"{k.removeprefix('tier_')} {v.value}" for k, v in tier_meta.items())
    )
    return dg.MaterializeResult(
        metadata=shown(
            {
                "as_of": as_of,
                "customers": len(scores),
                "model_version": version,
                "score_source": score_store.MODEL,
                **tier_meta,
                **notes,
                "tier_cutoffs": cutoffs_line(cutoffs, cfg.tiers),
                "mean_probability": dg.MetadataValue.float(float(p.mean())),
                "export": dg.MetadataValue.path(str(radar.paths.scores_csv)),
                "export_parquet": dg.MetadataValue.path(str(radar.paths.scores_parquet)),
                "revenue_at_risk": dg.MetadataValue.float(float(scores["revenue_at_risk"].fillna(0).sum())),
                "previous_as_of": str(previous["snapshot_date"].max().date()) if len(previous) else "none",
                "customers_new": dg.MetadataValue.int(new),
                "customers_risen": dg.MetadataValue.int(int((scores["probability_change"] > 0).sum())),
                # Left out when nobody has a previous score: a mean of nothing is no figure.
                **(
                    {"mean_probability_change": float(scores.loc[compared, "probability_change"].mean())}
                    if compared.any()
                    else {}
                ),
                "largest_risers": markdown_table(
                    risers[
                        [
                            "customer_id",
                            "previous_churn_probability",
                            "churn_probability",
                            "probability_change",
                            "moved_by",
                        ]
                    ],
                    empty="(no customer's probability rose since the previous snapshot)",
                ),
                "risers_export": dg.MetadataValue.path(str(radar.paths.risers_csv)),
                "act_first": dg.MetadataValue.md(
                    scores.head(10)[
                        ["priority", "customer_id", "risk_tier", "value_tier", "churn_probability", "reasons"]
                    ].to_markdown(index=False)
                ),
            }
        )
    )
