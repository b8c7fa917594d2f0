"""Model benchmark: the champion churn run and the latest value run of a data home, as a Markdown table.

Usage (after `radar demo` on the default 2,000 customers x 36 months):
    RADAR_HOME=.radar PYTHONPATH=. .venv/bin/python benchmarks/model_benchmark.py
"""

from __future__ import annotations

from mlflow import MlflowClient

from pipelines.lib.core.config import load_config
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.tracking import configure_mlflow

CHURN = [
    "roc_auc",
    "oracle_roc_auc",
    "baseline_logistic_roc_auc",
    "baseline_health_score_roc_auc",
    "roc_auc_gain_vs_logistic",
    "roc_auc_gain_vs_logistic_ci_low",
    "roc_auc_gain_vs_logistic_ci_high",
    "roc_auc_gain_vs_health_score",
    "roc_auc_gain_vs_health_score_ci_low",
    "cv_roc_auc_mean",
    "cv_roc_auc_std",
    "pr_auc",
    "lift_at_10pct",
    "brier",
    "brier_uncalibrated",
    "base_rate",
    "high_precision",
    "high_recall",
    "high_fpr",
    "medium_precision",
    "medium_fpr",
    "low_precision",
    "low_fpr",
    "profit_threshold",
    "profit_precision",
    "profit_recall",
    "profit_fpr",
    "expected_profit",
    "max_profit_validation",
]
VALUE = [
    "mae",
    "spearman",
    "top10_revenue_share",
    "baseline_last_year_mae",
    "baseline_last_year_spearman",
    "baseline_last_year_top10_revenue_share",
]


def main() -> None:
    paths, cfg = RadarPaths.from_env(), load_config()
    experiment = configure_mlflow(paths, cfg.training.experiment)
    client = MlflowClient()
    champion = client.get_model_version_by_alias(cfg.training.model_name, "champion")
    run = client.get_run(champion.run_id)
    print(f"churn model version {champion.version}, run {run.info.run_name}")
    print(
        "tags: "
        + ", ".join(f"{k}={run.data.tags[k]}" for k in sorted(run.data.tags) if "_rows" in k or "valid_" in k)
    )
    print("\n| metric | value |\n| --- | --- |")
    for name in CHURN:
        print(f"| `{name}` | {run.data.metrics.get(name, float('nan')):.4f} |")
    value = client.search_runs(
        [experiment], "tags.model_kind = 'value'", order_by=["attributes.start_time DESC"]
    )
    if value:
        print(f"\nvalue run {value[0].info.run_name} ({value[0].data.tags.get('value_method')})")
        print("\n| metric | value |\n| --- | --- |")
        for name in VALUE:
            print(f"| `{name}` | {value[0].data.metrics.get(name, float('nan')):.4f} |")


if __name__ == "__main__":
    main()
