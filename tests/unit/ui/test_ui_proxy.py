"""The proxy in front of Dagster refuses what a foreign web page could send and forwards everything else.

The upstream is a tiny real aiohttp server standing in for Dagster's webserver: an HTML page, a GraphQL
endpoint that echoes, a streamed response, and a WebSocket that speaks Dagster's subprotocol."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from ui_servers import serving

from pipelines.lib.ui.guard import HostGuard
from pipelines.lib.ui.proxy import proxy_app
from pipelines.lib.ui.serve import free_local_port

SUBPROTOCOL = "graphql-transport-ws"


def upstream_app() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html>dagster</html>", content_type="text/html")

    async def graphql(request: web.Request) -> web.Response:
        body = await request.read() if request.body_exists else b""
        return web.json_response(
            {"method": request.method, "raw_path": request.raw_path, "body": body.decode()}
        )

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for i in range(3):
            await response.write(f"line {i}\n".encode())
            await asyncio.sleep(0.05)
        await response.write_eof()
        return response

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=(SUBPROTOCOL,))
        await ws.prepare(request)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(f"echo {message.data}")
        return ws

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_route("*", "/graphql", graphql)
    app.router.add_get("/stream", stream)
    app.router.add_get("/ws", socket)
    return app


@pytest.fixture
def proxy():
    with serving(upstream_app()) as upstream:
        port = free_local_port()
        app = proxy_app(
            f"http://127.0.0.1:{upstream.port}",
            HostGuard.for_server(host="127.0.0.1", port=port, extra_hosts=["radar.example.internal"]),
        )
        with serving(app, port=port) as served:
            yield served


def test_the_right_host_gets_the_page_and_graphql_answers(proxy) -> None:
    for host in (f"127.0.0.1:{proxy.port}", f"localhost:{proxy.port}", "radar.example.internal"):
        status, body, _ = proxy.get("/", headers={"Host": host})
        assert (status, body) == (200, b"<html>dagster</html>"), host
    status, body, headers = proxy.get(
        "/graphql?query=%7Bversion%7D",
        method="POST",
        body=b'{"query": "{version}"}',
        headers={"Origin": f"http://127.0.0.1:{proxy.port}", "Content-Type": "application/json"},
    )
    assert status == 200
    assert b'"method": "POST"' in body and b"/graphql?query=%7Bversion%7D" in body and b"{version}" in body
    assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:3000", "127.0.0.1.evil.example", "", "user@127.0.0.1"]
)
def test_a_foreign_host_header_is_refused(proxy, host: str) -> None:
    status, body, _ = proxy.get("/graphql?query=mutation%20%7Bwipe%7D", headers={"Host": host})
    assert status == 403
    assert b"Host header" in body and b"method" not in body


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://127.0.0.1:3001",  # the report server: another origin, whose pages run scripts
        "http://localhost:5000",
        "null",
    ],
)
def test_a_foreign_origin_is_refused(proxy, origin: str) -> None:
    status, body, _ = proxy.get("/graphql", method="POST", body=b"{}", headers={"Origin": origin})
    assert status == 403
    assert b"Origin" in body


def test_a_cross_site_subresource_get_of_a_mutation_is_refused(proxy) -> None:
    # What <img src="http://127.0.0.1:3000/graphql?query=mutation..."> sends: no Origin, but Fetch-Metadata.
    img = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    assert proxy.get("/graphql?query=mutation%20%7Bwipe%7D", headers=img)[0] == 403
    link = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert proxy.get("/graphql?query=mutation%20%7Bwipe%7D", headers=link)[0] == 403
    framed = {**link, "Sec-Fetch-Dest": "iframe"}
    assert proxy.get("/", headers=framed)[0] == 403
    # A link from elsewhere (MLflow, a chat message) still opens the UI.
    assert proxy.get("/", headers=link)[0] == 200
    assert proxy.get("/", headers={**link, "Sec-Fetch-Site": "same-site"})[0] == 200


def test_streamed_responses_arrive_whole(proxy) -> None:
    status, body, _ = proxy.get("/stream")
    assert (status, body) == (200, b"line 0\nline 1\nline 2\n")


def test_websockets_pass_with_their_subprotocol_and_a_foreign_origin_is_refused(proxy) -> None:
    async def talk(origin: str) -> tuple[str | None, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(
                f"http://127.0.0.1:{proxy.port}/ws", protocols=(SUBPROTOCOL,), headers={"Origin": origin}
            ) as ws,
        ):
            await ws.send_str("subscribe")
            return ws.protocol, (await ws.receive(timeout=5)).data

    assert asyncio.run(talk(f"http://127.0.0.1:{proxy.port}")) == (SUBPROTOCOL, "echo subscribe")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        asyncio.run(talk("https://evil.example"))
    assert refused.value.status == 403


def test_an_upstream_not_up_yet_is_a_502_with_one_line() -> None:
    port, dead = free_local_port(), free_local_port()
    app = proxy_app(f"http://127.0.0.1:{dead}", HostGuard.for_server(host="127.0.0.1", port=port))
    with serving(app, port=port) as served:
        status, body, _ = served.get("/")
    assert status == 502
    assert b"Dagster is not answering yet" in body


def test_a_wildcard_bind_answers_only_the_names_the_user_allows() -> None:
    guard = HostGuard.for_server(host="0.0.0.0", port=3000, extra_hosts=["radar.lan", "10.0.0.5:3000"])
    allowed = ("radar.lan", "radar.lan:3000", "10.0.0.5:3000", "127.0.0.1:3000")
    assert [guard.refusal("GET", "/", {"Host": h}) for h in allowed] == [None] * 4
    assert guard.refusal("GET", "/", {"Host": "10.0.0.5:4000"}) is not None
    assert guard.refusal("GET", "/", {"Host": "0.0.0.0:3000"}) is not None
    assert guard.refusal("POST", "/graphql", {"Host": "radar.lan", "Origin": "https://radar.lan"}) is None
    assert guard.refusal("POST", "/graphql", {"Host": "radar.lan", "Origin": "http://10.0.0.5:3001"})
    with pytest.raises(ValueError, match="not a host name"):
        HostGuard.for_server(host="127.0.0.1", port=3000, extra_hosts=["http://radar.lan/"])
