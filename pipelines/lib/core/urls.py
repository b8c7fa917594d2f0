"""URLs in configuration: which ones a webhook may use, and how to show one without its secrets.

A webhook URL often carries its credential (``https://user:token@host/…`` or ``…?token=…``). Everything that
shows a URL (terminal, run log, Dagster's event log, error messages) shows ``redact_url(url)`` instead.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

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
