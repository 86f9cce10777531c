"""The task queue: at once under TESTING, and through a real worker process on SQLite and on Redis."""
from __future__ import annotations

import importlib
import os
import pkgutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey.api import TaskWrapper

import conference
from conference import create_app
from conference.extensions import db
from conference.mail import outbox_messages, send_mail
from conference.tasks import huey, storage_for
from tests.conftest import require_redis, test_config

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('TEST_REDIS_DB_TASKS', '14')}"



def test_tasks_run_at_once_under_testing(app, outbox):
    assert huey.immediate
    send_mail("ana@example.org", "Hello", "Body")
    assert [m["To"] for m in outbox()] == ["ana@example.org"]


def test_the_queue_url_chooses_the_storage(tmp_path):
    assert storage_for("", str(tmp_path))[1] == {"filename": str(tmp_path / "tasks.sqlite3")}
    assert storage_for("redis://127.0.0.1:6379/3", "")[1] == {"url": "redis://127.0.0.1:6379/3"}
    assert storage_for("sqlite:////srv/q.sqlite3", "")[1] == {"filename": "/srv/q.sqlite3"}
    with pytest.raises(ValueError, match="TASK_QUEUE_URL must start with"):
        storage_for("amqp://localhost", "")


def _wait_for_mail(outbox: Path, seconds: float = 30) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        messages = outbox_messages(outbox)
        if messages:
            return messages
        time.sleep(0.2)
    return []


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_process_sends_what_a_request_enqueued(tmp_path, backend):
    if backend == "redis":
        require_redis(REDIS_URL)
        import redis
        redis.Redis.from_url(REDIS_URL).flushdb()
        queue_url = REDIS_URL
    else:
        queue_url = f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
    outbox = tmp_path / "outbox"
    database = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    schema = create_app(test_config(tmp_path, SQLALCHEMY_DATABASE_URI=database))
    with schema.app_context():  # the worker's periodic tasks read the tables
        db.create_all()
        db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": database, "TASK_QUEUE_URL": queue_url,
           "MAIL_OUTBOX": str(outbox), "MAIL_SERVER": "", "SECRET_KEY": "test-secret"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "1"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    app = create_app(test_config(tmp_path, TASKS_IMMEDIATE=False, TASK_QUEUE_URL=queue_url,
                                 MAIL_OUTBOX=str(outbox)))
    try:
        with app.app_context():
            assert not huey.immediate
            send_mail("ana@example.org", "From the worker", "Sent by another process.")
        assert outbox_messages(outbox) == []  # the request only enqueued it
        messages = _wait_for_mail(outbox)
        assert [(m["To"], m["Subject"]) for m in messages] == [("ana@example.org", "From the worker")]
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            output = worker.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            worker.kill()
            output = worker.communicate()[0].decode(errors="replace")
        create_app(test_config(tmp_path))  # later tests run tasks at once again
    assert "Traceback" not in output, output


def test_a_queued_task_is_known_by_its_name_wherever_its_code_lives(app):
    """A message queued by one release names the task as the next release's workers know it: by
    "conference.tasks.<function name>", not by the module the function happens to be in."""
    wrappers = {}
    for module in pkgutil.walk_packages(conference.__path__, "conference."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, TaskWrapper):
                wrappers[value.task_class.__name__] = value
    assert {"send_claim_link", "send_meeting_mail"} <= set(wrappers)
    for name, wrapper in wrappers.items():
        message = huey.serialize_task(wrapper.s())
        assert type(huey.deserialize_task(message)).__module__ == "conference.tasks"
        assert type(huey.deserialize_task(message)).__name__ == name
