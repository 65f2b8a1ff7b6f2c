"""HEAD wherever GET is served (RFC 9110 §9.3.2): the request runs as a GET, its body is not sent.

FastAPI's routes, unlike Starlette's, serve no HEAD for a GET: without this a HEAD is a 405. The answer is
the GET's status and headers, Content-Length and ETag included, with an empty body; a path without a GET
still answers its 405 problem (without a body, as every answer to a HEAD).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The messages that carry a response's body: its bytes, or a file handed to the server (ASGI extensions).
_BODY_MESSAGES = frozenset({"http.response.body", "http.response.pathsend", "http.response.zerocopysend"})


class HeadAsGetMiddleware:
    """Runs a HEAD as a GET and drops the body's bytes, keeping the GET's status and headers.

    The app gets a copy of the scope saying GET; the server's own scope keeps saying HEAD (uvicorn reads it
    as the answer is sent, to expect no body). What the app added to the scope (the router's matched route)
    is copied back, so that the middlewares outside, added after this one, record a HEAD under its route
    template in the access log and the metrics. The GET runs whole: fit for answers built in memory, not for
    long streams.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] not in _BODY_MESSAGES:
                await send(message)  # the status and headers, as the GET has them
            elif not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b""})

        as_get = {**scope, "method": "GET"}
        try:
            await self.app(as_get, receive, headers_only)
        finally:
            for name, value in as_get.items():
                scope.setdefault(name, value)
