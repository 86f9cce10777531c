"""PLN Connect: the app factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.logging import default_handler
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: config from the environment, then `overrides` (tests pass theirs)."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from conference.config import from_environment
    app.config.update(from_environment(app.instance_path))
    app.config.update(overrides or {})

    from conference import security, urls
    security.init_app(app)
    urls.init_app(app)

    from conference import tasks
    tasks.init_app(app)

    from conference.extensions import compress, csrf, db, htmx, limiter, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)  # the limits are decorators on their routes: conference/ratelimits.py
    # Flask-Limiter warns on a logger of its own when its store can't be reached: into the app's log.
    if default_handler not in limiter.logger.handlers:
        limiter.logger.addHandler(default_handler)

    from conference import models  # noqa: F401  (every table, for Alembic and create_all)
    import conference.attendees.routes  # noqa: F401  (each registers its views on its bp)
    import conference.auth.routes  # noqa: F401
    import conference.badges.routes  # noqa: F401
    import conference.contacts.routes  # noqa: F401
    import conference.exports.routes  # noqa: F401
    import conference.privacy.routes  # noqa: F401
    import conference.scanner.routes  # noqa: F401
    from conference.attendees import bp as attendees_bp
    from conference.auth import bp as auth_bp
    from conference.badges import bp as badges_bp
    from conference.contacts import bp as contacts_bp
    from conference.exports import bp as exports_bp
    from conference.pages import bp as pages_bp
    from conference.privacy import bp as privacy_bp
    from conference.scanner import bp as scanner_bp
    for blueprint in (pages_bp, auth_bp, badges_bp, contacts_bp, exports_bp, privacy_bp, attendees_bp, scanner_bp):
        app.register_blueprint(blueprint)
    # After the event: people to meet, follow-ups, circles, the digest.
    import conference.circles.routes  # noqa: F401
    import conference.digest.routes  # noqa: F401
    import conference.followups.routes  # noqa: F401
    import conference.network.routes  # noqa: F401
    from conference.circles import bp as circles_bp
    from conference.digest import bp as digest_bp
    from conference.followups import bp as followups_bp
    from conference.network import bp as network_bp
    for blueprint in (network_bp, followups_bp, circles_bp, digest_bp):
        app.register_blueprint(blueprint)
    # The organizer console: each of its sub-packages registers its pages on the one organizer blueprint,
    # and its flask commands come with that blueprint.
    import conference.organizer.access.routes  # noqa: F401
    import conference.organizer.dashboard.routes  # noqa: F401
    import conference.organizer.settings.routes  # noqa: F401
    import conference.organizer.registrants.routes  # noqa: F401
    import conference.organizer.printing.routes  # noqa: F401
    import conference.organizer.exports.routes  # noqa: F401
    import conference.organizer.meeting_frame.routes  # noqa: F401
    import conference.organizer.cli  # noqa: F401  (its commands, on the blueprint)
    from conference.organizer import bp as organizer_bp
    app.register_blueprint(organizer_bp)
    # Meeting in person: 1:1 meetings, problem-of-practice huddles, my schedule.
    import conference.meetings.routes  # noqa: F401
    import conference.meetings.huddle_routes  # noqa: F401
    # My schedule in a calendar app, and the batched meeting mail (its worker task).
    import conference.meetings.calendar_routes  # noqa: F401
    import conference.meetings.mail  # noqa: F401
    from conference.meetings import bp as meetings_bp
    app.register_blueprint(meetings_bp)

    from conference import auth, errors, demo
    auth.init_app(app)
    errors.init_app(app)
    demo.init_app(app)
    from conference.digest import cli as digest_cli
    from conference.retention import cli as retention_cli
    digest_cli.init_app(app)
    retention_cli.init_app(app)
    _template_globals(app)
    return app


def _template_globals(app: Flask) -> None:
    """Static URLs with their hashes (`asset`) and the helpers every page uses."""
    from conference import assets
    assets.init_app(app)
    from conference.attendees.channels import channel_display, channel_href
    from conference.urls import public_url
    app.jinja_env.globals.update(channel_href=channel_href, channel_display=channel_display, csrf_field=csrf_field,
                                 public_url=public_url)


def csrf_field() -> Markup:
    """The hidden CSRF input of a form. Without an id: a page with several forms holds one token many times."""
    return Markup(f'<input name="csrf_token" type="hidden" value="{escape(generate_csrf())}">')
