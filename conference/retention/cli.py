"""`flask retention-run`: the daily retention step for every conference, by hand (the worker runs it daily)."""
from __future__ import annotations

import click
from flask import Flask

from conference.retention.operations import run_retention  # with it, the daily task the worker runs


def init_app(app: Flask) -> None:
    @app.cli.command("retention-run")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Pretend today is this date (YYYY-MM-DD); default: today at each venue.")
    def retention_run_command(today) -> None:
        """Tell attendees a week before their data goes; keep the organizer figures; delete after retain_until."""
        failures = 0
        for report in run_retention(today.date() if today else None):
            line = f"{report.conference}: {report.message}"
            if report.notices_sent:
                line += f"; {report.notices_sent} attendees told"
            click.echo(line)
            for email, why in report.notice_failures:
                click.echo(f"FAILED notice to {email}: {why}", err=True)
            failures += len(report.notice_failures)
        if failures:
            raise click.ClickException(f"{failures} notices could not be sent; the next run tries them again.")
