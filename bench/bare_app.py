"""The yardstick: a bare Flask route, served by the same gunicorn settings as the app.

`gunicorn bench.bare_app:app` answers GET /bare with a small HTML page and touches nothing else
(no database, no templates, no session), so ours/bare shows what our own work costs per request.
"""
from flask import Flask

app = Flask(__name__)

PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bare</title></head>"
        "<body><p>Hello from a bare Flask route.</p></body></html>")


@app.get("/bare")
def bare():
    return PAGE
