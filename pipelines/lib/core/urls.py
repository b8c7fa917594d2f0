"""URLs: which ones a webhook may use, how to show one without its secrets, and every link the pipeline writes.

A webhook URL often carries its credential (``https://user:token@host/…`` or ``…?token=…``). Everything that
shows a URL (terminal, run log, Dagster's event log, error messages) shows ``redact_url(url)`` instead.

Links (:class:`Links`) are built here only: a report or the Data Docs as a page of `radar ui`'s report server,
an MLflow run as its page in the MLflow UI. A browser refuses ``file://`` links from an http page such as
Dagster's, so they are the fallback only when no report server is configured (``ui.reports_url: ""``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from pipelines.lib.core import environment

HIDDEN = "***"
WEBHOOK_SCHEMES = ("http", "https")


def redact_url(url: str) -> str:
    """``url`` with its user info and every query value replaced by ``***`` and its fragment dropped; the
    scheme, host, port and path stay, so a person can still tell which endpoint is meant."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return HIDDEN
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{HIDDEN}@" if parts.username or parts.password else "") + host + (f":{port}" if port else "")
    query = urlencode([(key, HIDDEN) for key, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook (not http or https, no host), or None. ``file://`` and ``ftp://`` would be
    opened by urllib as well, which is exactly what a webhook must not do."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what validates it
    except ValueError:
        return f"is not a valid URL ({redact_url(url)})"
    if parts.scheme.lower() not in WEBHOOK_SCHEMES or not parts.hostname:
        return f"must be an http:// or https:// URL with a host, not {redact_url(url)!r}"
    return None


def split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its user info, and the HTTP Basic ``Authorization`` header it stood for (urllib would
    otherwise take ``user:token@host`` for the host name)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, {}
    netloc = parts.netloc.rsplit("@", 1)[1]
    pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    header = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), header


# The report server's roots, as URL prefixes; `pipelines/lib/ui/reports.py` serves them under the same names.
REPORTS_PREFIX = "/reports/"
DATA_DOCS_PREFIX = "/data-docs/"
REPORTS_URL_ENV = environment.REPORTS_URL
MLFLOW_URL_ENV = environment.MLFLOW_URL


def _override(name: str, configured: str | None) -> str | None:
    """The environment's base URL when set (an empty one too: no server), else the configured one."""
    value = environment.url_override(name)
    return configured if value is None else value
# MLflow 3 opens an experiment, and a run, in its GenAI view unless the URL asks for this one.
ML_WORKFLOW = "workflowType=machine_learning"
_ANY_ADDRESS = ("0.0.0.0", "::", "")


def local_base(host: str, port: int) -> str:
    """``http://host:port``, with a wildcard bind address replaced by 127.0.0.1 (a browser cannot open 0.0.0.0)."""
    host = "127.0.0.1" if host in _ANY_ADDRESS else host
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _base(url: str | None) -> str | None:
    return url.rstrip("/") or None if url else None


@dataclass(frozen=True)
class Links:
    """Where links point: the report server's and the MLflow UI's base URLs (None: no such server)."""

    reports_root: Path
    data_docs_root: Path
    reports_url: str | None
    mlflow_url: str | None

    @classmethod
    def resolve(
        cls,
        *,
        reports_root: Path,
        data_docs_root: Path,
        reports_url: str | None,
        mlflow_url: str | None,
    ) -> Links:
        """The configured bases, with RADAR_REPORTS_URL / RADAR_MLFLOW_URL winning (an empty value: no server).
        `radar ui` sets both for the Dagster it starts, so runs launched there link to the ports it serves on."""
        return cls(
            reports_root=reports_root,
            data_docs_root=data_docs_root,
            reports_url=_base(_override(REPORTS_URL_ENV, reports_url)),
            mlflow_url=_base(_override(MLFLOW_URL_ENV, mlflow_url)),
        )

    def report(self, path: Path) -> str:
        """The page of ``path`` (a report, or a page of the Data Docs) on the report server; ``file://`` when no
        server is configured or the file lies outside both roots."""
        path = path.resolve()
        if self.reports_url:
            for root, prefix in (
                (self.data_docs_root, DATA_DOCS_PREFIX),
                (self.reports_root, REPORTS_PREFIX),
            ):
                if path.is_relative_to(root.resolve()):
                    return self.reports_url + prefix + quote(path.relative_to(root.resolve()).as_posix())
        return path.as_uri()

    def mlflow_runs(self, experiment_id: str) -> str | None:
        """The experiment's runs table. MLflow 3 opens an experiment in its GenAI view (traces) unless the URL
        asks for the machine-learning one; its URL can set filters and sort order, not the metric columns."""
        if not self.mlflow_url:
            return None
        return f"{self.mlflow_url}/#/experiments/{quote(experiment_id)}/runs?{ML_WORKFLOW}"

    def mlflow_run(self, experiment_id: str, run_id: str) -> str | None:
        """One run's page in the MLflow UI (in its machine-learning view, as above)."""
        if not self.mlflow_url:
            return None
        return f"{self.mlflow_url}/#/experiments/{quote(experiment_id)}/runs/{quote(run_id)}?{ML_WORKFLOW}"
