"""`flask send-digests --conference SLUG`: each attendee's digest, once."""
from __future__ import annotations

import os

import click
from flask import Flask, current_app
from sqlalchemy import select

from conference.errors import DomainError
from conference.events.models import Conference
from conference.extensions import db


def default_workers(database_uri: str) -> int:
    """One process per CPU, up to four; one when the database lives in this process's memory."""
    if database_uri in ("sqlite://", "sqlite:///:memory:") or ":memory:" in database_uri:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def init_app(app: Flask) -> None:
    @app.cli.command("send-digests")
    @click.option("--conference", "slug", required=True, help="The conference's slug, as in /<slug>/join.")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Pretend today is this date (YYYY-MM-DD); default: today at the venue.")
    @click.option("--workers", default=None, type=click.IntRange(1, 32),
                  help="Processes sharing the work; default: one per CPU (one with an in-memory database).")
    def send_digests_command(slug: str, today, workers: int) -> None:
        """Email every attendee "Your network from <conference>" once; safe to run again."""
        from conference.digest.operations import send_digests
        conference = db.session.scalar(select(Conference).where(Conference.slug == slug))
        if conference is None:
            raise click.ClickException(f"No conference has the slug {slug!r}.")
        if workers is None:
            workers = default_workers(current_app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            report = send_digests(conference, today.date() if today else None, workers=workers)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Sent {len(report.sent)} digests; {report.already_sent} sent before; "
                   f"{report.nothing_to_send} attendees had nothing to send.")
        for email, why in report.failed:
            click.echo(f"FAILED {email}: {why}", err=True)
        if report.failed:
            raise click.ClickException(f"{len(report.failed)} digests could not be sent (listed above). "
                                       "Run the command again to retry them; nobody gets one twice.")
