"""Registry: apply the promotion policy in models_registry/ and move the champion / challenger aliases."""

import dagster as dg

from models_registry.policy import PromotionPolicy, decide
from models_registry.registry import CHAMPION, apply_decision, current_alias_version, repair_interrupted
from pipelines.defs.metadata import shown
from pipelines.defs.resources import MlflowResource, RadarResource
from pipelines.defs.train.candidate import CANDIDATE_INPUT, candidate_for_run
from pipelines.lib.core.warehouse import connect
from pipelines.lib.features import mart as feats
from pipelines.lib.quality import gate_store
from pipelines.lib.registry.evidence import gates_passed, run_evidence, version_evidence
from pipelines.lib.registry.evidence import holdout as evidence_holdout
from pipelines.lib.train import training
from pipelines.lib.train.churn_model import load_churn_model
from pipelines.lib.train.evaluation import EVALUATED


@dg.asset(
    group_name="registry",
    kinds={"mlflow"},
    pool="warehouse",
    ins={"churn_model": CANDIDATE_INPUT},
    deps=[dg.AssetKey("feature_drift")],
)
def champion_decision(
    context: dg.AssetExecutionContext, radar: RadarResource, tracking: MlflowResource, churn_model: dict
) -> dg.Output[dict]:
    """Candidate vs champion on the same, most recent holdout, under `models_registry/promotion_policy.yaml`.

    The candidate becomes `champion` only if it beats the champion by the policy's margin, is not worse
    calibrated, every data gate passed, the drift share is within the limit, no more than a small share of
    features drifts that did not drift when the champion was chosen, and it learnt from data at least as recent
    as the champion's (a backfilled older quarter never replaces a newer champion); otherwise it is tagged
    `challenger`, and a human may still approve it (`radar promote --approve`).
    The decision and its reasons go to the model version's tags, its run's tags and the decision log.
    """
    import mlflow

    client = tracking.client()
    churn_model = candidate_for_run(context, churn_model)
    evidence = run_evidence(client, churn_model["run_id"])
    if evidence.drift_share is None:
        raise dg.Failure(description=f"churn model version {churn_model['version']} has no drift check yet")
    policy = PromotionPolicy.load()
    name, version = churn_model["model_name"], churn_model["version"]
    # `radar run` repairs before it starts; a run launched from the UI reaches here without that.
    repaired = repair_interrupted(name, client=client, log_path=radar.paths.decision_log)
    if repaired:
        context.log.warning(repaired)
    if current_alias_version(name, CHAMPION, client=client) == version:
        # The retrain reused the champion's own version (unchanged data, or a quarter that adds no matured label):
        # there is nothing to compare it with and nothing to decide.
        reason = f"version {version} is already champion: {churn_model.get('reused') or 'the same model'}"
        context.log.info(reason)
        record = {
            "kind": "unchanged",
            "version": version,
            "promoted": False,
            "alias": CHAMPION,
            "previous_champion": version,
            "reasons": [reason],
            "figures": {},
        }
        return dg.Output(
            record,
            metadata=shown({
                "promoted": False,
                "alias": CHAMPION,
                "version": version,
                "previous_champion": version,
                "reasons": dg.MetadataValue.md(f"- {reason}"),
                "policy_version": policy.version,
            }),
        )
    window = churn_model["window"]
    with connect(radar.paths.warehouse, read_only=True) as con:
        labelled = feats.labelled_snapshots(con, warmup_months=0)
        gate_rows = gate_store.latest(con, history_blocks=radar.config.history_blocks)
    holdout = evidence_holdout(labelled, window)
    y = holdout["label"].to_numpy()

    # The candidate's figures are its out-of-time ones from the retrain (the same months and function): the
    # registered model may have learnt from these months (`training.refit: newest`), so it is not re-scored here.
    candidate = {k: float(churn_model["metrics"][k]) for k in EVALUATED}
    if len(holdout) != window["valid_rows"]:
        context.log.warning(
            f"the validation months hold {len(holdout)} rows now and {window['valid_rows']} when the candidate "
            "was trained; the champion is compared on today's rows"
        )
    champion_version = current_alias_version(name, CHAMPION, client=client)
    champion, champion_evidence = None, None
    if champion_version is not None and champion_version != version:
        champion = training.evaluate(y, _predict(tracking, f"models:/{name}/{champion_version}", holdout))
        champion_evidence = version_evidence(client, name, champion_version)
    decision = decide(
        policy,
        candidate=candidate,
        champion=champion,
        drift_share=evidence.drift_share,
        gates_passed=gates_passed(gate_rows),
        new_drift=sorted(evidence.drifted - (champion_evidence.drifted if champion_evidence else frozenset())),
        features_compared=evidence.features_compared,
        candidate_cutoff=churn_model["cutoff"],
        champion_cutoff=champion_evidence.cutoff if champion_evidence else None,
        baseline=evidence.baseline_roc_auc,
        baseline_gain_interval=evidence.baseline_gain_interval,
    )
    record = apply_decision(name, version, decision, client=client, log_path=radar.paths.decision_log)
    with tracking.active(), mlflow.start_run(run_id=churn_model["run_id"]):
        mlflow.log_metrics({f"holdout_{k}": v for k, v in candidate.items()})
    for reason in decision.reasons:
        context.log.info(reason)
    return dg.Output(
        record,
        metadata=shown({
            "promoted": decision.promote,
            "alias": record["alias"],
            "version": version,
            "previous_champion": record["previous_champion"] or "none",
            "reasons": dg.MetadataValue.md("\n".join(f"- {r}" for r in decision.reasons)),
            "policy_version": policy.version,
            **radar.mlflow_run_links(churn_model["run_id"], key="candidate_mlflow_run", client=client),
        }),
    )


def _predict(tracking: MlflowResource, model_uri: str, frame):
    with tracking.reading():
        model = load_churn_model(model_uri)
    return model.churn_probability(frame)
