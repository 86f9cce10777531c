"""gunicorn's settings; gunicorn reads this file from the directory it starts in (the Procfile's).

One worker process per CPU core: Python runs one thread at a time in a process, so more processes
than cores only makes the operating system take turns between them, and each phone's keep-alive
connection stays with its worker, so the phones on a worker that is waiting for a core wait too.
On a 2-core machine, 4 workers gave the card a p95 of 145 ms at 32 clients; 2 workers, 55–70 ms
(docs/benchmarks.md). Four threads per worker let the others run while one waits for PostgreSQL
(a save waits for its commit to reach the disk: with two threads the cores sat 40% idle).
WEB_CONCURRENCY (workers) and GUNICORN_THREADS override these, as a host may set them.
"""
import os

workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
worker_class = "gthread"
bind = f"0.0.0.0:{os.environ.get('PORT') or 8000}"
accesslog = "-"
# nginx keeps idle connections to the app open for its upstream keepalive_timeout (60 s by default)
# and sends the next request on one of them. gunicorn's own default closes an idle connection after
# 2 s: a request nginx sent just then fails, and nginx retries only what is safe to send twice, so
# a save answered 502 (seen in bench/keynote.py's cluster run). Outlast nginx instead; with gthread an
# idle kept-alive connection costs no thread.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 75)
# Sign-in tokens travel in a path (/signin/<token>): the access log writes them as [redacted].
logger_class = "conference.gunicorn_logging.RedactingLogger"
