"""Rate-limit budgets kept in Redis, so that every worker and replica draws from one budget per key
(service.http.limits.RateLimit uses them when LEERPAD_REDIS_URL is set).

The counting is the `limits` package's moving window on its Redis storage: each take runs one Lua
script, atomic across processes. A key may make `burst` requests in any window of
60 x burst / per_minute seconds (120 in 12 s by default): bursts of `burst`, `per_minute` a minute
on average, as the per-process token bucket allows.

Redis down or too slow (over `TIMEOUT_SECONDS`) fails over to the process's own token bucket: the
limit then counts per process again, as without Redis, until Redis answers. Failing open instead
would drop flood protection with it; failing closed would turn an outage of a cache into one of
the whole API, for a limit that is a guard and no part of what a caller is entitled to. The switch
is logged once each way; Redis is asked again `RETRY_SECONDS` after it failed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger("leerpad")

TIMEOUT_SECONDS = 0.25  # a request waits at most this long for Redis before counting locally
RETRY_SECONDS = 5.0  # after a failure, count locally this long before asking Redis again


class LocalBuckets(Protocol):
    """What a process counts with on its own (service.http.limits.TokenBuckets)."""

    def take(self, identity: str) -> float: ...

    def peek(self, identity: str) -> float: ...


def window_seconds(per_minute: int, burst: int) -> int:
    """The window in which `burst` requests may be made, so that the average is `per_minute`."""
    return max(1, math.ceil(60 * burst / per_minute))


def storage_url(redis_url: str) -> str:
    """`limits` names its asyncio Redis storage async+redis:// (or async+rediss://)."""
    return redis_url if redis_url.startswith("async+") else f"async+{redis_url}"


class SharedBudgets:
    """One budget per identity in Redis, under `prefix`; `fallback` counts while Redis is away.
    Both methods answer 0.0 when there is a request left, else the seconds until there will be."""

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        per_minute: int,
        burst: int,
        fallback: LocalBuckets,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self.item = RateLimitItemPerSecond(burst, window_seconds(per_minute, burst))
        self.fallback = fallback
        self.clock = clock
        self.down_until: float | None = None  # set while Redis is taken for away
        self._limiter: MovingWindowRateLimiter | None = None

    def limiter(self) -> MovingWindowRateLimiter:
        """Made on first use, inside the server's event loop, which the client's connections belong to."""
        if self._limiter is None:
            storage = RedisStorage(
                storage_url(self.redis_url),
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=self.prefix,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),  # type: ignore[arg-type]  # passed on to redis.asyncio.Redis
            )
            self._limiter = MovingWindowRateLimiter(storage)
        return self._limiter

    async def take(self, identity: str) -> float:
        return await self._draw(identity, take=True)

    async def peek(self, identity: str) -> float:
        return await self._draw(identity, take=False)

    async def _draw(self, identity: str, take: bool) -> float:
        local = self.fallback.take if take else self.fallback.peek
        if self._away():
            return local(identity)
        limiter = self.limiter()
        try:
            left = await (limiter.hit if take else limiter.test)(self.item, identity)
            return self._back(0.0 if left else await self._wait(identity))
        except StorageError as exc:
            self._failed(exc)
            return local(identity)

    async def _wait(self, identity: str) -> float:
        stats = await self.limiter().get_window_stats(self.item, identity)
        return max(stats.reset_time - time.time(), 0.001)

    def _away(self) -> bool:
        return self.down_until is not None and self.clock() < self.down_until

    def _back(self, wait: float = 0.0) -> float:
        if self.down_until is not None:
            self.down_until = None
            log.warning("rate limit: Redis answers again; one budget per key across processes")
        return wait

    def _failed(self, exc: StorageError) -> None:
        if self.down_until is None:
            log.warning(
                "rate limit: Redis (LEERPAD_REDIS_URL) failed (%s: %s); counting per process until it answers",
                type(exc.storage_error).__name__,
                exc.storage_error,
            )
        self.down_until = self.clock() + RETRY_SECONDS
