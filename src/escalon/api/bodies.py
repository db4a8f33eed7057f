"""Request bodies within bounds: 413 past the size limit, 422 for JSON nested past the depth limit.

The size is checked against `Content-Length` before anything is read, and counted chunk by chunk
when the body comes without one (chunked transfer), so no more than the limit is ever held. The
JSON depth is checked before any parser (FastAPI's, Pydantic's) descends into the body: every
legitimate body nests a few levels, and a few thousand levels exhaust the interpreter's stack.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from escalon.core.documents import json_too_deep

# Rosters, the deepest legitimate bodies, nest six levels (teams, rotation, layers, restrict...).
MAX_JSON_DEPTH = 32


class BodyLimits:
    """ASGI middleware bounding every HTTP request's body in size and, for JSON, in depth."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: the app will hear it on its next receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # FastAPI reads a body without a content type as JSON too.
        if (not media or _is_json(media)) and json_too_deep(body, self.max_depth):
            await _answer(
                send,
                422,
                "invalid",
                f"the JSON body nests deeper than {self.max_depth} levels (depth limit)",
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await _answer(
            send,
            413,
            "too_large",
            f"the request body is larger than {self.max_bytes:,} bytes "
            "(size limit, ESCALON_MAX_BODY_BYTES)",
        )


def _is_json(media: bytes) -> bool:
    return media == b"application/json" or media.endswith(b"+json")


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message, "details": []}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
