"""Static files under content-hashed URLs: `/static/app.css?v=<hash of its bytes>`.

A hashed URL is cached for a year, so a server answers it only with the very bytes it names: a
server of another release (during a rolling deploy) answers 404, which the load balancer takes
to the next server (deploy/nginx-cluster.conf), instead of caching its own bytes under the other
release's name. The hashes are computed once per process, when the app is made; the release's
version (the service worker's cache name) is the hash of them all.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, has_request_context, request

YEAR = int(timedelta(days=365).total_seconds())
DIGEST_LENGTH = 10


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]


def build_manifest(static: Path) -> dict[str, str]:
    """Each static file's path (as in its URL) and the hash of its bytes."""
    return {path.relative_to(static).as_posix(): _digest(path)
            for path in sorted(static.rglob("*")) if path.is_file()}


def release_version(app: Flask) -> str:
    """One hash of every static file: it changes with each release that changes what phones cache."""
    manifest = app.extensions["assets"]
    return hashlib.sha256("".join(f"{name}\0{digest}\n" for name, digest in manifest.items()).encode()
                          ).hexdigest()[:12]


def digest_of(app: Flask, filename: str) -> str | None:
    """The hash of a static file, or None when this release has no such file."""
    if app.debug:  # files change under a development server
        path = Path(app.static_folder) / filename
        return _digest(path) if filename in app.extensions["assets"] and path.is_file() else None
    return app.extensions["assets"].get(filename)


def init_app(app: Flask) -> None:
    """The `asset()` template global and a static view that refuses other releases' hashes."""
    app.extensions["assets"] = build_manifest(Path(app.static_folder))
    urls: dict[tuple[str, str], str] = {}
    build = app.url_for

    def asset(filename: str) -> str:
        """`asset('app.css')`: the static URL carrying the file's hash."""
        key = (request.script_root if has_request_context() else "", filename)  # once per mount point and file
        if key not in urls or app.debug:
            digest = digest_of(app, filename)
            if digest is None:
                raise FileNotFoundError(f"static/{filename} is not part of this release")
            urls[key] = build("static", filename=filename, v=digest)
        return urls[key]

    app.jinja_env.globals["asset"] = asset

    def static(filename: str):
        """A static file: for a year under its own hash, revalidated without one, 404 under another's."""
        wanted = request.args.get("v")
        if wanted is None:
            response = current_app.send_static_file(filename)
            response.cache_control.max_age = 0
            response.cache_control.no_cache = True
            return response
        if wanted != digest_of(current_app, filename):
            return current_app.response_class("Not in this release.", 404, mimetype="text/plain",
                                              headers={"Cache-Control": "no-store"})
        response = current_app.send_static_file(filename)
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
        return response

    app.view_functions["static"] = static
