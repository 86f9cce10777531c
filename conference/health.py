"""What /healthz checks: the database, and each Redis the app is configured to use."""
from __future__ import annotations

from functools import lru_cache

import redis
from flask import current_app
from sqlalchemy import text

from conference.extensions import db

REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+unix://")
TIMEOUT_SECONDS = 1.0  # a load balancer's check must answer before the balancer gives up


def redis_urls(config) -> list[str]:
    """The Redis servers of the rate limits and the task queue (each once)."""
    urls = [config.get("RATELIMIT_STORAGE_URI") or "", config.get("TASK_QUEUE_URL") or ""]
    return list(dict.fromkeys(u for u in urls if u.startswith(REDIS_SCHEMES)))


@lru_cache(maxsize=8)
def _client(url: str) -> redis.Redis:
    """One client (and its connection pool) per URL for the process, so a check reuses its connection."""
    return redis.Redis.from_url(url.replace("redis+unix://", "unix://", 1),
                                socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)


def problems() -> list[str]:
    """What does not answer ("database", "redis"); empty when all is well."""
    found = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (whatever the driver raises, the answer is "not healthy")
        db.session.rollback()
        found.append("database")
    for url in redis_urls(current_app.config):
        try:
            _client(url).ping()
        except redis.RedisError:
            found.append("redis")
    return found
