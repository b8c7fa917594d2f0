"""Registry: apply the promotion policy in models_registry/ and move the champion / challenger aliases."""

import dagster as dg

from models_registry.policy import PromotionPolicy, decide
from models_registry.registry import CHAMPION, apply_decision, current_alias_version
from pipelines.defs.resources import RadarResource
from pipelines.defs.train.assets import WARMUP_MONTHS
from pipelines.lib import features as feats
from pipelines.lib import gate_store, training
from pipelines.lib.tracking import configure_mlflow
from pipelines.lib.warehouse import connect


@dg.asset(group_name="registry", kinds={"mlflow"}, pool="warehouse")
def champion_decision(
    context: dg.AssetExecutionContext, radar: RadarResource, churn_model: dict, feature_drift: dict
) -> dg.Output[dict]:
    """Candidate vs champion on the same, most recent holdout, under `models_registry/promotion_policy.yaml`.

    The candidate becomes `champion` only if it beats the champion by the policy's margin, is not worse
    calibrated, every data gate passed and drift is within the limit; otherwise it is tagged `challenger`.
    The decision and its reasons go to the model version's tags, its run's tags and the decision log.
    """
    import mlflow

    policy = PromotionPolicy.load()
    name, version = churn_model["model_name"], churn_model["version"]
    configure_mlflow(radar.paths, radar.config.training.experiment)
    window = churn_model["window"]
    with connect(radar.paths.warehouse, read_only=True) as con:
        holdout = feats.labelled_snapshots(con, warmup_months=WARMUP_MONTHS)
        gate_rows = gate_store.latest(con)
    holdout = holdout[holdout["snapshot_date"].between(window["valid_start"], window["valid_end"])]
    y = holdout["label"].to_numpy()

    candidate = training.evaluate(y, _predict(f"models:/{name}/{version}", holdout))
    champion_version = current_alias_version(name, CHAMPION)
    champion = None
    if champion_version is not None and champion_version != version:
        champion = training.evaluate(y, _predict(f"models:/{name}@{CHAMPION}", holdout))
    gates_passed = bool(len(gate_rows)) and bool(gate_rows["passed"].all())
    decision = decide(
        policy,
        candidate=candidate,
        champion=champion,
        drift_share=feature_drift["drift_share"],
        gates_passed=gates_passed,
    )
    record = apply_decision(name, version, decision, log_path=radar.paths.decision_log)
    with mlflow.start_run(run_id=churn_model["run_id"]):
        mlflow.log_metrics({f"holdout_{k}": v for k, v in candidate.items()})
    for reason in decision.reasons:
        context.log.info(reason)
    return dg.Output(
        record,
        metadata={
            "promoted": decision.promote,
            "alias": record["alias"],
            "version": version,
            "previous_champion": record["previous_champion"] or "none",
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in decision.reasons)),
            "policy_version": policy.version,
        },
    )


def _predict(model_uri: str, frame):
    import mlflow

    model = mlflow.lightgbm.load_model(model_uri)
    return model.predict_proba(frame[list(model.feature_name_)])[:, 1]
