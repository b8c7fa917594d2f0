"""Alerts: the customers who just entered the alert tier, sent to the configured sinks once per episode."""

import dagster as dg

from pipelines.defs.metadata import shown
from pipelines.defs.resources import RadarResource
from pipelines.lib.core.urls import redact_url
from pipelines.lib.core.warehouse import connect
from pipelines.lib.score import alerts, holdout


@dg.asset(group_name="score", deps=[dg.AssetKey(["customer_scores"])], kinds={"duckdb"}, pool="warehouse")
def risk_alerts(context: dg.AssetExecutionContext, radar: RadarResource) -> dg.MaterializeResult:
    """New high-risk episodes from the newest scores, appended to the alert file (JSON lines) and POSTed to the
    webhook when one is configured. Held-out customers (`playbook.holdout_share`) are never alerted. A customer who stays at risk is not alerted again; one who recovers and
    falls back is. If a sink fails, the episode is not opened and the asset fails, so the next run retries; the
    sinks that did accept keep a record per alert and are not sent the same alert again."""
    settings = radar.config.alerts
    target = settings.file or radar.paths.alerts_file
    with connect(radar.paths.warehouse) as con:
        holdout.ensure_table(con)
        scores = con.execute(
            f"""select s.* exclude (scored_at), coalesce(h.holdout, false) as holdout
                from scores.customer_scores as s
                left join scores.{holdout.TABLE} as h using (customer_id, as_of)
                where s.as_of = (select max(as_of) from scores.customer_scores)"""
        ).df()
        new = alerts.alerts_to_send(con, scores, min_tier=settings.min_tier)
        sinks: dict[str, alerts.Sender] = {"file": lambda batch: alerts.send_to_file(batch, target)}
        if settings.webhook_url:
            url = settings.webhook_url
            sinks["webhook"] = lambda batch: alerts.send_to_webhook(batch, url)
        if len(new):
            try:
                alerts.deliver(con, new, sinks)
            except alerts.AlertSinkError as exc:
                raise dg.Failure(description=str(exc)) from exc
        alerts.update_episodes(con, scores, new, min_tier=settings.min_tier)
        open_episodes = con.execute(
            "select count(*) from ops.alert_episodes where closed_as_of is null"
        ).fetchone()[0]
    context.log.info(f"{len(new)} new alert(s); {open_episodes} customer(s) in an open alert episode")
    return dg.MaterializeResult(
        metadata=shown(
            {
                "new_alerts": dg.MetadataValue.int(len(new)),
                "open_episodes": dg.MetadataValue.int(int(open_episodes)),
                "min_tier": settings.min_tier,
                "file": dg.MetadataValue.path(str(target)),
                "webhook": redact_url(settings.webhook_url) if settings.webhook_url else "(none)",
            }
        )
    )
