"""Rate limits: the public API routes and the login per network (a keyed hash of the client address), and every
request that carries an API token per token. A token bucket per key, held in this process's memory.

That suits one process: with several workers or machines each keeps its own buckets, so the effective limit is
multiplied by their number; a shared store (Redis, or PostgreSQL) would then replace ``Buckets`` behind the same
``take``. The client address is the one the ASGI server reports: behind a reverse proxy, run uvicorn with
``--proxy-headers`` so that it is the consumer's, not the proxy's.
"""

import hashlib
import json
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from web.i18n import negotiate, translate

PER_NETWORK_PREFIXES = ("/api/v1/public/", "/api/v1/auth/login")


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, refilled at ``burst`` per ``seconds``."""

    burst: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.burst / self.seconds


class Buckets:
    """Token buckets by key; the least recently used keys are forgotten past ``max_keys`` (memory stays bounded
    whatever keys a client invents)."""

    def __init__(self, limit: Limit, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self.clock = clock
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """0 if the request may go ahead (and it is counted), else the seconds until it may."""
        now = self.clock()
        tokens, last = self._state.pop(key, (float(self.limit.burst), now))
        tokens = min(float(self.limit.burst), tokens + (now - last) * self.limit.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.limit.rate
        self._state[key] = (tokens, now)
        if len(self._state) > self.max_keys:
            self._state.popitem(last=False)
        return wait


class RateLimiter:
    def __init__(self, per_network: Limit = Limit(300, 60), per_token: Limit = Limit(1200, 60)) -> None:
        self.networks = Buckets(per_network)
        self.tokens = Buckets(per_token)
        # The address is hashed with a key that lives only in this process: no address is kept, even in memory.
        self._key = secrets.token_bytes(16)

    def wait(self, scope: Scope) -> float:
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"")
        if authorization[:7].lower() == b"bearer ":
            return self.tokens.take(hashlib.sha256(authorization[7:].strip()).hexdigest())
        if path.startswith(PER_NETWORK_PREFIXES):
            client = scope.get("client") or ("", 0)
            return self.networks.take(hashlib.blake2b(client[0].encode(), key=self._key, digest_size=16).hexdigest())
        return 0.0


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = getattr(self.owner.state, "rate_limiter", None)
        wait = limiter.wait(scope) if scope["type"] == "http" and limiter is not None else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        await _too_many(scope, send, seconds)


async def _too_many(scope: Scope, send: Send, seconds: int) -> None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
    query = dict(p.split("=", 1) for p in scope.get("query_string", b"").decode("latin-1").split("&") if "=" in p)
    cookies = dict(c.strip().split("=", 1) for c in headers.get("cookie", "").split(";") if "=" in c)
    lang = negotiate(query.get("lang"), cookies.get("lang"), headers.get("accept-language"))
    message = translate(lang, "Too many requests: try again in {seconds} seconds", {"seconds": seconds})
    body = json.dumps({"error": "rate_limited", "message": message, "errors": []}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(seconds).encode()),
                (b"content-language", lang.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    app.state.rate_limiter = RateLimiter()
    app.add_middleware(RateLimitMiddleware, owner=app)
