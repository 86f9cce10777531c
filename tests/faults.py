"""Faults a test can switch on, added to the test's app (production code carries no test hooks)."""
from __future__ import annotations

from flask import Flask, jsonify, request


def fail_next_syncs(app: Flask) -> None:
    """While TESTING, answer 503 to the next SCANNER_FAIL_NEXT_SYNCS scan syncs, to see the phone retry."""
    @app.before_request
    def refuse_a_sync():
        if not app.testing or request.method != "POST" or request.path != "/scan/sync":
            return None
        left = int(app.config.get("SCANNER_FAIL_NEXT_SYNCS", 0) or 0)
        if left <= 0:
            return None
        app.config["SCANNER_FAIL_NEXT_SYNCS"] = left - 1
        response = jsonify(error="unavailable", message="The server is busy. The scans stay on the phone.")
        response.status_code = 503
        response.headers["Cache-Control"] = "no-store"
        return response
