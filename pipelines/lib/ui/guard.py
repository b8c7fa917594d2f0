"""Which requests `radar ui`'s servers answer: the Host, Origin and Fetch-Metadata checks in front of them.

Dagster's webserver answers any Host header and runs GraphQL mutations (launch, wipe, terminate) over plain GET,
so without a check any web page the operator opens could drive it, even bound to 127.0.0.1:

- a foreign **Host** is DNS rebinding (``evil.example`` resolving to 127.0.0.1), which lets that page read
  the answers as well;
- a foreign **Origin** is another site's ``fetch``/form/WebSocket, which the browser labels so;
- a cross-site **subresource** (``<img src=".../graphql?query=mutation…">``) carries neither, but modern browsers
  send ``Sec-Fetch-Site`` with it: only top-level navigations (a link, a bookmark) may come from elsewhere, and
  not to ``/graphql``.

Clients that send no Origin and no Fetch-Metadata (curl, scripts on the machine) pass: they are not driven by a
web page. MLflow's server makes its own Host check since 3.5 (and refuses foreign hosts with 403).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Requests a page of another site (or of another port of this machine, which browsers call same-site) may make.
_FOREIGN_SITES = ("cross-site", "same-site")


def _split_host(value: str) -> tuple[str, int | None] | None:
    """``host[:port]`` (IPv6 in brackets) as (lower-case name, port); None if it does not parse."""
    try:
        parts = urlsplit(f"//{value.strip()}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname.lower(), port


@dataclass(frozen=True)
class HostGuard:
    """The names one server answers to: ``own`` (its bound host and the loopback names, on its own port only)
    and ``extra`` (``name`` on any port, ``name:port`` on that one, e.g. a reverse proxy's public name)."""

    port: int
    own: frozenset[str]
    extra: frozenset[tuple[str, int | None]]

    @classmethod
    def for_server(cls, *, host: str, port: int, extra_hosts: Iterable[str] = ()) -> HostGuard:
        extra = set()
        for entry in extra_hosts:
            parsed = _split_host(entry)
            if parsed is None:
                raise ValueError(f"allowed host {entry!r} is not a host name or host:port")
            extra.add(parsed)
        names = {*LOOPBACK_NAMES}
        if host not in ("0.0.0.0", "::", ""):
            names.add(host.strip("[]").lower())
        return cls(port=port, own=frozenset(names), extra=frozenset(extra))

    def _allowed(self, name: str, port: int | None, *, exact_port: bool) -> bool:
        if name in self.own and (port == self.port or (port is None and not exact_port)):
            return True
        return (name, None) in self.extra or (name, port) in self.extra

    def refusal(self, method: str, path: str, headers: Mapping[str, str]) -> str | None:
        """Why this request is refused (one line for the 403 body and the log), or None to let it through."""
        host = headers.get("Host")
        parsed = _split_host(host) if host else None
        if parsed is None or not self._allowed(*parsed, exact_port=False):
            return f"Host header {host!r} is not one this server answers to (see ui.allowed_hosts)"
        origin = headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin)
            try:
                port = parts.port or DEFAULT_PORTS.get(parts.scheme)
            except ValueError:
                port = None
            if (
                parts.scheme not in DEFAULT_PORTS
                or not parts.hostname
                or not self._allowed(parts.hostname.lower(), port, exact_port=True)
            ):
                return f"Origin {origin!r} is another site"
        site = headers.get("Sec-Fetch-Site")
        if site in _FOREIGN_SITES:
            navigation = (
                headers.get("Sec-Fetch-Mode") == "navigate"
                and headers.get("Sec-Fetch-Dest", "document") == "document"
                and method in ("GET", "HEAD")
            )
            if not navigation or path.rstrip("/").endswith("/graphql"):
                return f"a {site} request to {path} (only links from other sites may open pages here)"
        return None
