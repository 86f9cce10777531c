"""Background work: Huey tasks, run by a worker process (`flask worker`) inside a Flask app context.

The web process only enqueues; a worker does the work, so a restart of the web servers loses no job.
The queue lives where every server reaches it: Huey's SQLite storage in the instance folder by default
(one box, nothing else to run), Redis when TASK_QUEUE_URL says redis://. Under TESTING (or with
TASKS_IMMEDIATE) a task runs at once in the process that enqueues it.

Enqueue after the transaction that a task reads has been committed: a worker may start at once.
"""
from __future__ import annotations

import functools
import logging
import sqlite3
from pathlib import Path

import click
import redis
from flask import Flask, has_app_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage

from conference.extensions import db

# What enqueueing raises when the queue's storage does not answer.
QUEUE_ERRORS = (redis.RedisError, sqlite3.Error)

huey = Huey("pln", immediate=True)  # until init_app points it at the app's storage

_app: Flask | None = None  # the app whose context a worker's tasks run in


def storage_for(url: str, instance_path: str) -> tuple[type, dict]:
    """Huey's storage class and its arguments for TASK_QUEUE_URL ("" means the instance folder's SQLite file)."""
    if not url:
        return SqliteStorage, {"filename": str(Path(instance_path) / "tasks.sqlite3")}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url[len("sqlite:///"):]}
    raise ValueError(f"TASK_QUEUE_URL must start with redis://, rediss://, unix:// or sqlite:///, not {url!r}.")


def init_app(app: Flask) -> None:
    """Point the queue at the app's storage, and register `flask worker`."""
    global _app
    _app = app
    huey.storage_class, huey.storage_kwargs = storage_for(app.config.get("TASK_QUEUE_URL", ""), app.instance_path)
    immediate = app.config.get("TASKS_IMMEDIATE")
    huey.immediate = app.testing if immediate is None else bool(immediate)
    huey.storage = huey.create_storage()
    app.cli.add_command(worker)


def _in_app_context(func):
    @functools.wraps(func)
    def in_app_context(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with _app.app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()
    # Huey knows a queued task by "<module>.<name>": under this module's name, a task queued by one
    # release is still found by the next one's workers after its code moves to another module.
    in_app_context.__module__ = __name__
    return in_app_context


def task(**options):
    """A Huey task (retries=, retry_delay=, ...) whose function runs inside an app context, known to
    the queue as "conference.tasks.<function name>" (so each task's function has its own name).

    Run at once (immediate mode) it shares the caller's context and session; in a worker it gets a
    context and a session of its own, removed when it ends."""
    def decorate(func):
        return huey.task(**options)(_in_app_context(func))
    return decorate


def enqueue(queued_task, *args) -> None:
    """Have the worker run `queued_task(*args)`; with the queue unreachable (its Redis down), run it now."""
    try:
        queued_task(*args)
    except QUEUE_ERRORS:
        logging.getLogger(__name__).warning("The task queue is unreachable: running %s now", queued_task.name)
        queued_task.call_local(*args)


def periodic_task(schedule, **options):
    """A Huey periodic task (schedule: huey.crontab(...)), in an app context like `task`.

    Every worker's scheduler enqueues it: a task that must run once across all servers claims its
    period with `once`."""
    def decorate(func):
        return huey.periodic_task(schedule, **options)(_in_app_context(func))
    return decorate


def once(key: str, ttl_seconds: int) -> bool:
    """True for the first caller of `key` in the queue's storage (shared by every worker), False after.

    Redis 7.4 and later forget the key after `ttl_seconds`; other storages keep it (one small row or
    hash field a key), so a key names its period (a day, a minute) rather than relying on expiry."""
    key = f"once.{key}"
    try:
        return huey.put_if_empty(key, "1", ttl_seconds)
    except NotImplementedError:
        # Storages that can't expire a key raise this for a TTL: Huey's SqliteStorage, and its
        # RedisStorage on a Redis older than 7.4 (it keeps results in one hash, and HEXPIRE came in 7.4).
        return huey.put_if_empty(key, "1")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Tasks run at the same time.")
@click.option("--worker-type", type=click.Choice(["thread", "process", "greenlet"]), default="thread",
              show_default=True)
def worker(workers: int, worker_type: str) -> None:
    """Run the background worker: badge PDFs, mail, digests, the daily retention run."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    huey.create_consumer(workers=workers, worker_type=worker_type, periodic=True).run()
