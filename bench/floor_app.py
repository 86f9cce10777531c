"""The floor: the least a signed-in, database-backed card page can cost on this stack.

`gunicorn bench.floor_app:app` answers GET /floor/<code> the way the smallest possible card would:
it reads the signed session cookie (the app's SECRET_KEY), looks the code up in PostgreSQL with
one statement through SQLAlchemy (the app's DATABASE_URL), and renders a six-line Jinja template.
No rate limits, no CSRF token, no security headers, no gzip, no matches, no layout. Its requests/s
against the bare route's is the highest ours/bare any page that reads a database can reach here.
"""
import os

from flask import Flask, abort, session
from sqlalchemy import create_engine, text

from conference.config import normalise_database_url

app = Flask(__name__)
app.secret_key = os.environ["SECRET_KEY"]
engine = create_engine(normalise_database_url(os.environ["DATABASE_URL"]), pool_size=4)
LOOKUP = text("SELECT name, role, school, state FROM attendee WHERE badge_code = :code")
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ name }}</title></head>
<body><h1>{{ name }}</h1><p>{{ role }}</p><p>{{ school }} · {{ state }}</p>
<p>Seen by attendee {{ viewer }}</p></body></html>"""
TEMPLATE = app.jinja_env.from_string(PAGE)  # compiled once (render_template_string compiles per call)


@app.get("/floor/<code>")
def floor(code: str):
    with engine.connect() as connection:
        row = connection.execute(LOOKUP, {"code": code.replace("-", "").upper()}).first()
    if row is None:
        abort(404)
    return TEMPLATE.render(name=row.name, role=row.role, school=row.school, state=row.state,
                           viewer=session.get("attendee_id"))
