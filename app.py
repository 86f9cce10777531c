"""WSGI entry point: `gunicorn app:app`, `flask --app app ...`."""
from conference import create_app

app = create_app()
