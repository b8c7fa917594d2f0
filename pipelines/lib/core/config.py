"""The one configuration file, validated.

A typo in a YAML key should fail loudly with the key's path, not be silently ignored, so every model forbids
unknown keys. Defaults are the domain guide's numbers; the shipped ``radar.yaml`` repeats them with comments.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pipelines.lib.core import environment
from pipelines.lib.core.paths import DEFAULT_CONFIG_FILE, RadarPaths
from pipelines.lib.core.urls import Links, local_base, webhook_url_problem
from pipelines.lib.ingest.contract import CONTRACT
from pipelines.lib.ingest.sources import file_name_problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DefectSettings(_Strict):
    """Share of event records the demo generator makes faulty, per kind (0 = clean data); see docs/simulator.md."""

    missing: float = Field(0.0, ge=0, le=0.2)
    bad_date: float = Field(0.0, ge=0, le=0.2)
    duplicates: float = Field(0.0, ge=0, le=0.2)
    orphans: float = Field(0.0, ge=0, le=0.2)
    out_of_range: float = Field(0.0, ge=0, le=0.2)
    late: float = Field(0.0, ge=0, le=0.2)


class DriftSettings(_Strict):
    """Covariate drift injected into the latest months of the demo data (0 months = none)."""

    months: int = Field(0, ge=0)
    strength: float = Field(0.5, gt=0, le=1)


class DemoSettings(_Strict):
    customers: int = Field(2000, ge=50)
    months: int = Field(36, ge=6)
    seed: int = 42
    end: dt.date = dt.date(2026, 10, 31)
    defects: DefectSettings = DefectSettings()
    drift: DriftSettings = DriftSettings()


SourceKind = Literal["demo", "folder", "duckdb", "sqlite", "postgres"]


class SourcesSettings(_Strict):
    kind: SourceKind = "demo"
    # folder: the folder of <table>.csv / .parquet files; duckdb / sqlite: the database file
    path: Path | None = None
    # postgres: a libpq connection string without the password (PGPASSWORD or ~/.pgpass supply it)
    dsn: str | None = None
    # duckdb / postgres: the schema holding the tables (default main / public)
    db_schema: str | None = None
    demo: DemoSettings = DemoSettings()
    # contract table -> your table (or file stem) name, when they differ
    tables: dict[str, str] = Field(default_factory=dict)
    # contract column -> the column name in your export, per table
    mapping: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _where_from(self) -> SourcesSettings:
        if self.kind in ("folder", "duckdb", "sqlite") and self.path is None:
            raise ValueError(f"sources.kind is '{self.kind}' but sources.path is not set")
        if self.kind == "postgres" and not self.dsn:
            raise ValueError("sources.kind is 'postgres' but sources.dsn is not set")
        for name in (*self.tables, *self.mapping):
            if name not in CONTRACT:
                raise ValueError(f"'{name}' is not a contract table ({', '.join(CONTRACT)})")
        if self.kind in ("demo", "folder"):
            for table, stem in self.tables.items():
                if problem := file_name_problem(stem):
                    raise ValueError(f"tables.{table}: '{stem}' {problem}")
        for table, columns in self.mapping.items():
            unknown = sorted(set(columns) - set(CONTRACT[table].columns))
            if unknown:
                raise ValueError(f"mapping.{table}: {', '.join(unknown)} not in the contract for {table}")
        return self


class ChurnSettings(_Strict):
    definition: Literal["contractual", "inactivity"] = "contractual"
    # inactivity (non-contractual): a customer is active at a snapshot while an order or product use falls in this
    # many days up to it; every active customer is scored, and the label is "no order or use in the horizon".
    # `inactivity_days`, the earlier name, is still read.
    active_window_days: int = Field(
        365, ge=1, validation_alias=AliasChoices("active_window_days", "inactivity_days")
    )
    grace_days: int = Field(30, ge=0)
    horizon_days: int = Field(90, ge=7)

    @property
    def confirmation_lag_days(self) -> int:
        """Days after a label's horizon before its churn is certain: a contractual renewal may still arrive in the
        grace period; an order-based label is final when its horizon ends."""
        return self.grace_days if self.definition == "contractual" else 0


class GateSettings(_Strict):
    min_history_months: int = Field(18, ge=1)
    # Below min_history_months: `block` stops the run (the domain's rule), `warn` trains on the shorter history
    # with a visible warning. Default: block for contractual churn; warn for inactivity churn, whose label needs only
    # the horizon after each snapshot, and whose companies often keep about a year of order history.
    short_history: Literal["block", "warn"] | None = None
    min_quality: float = Field(0.80, ge=0, le=1)
    min_active_customers: int = Field(100, ge=1)
    min_churns: int = Field(20, ge=1)
    churn_lookback_years: int = Field(3, ge=1)


class ScoringSettings(_Strict):
    # Score as of this day: every model sees only events dated on or before it (`radar run --as-of`). None: the
    # newest event in the sources.
    as_of: dt.date | None = None


class FeatureSettings(_Strict):
    # Renewal proximity: renewals fall on every anniversary of the first contract of an unbroken chain (amendments
    # and renewals that follow on without a gap keep it), once per term.
    contract_term_months: int = Field(12, ge=1)


class TierSettings(_Strict):
    low: float = 0.30
    medium: float = 0.50
    high: float = 0.70
    # When true (the default), the low tier starts at the champion's profit-maximising threshold (its
    # `profit_threshold`) if that is below `low`: every customer worth contacting gets the low tier's (cheap)
    # action, although calibrated probabilities rarely reach 30 % (README, "Risk tiers").
    low_from_profit: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> TierSettings:
        if not 0 < self.low < self.medium < self.high < 1:
            raise ValueError("tiers must satisfy 0 < low < medium < high < 1")
        return self


class TrainingSettings(_Strict):
    validation_months: int = Field(3, ge=1)
    # Rolling origin: this many validation blocks of `validation_months`, each later than its training window.
    folds: int = Field(3, ge=1)
    # The later fold, between training and validation, on which early stopping and calibration are fitted.
    calibration_months: int = Field(3, ge=1)
    # Snapshots need this many months of source history behind them before they count.
    warmup_months: int = Field(6, ge=0)
    # "none" keeps the booster's probabilities honest; "balanced" weights churners up while the booster learns
    # and leaves it to the calibration fold to restore the probabilities.
    class_weight: Literal["none", "balanced"] = "none"
    # Few, shallow leaves: churn signals are few and additive; deeper trees only learnt noise on the demo data.
    n_estimators: int = Field(1000, ge=10)
    learning_rate: float = Field(0.03, gt=0)
    num_leaves: int = Field(4, ge=2)
    min_child_samples: int = Field(200, ge=1)
    early_stopping_rounds: int = Field(60, ge=1)
    # What the booster starts from: `rfm` = the log-odds of a logistic regression on log recency, frequency and
    # monetary value (it then learns only what that misses; strong on transaction data); `none` = its own prior;
    # `auto` = rfm for inactivity churn, none for contractual churn.
    linear_base: Literal["auto", "rfm", "none"] = "auto"
    # Which model is registered and scores. `newest`: after validation the model learns again on every labelled
    # month, the validation months included, with early stopping and calibration on the newest of them, so it
    # scores with behaviour a horizon old instead of two horizons and a validation block old (its metrics are
    # those of the same procedure one block earlier). `validated`: the model the metrics were measured on.
    refit: Literal["newest", "validated"] = "newest"
    seed: int = 42
    model_name: str = "retention_radar_churn"
    experiment: str = "retention_radar"


class PlaybookEntry(_Strict):
    action: str
    owner: str
    sla_hours: int | None = None


class MonitoringSettings(_Strict):
    drift_sample_rows: int = Field(20000, ge=100)
    drift_column_share: float = Field(0.5, gt=0, le=1)
    # Prediction drift: Wasserstein distance (normed by the reference's spread) of the churn probabilities.
    prediction_drift_threshold: float = Field(0.1, gt=0)
    # Target drift: two-proportion Z-test of the churn rate; drift when its p-value is below this.
    target_drift_p_value: float = Field(0.05, gt=0, lt=1)


class AlertSettings(_Strict):
    min_tier: Literal["low", "medium", "high"] = "high"
    file: Path | None = None  # default: $RADAR_HOME/exports/alerts.jsonl
    # http(s) only; a token in it is never shown (pipelines/lib/core/urls.py::redact_url)
    webhook_url: str | None = None

    @field_validator("webhook_url")
    @classmethod
    def _http_only(cls, url: str | None) -> str | None:
        if url is not None and (problem := webhook_url_problem(url)):
            raise ValueError(problem)
        return url


class UiSettings(_Strict):
    """Where `radar ui` serves, and where the links in Dagster's metadata point (also for runs started elsewhere)."""

    host: str = "127.0.0.1"
    dagster_port: int = Field(3000, ge=1, le=65535)
    mlflow_port: int = Field(5000, ge=1, le=65535)
    reports_port: int = Field(3001, ge=1, le=65535)
    # Host names (``name`` for any port, ``name:port`` for one) the UIs accept besides the bound host, 127.0.0.1
    # and localhost: e.g. the machine's name when `host` is 0.0.0.0, or a proxy's name in front of it.
    allowed_hosts: list[str] = Field(default_factory=list)
    # Bases of the links; None = derived from host and port; "" = no server (file:// report links, bare run ids).
    reports_url: str | None = None
    mlflow_url: str | None = None

    def links(self, paths: RadarPaths) -> Links:
        """The links every run writes into Dagster's metadata (see `urls.Links.resolve` for the env override)."""
        return Links.resolve(
            reports_root=paths.reports,
            data_docs_root=paths.data_docs.parent,
            reports_url=local_base(self.host, self.reports_port) if self.reports_url is None else self.reports_url,
            mlflow_url=local_base(self.host, self.mlflow_port) if self.mlflow_url is None else self.mlflow_url,
        )


class ValueTier(_Strict):
    share: float = Field(gt=0, le=1)
    service_level: str
    response_hours: int = Field(ge=1)


def _default_value_tiers() -> dict[str, ValueTier]:
    return {
        "VIP": ValueTier(
            share=0.10, service_level="senior adviser, response within 2 hours", response_hours=2
        ),
        "Premium": ValueTier(share=0.20, service_level="response within 8 hours", response_hours=8),
        "Standard": ValueTier(share=0.60, service_level="response within 24 hours", response_hours=24),
        "Basic": ValueTier(share=0.10, service_level="response within 48 hours", response_hours=48),
    }


class ValueSettings(_Strict):
    """Customer value: the 12-month revenue model, the CLV formula, value tiers and the economics of a contact."""

    # Value tiers from the most to the least valuable customers; the shares must add up to 1.
    tiers: dict[str, ValueTier] = Field(default_factory=_default_value_tiers)
    # CLV: expected lifetime = 1 / yearly churn probability, capped here; acquisition cost when accounts lack it.
    max_lifetime_years: float = Field(5.0, gt=0)
    default_acquisition_cost: float = Field(0.0, ge=0)
    # Retention economics for the profit-maximising threshold: cost of one contact, share of churners it saves.
    retention_cost: float = Field(500.0, ge=0)
    retention_success_rate: float = Field(0.30, gt=0, le=1)
    # The registered name of the 12-month revenue model in the MLflow registry (alias `current`).
    model_name: str = "retention_radar_value"

    @model_validator(mode="after")
    def _shares_add_up(self) -> ValueSettings:
        total = sum(t.share for t in self.tiers.values())
        if abs(total - 1) > 1e-6:
            raise ValueError(f"value tier shares add up to {total:g}, not 1")
        return self


def _default_playbook_tiers() -> dict[str, PlaybookEntry]:
    return {
        "none": PlaybookEntry(action="No action", owner="none"),
        "low": PlaybookEntry(
            action="Personalised newsletter and product tips; quarterly check by the account manager",
            owner="account_manager",
            sla_hours=24 * 90,
        ),
        "medium": PlaybookEntry(
            action="Event invitation or offer; phone call from the key account manager",
            owner="key_account_manager",
            sla_hours=24 * 14,
        ),
        "high": PlaybookEntry(
            action="Alert the team now; conversation with a senior manager within 48 hours",
            owner="senior_manager",
            sla_hours=48,
        ),
    }


HOLDOUT_KEYS = ("holdout_share", "holdout_salt")


class Playbook(_Strict):
    """What happens per risk tier, and the hold-out that measures whether it works.

    In the file the tiers and the hold-out settings sit side by side under ``playbook:``; here the tiers are
    ``tiers``. ``holdout_share`` of every warned tier (low and up) is drawn at random and gets no action, so
    the review can compare their churn with the treated customers' (pipelines/lib/score/holdout.py). The draw is
    a keyed hash of the customer id and ``holdout_salt``: the same customer stays in (or out of) the hold-out
    from run to run and month to month; a new salt draws a new group.
    """

    tiers: dict[str, PlaybookEntry] = Field(default_factory=_default_playbook_tiers)
    holdout_share: float = 0.0
    holdout_salt: str = Field("holdout-1", min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _split_tiers(cls, raw: object) -> object:
        if isinstance(raw, dict) and "tiers" not in raw:
            tiers = {k: v for k, v in raw.items() if k not in HOLDOUT_KEYS}
            # Only hold-out settings given: the default tiers stand.
            return {k: raw[k] for k in HOLDOUT_KEYS if k in raw} | ({"tiers": tiers} if tiers else {})
        return raw

    @field_validator("holdout_share")
    @classmethod
    def _share_below_one(cls, share: float) -> float:
        if not 0 <= share < 1:
            raise ValueError(
                f"must be at least 0 and below 1 (the share of each warned tier that gets no action; "
                f"0 = no hold-out), got {share:g}"
            )
        return share


class WarehouseSettings(_Strict):
    """Where dbt builds the models. ``duckdb`` (the default): in the warehouse file. ``spark``: dbt-spark's
    ``spark`` target of dbt_project/profiles.yml, on the raw zone exported to Parquet; the tables the Python stages
    read are then copied back into the warehouse file (pipelines/lib/transform/spark_tables.py)."""

    engine: Literal["duckdb", "spark"] = "duckdb"

    @property
    def dbt_target(self) -> str:
        """The output of dbt_project/profiles.yml that dbt builds on."""
        return self.engine


class RadarConfig(_Strict):
    sources: SourcesSettings = SourcesSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    churn: ChurnSettings = ChurnSettings()
    gates: GateSettings = GateSettings()
    scoring: ScoringSettings = ScoringSettings()
    features: FeatureSettings = FeatureSettings()
    tiers: TierSettings = TierSettings()
    training: TrainingSettings = TrainingSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    alerts: AlertSettings = AlertSettings()
    value: ValueSettings = ValueSettings()
    ui: UiSettings = UiSettings()
    playbook: Playbook = Playbook()

    @model_validator(mode="after")
    def _playbook_covers_tiers(self) -> RadarConfig:
        missing = {"none", "low", "medium", "high"} - set(self.playbook.tiers)
        if missing:
            raise ValueError(f"playbook has no entry for tier(s): {', '.join(sorted(missing))}")
        return self

    @property
    def history_blocks(self) -> bool:
        """Whether a history shorter than `gates.min_history_months` stops the run (see GateSettings)."""
        if self.gates.short_history is not None:
            return self.gates.short_history == "block"
        return self.churn.definition == "contractual"

    def dbt_vars(self) -> dict[str, object]:
        """The settings dbt needs, passed as ``--vars`` so the SQL never hard-codes a business rule."""
        return {
            "churn_definition": self.churn.definition,
            "active_window_days": self.churn.active_window_days,
            "as_of_date": self.scoring.as_of.isoformat() if self.scoring.as_of else None,
            "grace_days": self.churn.grace_days,
            "horizon_days": self.churn.horizon_days,
            "contract_term_months": self.features.contract_term_months,
        }


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


def config_file_from_env() -> Path:
    return environment.config_file() or DEFAULT_CONFIG_FILE.expanduser().resolve()


def _overrides_from_env() -> tuple[Path | None, dt.date | None]:
    """The command line's `--sources` and `--as-of`, which `radar` hands to the pipeline's process (and to the
    Dagster code location) as RADAR_SOURCES and RADAR_AS_OF; they win over the file's `sources` and
    `scoring.as_of`."""
    return environment.sources(), environment.as_of()


def load_config(
    path: Path | None = None, *, sources: Path | None = None, as_of: dt.date | None = None
) -> RadarConfig:
    """The configuration file with the command line's overrides applied: a sources folder becomes
    `sources.kind: folder` with that path (so a file that says `kind: folder` needs no path of its own), an as-of
    date becomes `scoring.as_of`. Without explicit overrides, those of the environment apply."""
    path = path or config_file_from_env()
    env_sources, env_as_of = _overrides_from_env()
    sources, as_of = sources or env_sources, as_of or env_as_of
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping of settings")
    if sources is not None:
        raw["sources"] = {**(raw.get("sources") or {}), "kind": "folder", "path": str(sources)}
    if as_of is not None:
        raw["scoring"] = {**(raw.get("scoring") or {}), "as_of": as_of}
    try:
        return RadarConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from exc
