"""The reverse proxy in front of Dagster's webserver: the only way in, so every request passes `HostGuard`.

Dagster then binds to a 127.0.0.1 port only this proxy uses. Everything the guard lets through is forwarded as
it came: methods, bodies, streamed responses (no buffering, no re-compression), and WebSockets (Dagster's UI
runs its GraphQL subscriptions over one, with subprotocol ``graphql-ws`` or ``graphql-transport-ws``).
aiohttp (already in the lock through MLflow) is both the server and the client here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from pipelines.lib.ui.guard import HostGuard

log = logging.getLogger("radar.ui")

# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Keep-Alive",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
    )
)
# What the WebSocket handshake negotiates per connection; aiohttp's client makes its own.
WS_HANDSHAKE = frozenset(
    h.lower()
    for h in (
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions",
        "Sec-WebSocket-Protocol",
    )
)
# No other site may frame the UI (a click-jacked "Materialize" is a mutation too).
SESSION = web.AppKey("session", aiohttp.ClientSession)
FRAME_POLICY = {"Content-Security-Policy": "frame-ancestors 'self'", "X-Frame-Options": "SAMEORIGIN"}


def guarded(guard: HostGuard) -> Middleware:
    """A middleware answering 403 with the one-line reason to whatever the guard refuses."""

    @web.middleware
    async def check(request: web.Request, handler) -> web.StreamResponse:
        reason = guard.refusal(request.method, request.path, request.headers)
        if reason:
            log.warning("refused %s %s: %s", request.method, request.path, reason)
            return web.Response(status=403, text=f"403 Forbidden: {reason}\n")
        return await handler(request)

    return check


def _forwarded_headers(request: web.Request, *, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP | skip}
    headers["X-Forwarded-For"] = request.remote or ""
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.host
    return headers


def proxy_app(upstream: str, guard: HostGuard) -> web.Application:
    """An app that forwards every request it accepts to ``upstream`` (``http://127.0.0.1:<port>``)."""
    upstream = upstream.rstrip("/")
    app = web.Application(middlewares=[guarded(guard)])

    async def session_context(app: web.Application):
        # No cookie jar of its own (each browser keeps its cookies), no decompression (bytes pass as sent),
        # no total timeout (log streams and subscriptions stay open for as long as the page does).
        app[SESSION] = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        )
        yield
        await app[SESSION].close()

    app.cleanup_ctx.append(session_context)

    async def forward(request: web.Request) -> web.StreamResponse:
        # The path and query exactly as the browser sent them (no decoding and re-encoding on the way).
        target = upstream + request.raw_path
        session: aiohttp.ClientSession = request.app[SESSION]
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await _forward_websocket(request, session, target)
        body = await request.read() if request.body_exists else None
        try:
            upstream_response = await session.request(
                request.method,
                target,
                headers=_forwarded_headers(request),
                data=body,
                allow_redirects=False,
            )
        except aiohttp.ClientError as exc:
            return web.Response(
                status=502,
                text=f"502 Bad Gateway: Dagster is not answering yet ({exc}); reload in a moment\n",
            )
        async with upstream_response:
            response = web.StreamResponse(status=upstream_response.status, reason=upstream_response.reason)
            for key, value in upstream_response.headers.items():
                if key.lower() not in HOP_BY_HOP | {"content-length"}:
                    response.headers.add(key, value)
            for key, value in FRAME_POLICY.items():
                response.headers.setdefault(key, value)
            if upstream_response.content_length is not None:
                response.content_length = upstream_response.content_length
            await response.prepare(request)
            async for chunk in upstream_response.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    app.router.add_route("*", "/{tail:.*}", forward)
    return app


async def _forward_websocket(
    request: web.Request, session: aiohttp.ClientSession, target: str
) -> web.StreamResponse:
    """Open the upstream socket first (its chosen subprotocol is the one the browser gets), then pump frames
    both ways until either side closes."""
    protocols = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    try:
        upstream = await session.ws_connect(
            "ws" + target.removeprefix("http"),
            protocols=protocols,
            headers=_forwarded_headers(request, skip=WS_HANDSHAKE),
            autoping=False,
        )
    except aiohttp.ClientError as exc:
        return web.Response(status=502, text=f"502 Bad Gateway: {exc}\n")
    downstream = web.WebSocketResponse(
        protocols=[upstream.protocol] if upstream.protocol else (), autoping=False
    )
    await downstream.prepare(request)

    async def pump(source, sink) -> None:
        async for message in source:
            if message.type == aiohttp.WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == aiohttp.WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            elif message.type == aiohttp.WSMsgType.PING:
                await sink.ping(message.data)
            elif message.type == aiohttp.WSMsgType.PONG:
                await sink.pong(message.data)
            else:
                break

    tasks = [
        asyncio.ensure_future(pump(downstream, upstream)),
        asyncio.ensure_future(pump(upstream, downstream)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await upstream.close()
        with contextlib.suppress(Exception):
            await downstream.close()
    return downstream
