"""`flask send-digests --conference SLUG`: each attendee's digest, once, sent by the worker."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from conference.errors import DomainError
from conference.events.models import Conference
from conference.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("send-digests")
    @click.option("--conference", "slug", required=True, help="The conference's slug, as in /<slug>/join.")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Pretend today is this date (YYYY-MM-DD); default: today at the venue.")
    def send_digests_command(slug: str, today) -> None:
        """Email every attendee "Your network from <conference>" once (the worker sends them); safe to run again."""
        from conference.digest.operations import send_digests
        conference = db.session.scalar(select(Conference).where(Conference.slug == slug))
        if conference is None:
            raise click.ClickException(f"No conference has the slug {slug!r}.")
        try:
            report = send_digests(conference, today.date() if today else None)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"Sent {len(report.sent)} digests; {report.already_sent} sent before; "
                   f"{report.nothing_to_send} attendees had nothing to send.")
        for email, why in report.failed:
            click.echo(f"FAILED {email}: {why}", err=True)
        if report.failed:
            raise click.ClickException(f"{len(report.failed)} digests could not be sent (listed above). "
                                       "Run the command again to retry them; nobody gets one twice.")
