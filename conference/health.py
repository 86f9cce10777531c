"""What /healthz checks: the database, and each Redis the app is configured to use."""
from __future__ import annotations

import redis
from flask import Flask, current_app
from sqlalchemy import text

from conference.extensions import db

REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+unix://")
TIMEOUT_SECONDS = 1.0  # a load balancer's check must answer before the balancer gives up


def redis_urls(config) -> list[str]:
    """The Redis servers of the rate limits and the task queue (each once)."""
    urls = [config.get("RATELIMIT_STORAGE_URI") or "", config.get("TASK_QUEUE_URL") or ""]
    return list(dict.fromkeys(u for u in urls if u.startswith(REDIS_SCHEMES)))


def _client(app: Flask, url: str) -> redis.Redis:
    clients = app.extensions.setdefault("health_redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url.replace("redis+unix://", "unix://", 1),
                                            socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
    return clients[url]


def problems() -> list[str]:
    """What does not answer ("database", "redis"); empty when all is well."""
    found = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001  (whatever the driver raises, the answer is "not healthy")
        db.session.rollback()
        found.append("database")
    app = current_app._get_current_object()
    for url in redis_urls(app.config):
        try:
            _client(app, url).ping()
        except redis.RedisError:
            found.append("redis")
    return found
