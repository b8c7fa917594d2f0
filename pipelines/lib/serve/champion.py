"""The champion the API scores with, reloaded when the `champion` alias moves.

Per request with a short TTL: every request asks :meth:`ChampionHolder.current`, which looks the alias's version
up again in the registry once the last look-up is older than ``ttl_seconds`` (default 5 s) and loads the new
version when it differs. A promotion or a rollback therefore reaches the API within the TTL, without a
background thread, and the look-up (one SQLite query) costs one request in every TTL, not every request. A
look-up that fails (the registry busy under a run) keeps the model already loaded.

The feature rows `POST /score` accepts are described by the champion's MLflow signature (its input columns and
types), so the API asks for exactly what the model was logged with.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from pipelines.lib.core.config import TierSettings
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.serve.errors import Unavailable
from pipelines.lib.train.churn_model import ChurnModel

log = logging.getLogger(__name__)
ALIAS = "champion"
# MLflow signature types -> the JSON types a posted feature may have (null: missing, as LightGBM reads NaN).
_TYPES: dict[str, type] = {"double": float, "float": float, "long": float, "integer": float, "boolean": bool}


class _Row(BaseModel):
    # Strict: "12" or true for a number is a client's mistake, not something to guess at. Other keys (the
    # mart's customer_id, snapshot_date) are allowed and ignored; customer_id is echoed back when given.
    model_config = ConfigDict(strict=True, extra="ignore", protected_namespaces=())
    customer_id: str | None = None


def feature_row_model(columns: dict[str, type], *, name: str = "FeatureRow") -> type[BaseModel]:
    """A pydantic model of one posted row: every feature required (``null`` allowed for a missing value)."""
    fields: dict[str, Any] = {
        column: (Annotated[kind | None, Field(description=f"feature `{column}`")], ...)
        for column, kind in columns.items()
    }
    return create_model(name, __base__=_Row, **fields)


@dataclass(frozen=True)
class Champion:
    name: str
    version: str
    model: ChurnModel
    features: list[str]
    rows: TypeAdapter  # list[FeatureRow]
    row_model: type[BaseModel]
    cutoffs: TierSettings


def signature_columns(metadata: Any, features: list[str]) -> dict[str, type]:
    """The posted row's columns and types from the model's signature; the booster's own feature list when the
    model was logged without one (then every feature is a number)."""
    schema = metadata.get_input_schema() if metadata is not None else None
    if schema is None or not schema.has_input_names():
        return dict.fromkeys(features, float)
    columns = {spec.name: _TYPES.get(str(spec.type), float) for spec in schema.inputs}
    missing = [f for f in features if f not in columns]
    if missing:
        raise RuntimeError(
            f"the champion's signature lacks feature(s) its booster uses: {', '.join(missing)}"
        )
    return columns


def load_champion(paths: RadarPaths, name: str, version: str, tiers: TierSettings) -> Champion:
    """Load one registered version (by number, so what is loaded is the version that was looked up)."""
    import mlflow

    from pipelines.lib.core.tracking import Tracking
    from pipelines.lib.score.model_scores import champion_cutoffs

    with Tracking.for_home(paths).reading() as client:
        pyfunc = mlflow.pyfunc.load_model(f"models:/{name}/{version}")
    model: ChurnModel = pyfunc.unwrap_python_model().model
    model.predict_threads = 1  # see ChurnModel.predict_threads
    features = list(model.feature_names)
    row_model = feature_row_model(signature_columns(pyfunc.metadata, features))
    return Champion(
        name=name,
        version=version,
        model=model,
        features=features,
        rows=TypeAdapter(list[row_model]),
        row_model=row_model,
        cutoffs=champion_cutoffs(tiers, name, version, client=client),
    )


class ChampionHolder:
    """The loaded champion, looked up again at most every ``ttl_seconds`` (see the module docstring)."""

    def __init__(
        self,
        paths: RadarPaths,
        *,
        model_name: str,
        tiers: TierSettings,
        ttl_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.paths, self.model_name, self.tiers = paths, model_name, tiers
        self.ttl_seconds, self._clock = ttl_seconds, clock
        self._lock = threading.Lock()
        self._loaded: Champion | None = None
        self._alias_version: str | None = None
        self._checked_at: float | None = None
        self._client = None

    def _registry(self):
        """The registry client, once the data home has one: opening MLflow's SQLite store on a path that does
        not exist would create an empty registry there."""
        if self._client is None:
            from pipelines.lib.core.tracking import Tracking

            tracking = Tracking.for_home(self.paths)
            if not tracking.exists():
                return None
            self._client = tracking.client()
        return self._client

    def _look_up(self) -> str | None:
        from mlflow.exceptions import MlflowException

        client = self._registry()
        if client is None:
            return None
        try:
            return str(client.get_model_version_by_alias(self.model_name, ALIAS).version)
        except MlflowException as exc:
            # No such model or no such alias (yet): MLflow says which by error code; anything else is a failure.
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                return None
            raise

    def _refresh(self) -> None:
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self.ttl_seconds:
            return
        try:
            version = self._look_up()
        except Exception as exc:  # any registry failure: keep serving what is loaded
            if self._loaded is None:
                raise Unavailable(f"the model registry cannot be read now ({exc}); try again") from exc
            log.warning("champion look-up failed (%s); still serving version %s", exc, self._loaded.version)
            self._checked_at = now
            return
        self._checked_at = now
        self._alias_version = version
        if version is None:
            self._loaded = None
        elif self._loaded is None or self._loaded.version != version:
            try:
                loaded = load_champion(self.paths, self.model_name, version, self.tiers)
            except Exception as exc:
                if self._loaded is None:
                    raise Unavailable(f"champion version {version} cannot be loaded: {exc}") from exc
                log.error(
                    "champion version %s cannot be loaded (%s); still serving %s",
                    version,
                    exc,
                    self._loaded.version,
                )
                return
            self._loaded = loaded
            log.info("serving champion %s version %s", self.model_name, version)

    def current(self) -> Champion:
        """The champion to score with now; `Unavailable` (503) while there is none."""
        with self._lock:
            self._refresh()
            if self._loaded is None:
                raise Unavailable(
                    f"no '{ALIAS}' version of model '{self.model_name}' yet: the scores are the health-score "
                    "fallback until a model is promoted (radar run, or radar promote)"
                )
            return self._loaded

    def version(self) -> str | None:
        """The champion's version as of the last look-up (refreshed first when older than the TTL)."""
        with self._lock:
            try:
                self._refresh()
            except Unavailable:
                return None
            return self._alias_version
