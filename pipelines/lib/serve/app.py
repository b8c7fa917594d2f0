"""The online scoring API: `create_app` builds it for one data home (`radar serve` runs it under uvicorn).

- `GET /customers/{id}`: the customer's newest stored score (`scores.customer_scores` at its newest as_of).
- `POST /score`: a JSON list of feature rows, or `{"customer_id": ...}` for the customer's row of the newest
  feature snapshot (the one batch scoring scored; a customer not active then is a 404), scored live by the champion through the batch scoring's own function (`score_with_model`).
- `GET /health`: the champion's version and the newest as_of. OpenAPI docs at `/docs`.

Every failure a client can cause or wait out is one line in `{"detail": ...}`: 404 unknown customer, 422 a
missing or wrongly typed feature (naming the row and the field), 503 no champion yet or a run writing the data
home (before the API has read any scores). Endpoints are plain `def`s: FastAPI runs them in its thread pool, so
re-reading the warehouse or reloading the model in one request does not stall the event loop.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any

import pandas as pd
from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from pipelines.lib.core.config import RadarConfig
from pipelines.lib.core.paths import RadarPaths
from pipelines.lib.core.pseudonym import key_for
from pipelines.lib.score import holdout
from pipelines.lib.score.model_scores import score_with_model
from pipelines.lib.serve.champion import Champion, ChampionHolder
from pipelines.lib.serve.errors import BadInput, ServeError, Unavailable
from pipelines.lib.serve.schemas import Health, LiveScore, LiveScores, Problem, StoredScore, reason_list
from pipelines.lib.serve.warehouse_reads import WarehouseView

log = logging.getLogger(__name__)
MAX_ROWS = 10_000
SCORE_BODY_HELP = (
    "A JSON list of feature rows (objects with every feature the champion uses; null for a missing value), "
    'or {"customer_id": "..."} to score that customer\'s newest feature row in the warehouse.'
)


def one_line(errors: list[dict[str, Any]], *, prefix: tuple[str, ...] = ()) -> str:
    """The first of pydantic's errors as one sentence naming where it is ("row 0, field 'tenure_days': Field
    required"), with how many more there are."""
    first = errors[0]
    loc = [str(p) for p in (*prefix, *first.get("loc", ())) if p not in ("body",)]
    where: list[str] = []
    for part in loc:
        where.append(f"row {part}" if part.isdigit() else f"field '{part}'")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{', '.join(where) or 'body'}: {first['msg']}{more}"


def _frame(champion: Champion, body: list[Any]) -> tuple[pd.DataFrame, list[str | None]]:
    if len(body) > MAX_ROWS:
        raise BadInput(f"at most {MAX_ROWS} rows per request; got {len(body)}")
    if not body:
        raise BadInput("no rows to score: post a list of feature rows")
    try:
        rows = champion.rows.validate_python(body)
    except ValidationError as exc:
        raise BadInput(one_line(exc.errors(include_url=False))) from None
    ids = [r.customer_id for r in rows]
    # Validated: every feature is present and a number or null, so the posted objects make the frame directly
    # (a third faster than dumping the models again for 1,000 rows).
    frame = pd.DataFrame.from_records(body, columns=champion.features)
    return frame.astype("float64"), ids


def _live(
    champion: Champion, frame: pd.DataFrame, ids: list[str | None], config: RadarConfig, key: bytes
) -> list[LiveScore]:
    scored = score_with_model(champion.model, frame, cutoffs=champion.cutoffs, playbook=config.playbook.tiers)
    if config.playbook.holdout_share > 0:
        # A held-out customer gets no action here either; rows without an id cannot be held out.
        book = config.playbook
        marked = holdout.mark(
            scored.assign(customer_id=ids), share=book.holdout_share, key=key, salt=book.holdout_salt
        )
        marked.loc[[cid is None for cid in ids], ["action", "owner", "sla_hours"]] = scored[
            ["action", "owner", "sla_hours"]
        ]
        scored = marked
    return [
        LiveScore(
            customer_id=cid,
            churn_probability=float(r.churn_probability),
            risk_tier=r.risk_tier,
            reasons=reason_list(r.reasons),
            action=r.action if isinstance(r.action, str) else None,
            owner=r.owner if isinstance(r.owner, str) else None,
            sla_hours=None if pd.isna(r.sla_hours) else int(r.sla_hours),
        )
        for cid, r in zip(ids, scored.itertuples(index=False), strict=True)
    ]


class ServerTiming:
    """Adds `Server-Timing: app;dur=<ms>` to every response: the time from the request's arrival to its response,
    which tells the server's own cost apart from the network and, on a busy machine, from waiting for a CPU
    (the benchmark reports both). A plain ASGI wrapper: Starlette's BaseHTTPMiddleware would cost more than
    a stored score does."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message) -> None:
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
                message["headers"] = [*message.get("headers", []), (b"server-timing", took)]
            await send(message)

        await self.app(scope, receive, timed)


def create_app(paths: RadarPaths, config: RadarConfig, *, alias_ttl_seconds: float = 5.0) -> FastAPI:
    """The API for the data home ``paths``; the champion is looked up again every ``alias_ttl_seconds``."""
    holder = ChampionHolder(
        paths, model_name=config.training.model_name, tiers=config.tiers, ttl_seconds=alias_ttl_seconds
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Load the champion and the scores before the first request, so it does not pay for them.
        with suppress(Unavailable):
            holder.current()
        with suppress(Unavailable):
            warehouse.current()
        yield

    app = FastAPI(
        title="Retention Radar: online scoring",
        description="Stored and live churn scores of the champion model. Bound to 127.0.0.1 by default.",
        lifespan=lifespan,
        responses={404: {"model": Problem}, 422: {"model": Problem}, 503: {"model": Problem}},
    )
    app.add_middleware(ServerTiming)
    warehouse = WarehouseView(paths)
    key = key_for(paths.home)
    app.state.holder, app.state.warehouse = holder, warehouse

    @app.exception_handler(ServeError)
    async def _serve_error(request: Request, exc: ServeError) -> JSONResponse:
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if errors and errors[0].get("type") == "json_invalid":
            where = errors[0].get("ctx", {}).get("error", "")
            return JSONResponse({"detail": f"the body is not valid JSON ({where})"}, status_code=422)
        return JSONResponse({"detail": one_line(errors)}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug, not the client's doing: still one line (the traceback goes to the server's log).
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}: {exc}"}, status_code=500)

    @app.get("/health", response_model=Health)
    def health() -> Health:
        """Whether the API is up, which champion version it scores with, and the newest stored as_of."""
        version = holder.version()
        try:
            as_of, note = warehouse.current().as_of, warehouse.stale_reason
        except Unavailable as exc:
            as_of, note = None, exc.message
        if version is None:
            note = note or "no champion yet: POST /score answers 503"
        return Health(status="ok", champion_version=version, newest_as_of=as_of, note=note)

    @app.get("/customers/{customer_id}", response_model=StoredScore)
    def customer(customer_id: str) -> StoredScore:
        """The customer's newest stored score: probability, tier, reasons, value tier, action, owner and SLA."""
        return StoredScore.from_row(warehouse.stored_score(customer_id))

    @app.post("/score", response_model=LiveScores)
    def score(body: Annotated[Any, Body(description=SCORE_BODY_HELP)]) -> LiveScores:
        """Score live with the champion: probability, tier and top reasons per row, as batch scoring would."""
        champion = holder.current()
        as_of = None
        if isinstance(body, dict) and set(body) == {"customer_id"}:
            if not isinstance(body["customer_id"], str):
                raise BadInput("field 'customer_id': Input should be a valid string")
            row = warehouse.newest_features(body["customer_id"])
            missing = [f for f in champion.features if f not in row]
            if missing:
                raise Unavailable(
                    f"the champion needs feature(s) the mart no longer has: {', '.join(missing)}; retrain "
                    "(job quarterly_retrain)"
                )
            as_of = row["snapshot_date"].iloc[0].date()
            frame, ids = row[champion.features], [body["customer_id"]]
        elif isinstance(body, list):
            frame, ids = _frame(champion, body)
        else:
            raise BadInput('expected a JSON list of feature rows, or {"customer_id": "..."}')
        return LiveScores(
            model_name=champion.name,
            model_version=champion.version,
            as_of=as_of,
            scores=_live(champion, frame, ids, config, key),
        )

    schemas: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        """The generated schema, with POST /score's body described by the current champion's feature row (one
        schema per champion version: a promotion with other features changes the docs too)."""
        try:
            champion: Champion | None = holder.current()
        except ServeError:
            champion = None
        key = champion.version if champion else None
        if key not in schemas:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            if champion is not None:
                row = champion.row_model
                body = {
                    "description": SCORE_BODY_HELP,
                    "content": {
                        "application/json": {
                            "schema": {
                                "anyOf": [
                                    {"type": "array", "items": row.model_json_schema()},
                                    {
                                        "type": "object",
                                        "properties": {"customer_id": {"type": "string"}},
                                        "required": ["customer_id"],
                                    },
                                ]
                            }
                        }
                    },
                }
                schema["paths"]["/score"]["post"]["requestBody"] = body
            schemas[key] = schema
        return schemas[key]

    app.openapi = openapi
    return app
