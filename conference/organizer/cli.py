"""Organizer commands: `flask create-organizer` (access), `flask import-registrants` (registrants),
`flask badges-pdf` (printing), `flask rebuild-tallies` (dashboard)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from conference.attendees.models import ROLES
from conference.attendees.operations import conference_by_slug
from conference.auth.operations import issue_organizer_token
from conference.errors import DomainError
from conference.extensions import db
from conference.organizer import bp
from conference.organizer.access.operations import create_organizer
from conference.organizer.dashboard import tallies
from conference.organizer.printing.badges_pdf import write_badges
from conference.organizer.printing.jobs import badge_data, card_url_template, choose_attendees
from conference.organizer.printing.models import LAYOUTS
from conference.organizer.registrants.import_columns import FIELDS
from conference.organizer.registrants.importer import import_registrants, options_from_text, preview_import, read_table
from conference.organizer.settings.operations import create_conference
from conference.urls import public_url


def _conference(slug: str):
    conference = conference_by_slug(slug)
    if conference is None:
        raise click.ClickException(f"No conference has the web address “{slug}”. "
                                   "Add --create \"Conference name\" to create it.")
    return conference


@bp.cli.command("create-organizer")
@click.argument("email")
@click.option("--conference", "slug", required=True, help="The conference's web address (slug).")
@click.option("--create", "create_name", default=None, metavar="NAME",
              help="Create the conference first, with this name, if it does not exist.")
@click.option("--base-url", default=None, help="Site address for the sign-in link (default PUBLIC_BASE_URL).")
def create_organizer_command(email: str, slug: str, create_name: str | None, base_url: str | None) -> None:
    """Make EMAIL an organizer of a conference, and print a one-time sign-in link."""
    try:
        conference = conference_by_slug(slug)
        if conference is None and create_name:
            conference = create_conference(slug, create_name)
            click.echo(f"Created conference {conference.name} at /{conference.slug}/join")
        elif conference is None:
            _conference(slug)
        organizer = create_organizer(conference, email)
        token = issue_organizer_token(organizer, 24 * 60, f"/organize/{conference.slug}/")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"{organizer.email} now organizes {conference.name}.")
    click.echo(f"Sign in (works once, for 24 hours): {public_url('auth.confirm', base_url, token=token)}")
    click.echo(f"Later: {public_url('auth.request_link', base_url)} with this email.")


def _echo_report(result, filename: str) -> None:
    """The import report, as the console's preview shows it: each column's use, then each row's fate."""
    mapping = result.mapping
    click.echo(f"{filename}: {len(mapping.used)} of {len(mapping.columns)} columns used.")
    for column in mapping.columns:
        taken = f"→ {FIELDS[column.field].lower()}" if column.field else "not used"
        click.echo(f"  “{column.label}” {taken} ({column.how})")
    if result.blocked:
        return
    click.echo(f"{result.created:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged, "
               f"{result.kept:,} already joined (kept as they are), {result.rejected:,} not imported, "
               f"{len(result.warnings):,} with a warning.")
    for heading, rows in (("Not imported", result.problems), ("Imported with a warning", result.warnings)):
        if rows:
            click.echo(f"{heading}:")
        for problem in rows[:200]:
            click.echo(f"  Row {problem.row}: {problem.reason}")
        if len(rows) > 200:
            click.echo(f"  … and {len(rows) - 200:,} more rows.")


@bp.cli.command("import-registrants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--conference", "slug", required=True, help="The conference's web address (slug).")
@click.option("--map", "pairs", multiple=True, metavar="COLUMN=FIELD",
              help=f"Take a column as a field by hand, e.g. --map \"Company Name=school\" (FIELD: "
                   f"{', '.join(FIELDS)}, or none); a column may be given by its number from 1. Repeatable.")
@click.option("--default-role", type=click.Choice(list(ROLES)), default=None,
              help="Import rows with no role, or a role we don't recognise, with this role (else they are left out).")
@click.option("--yes", is_flag=True, help="Import. Without it, only the report is printed and nothing is written.")
def import_registrants_command(file: Path, slug: str, pairs: tuple[str, ...], default_role: str | None,
                               yes: bool) -> None:
    """Report what importing a CSV FILE of registrants would do (same rules as the console's preview);
    import it with --yes."""
    conference = _conference(slug)
    data = file.read_bytes()
    limit = max(current_app.config.get("IMPORT_MAX_BYTES", 0), 200 * 1024 * 1024)
    try:
        header, _ = read_table(data, limit)
        options = options_from_text(header, list(pairs), default_role or "")
        result = preview_import(conference, data, options, max_bytes=limit)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    _echo_report(result, file.name)
    if result.blocked:
        raise click.ClickException(f"{result.blocked} On the command line: --map \"COLUMN=FIELD\".")
    if not yes:
        click.echo("Nothing was written. Run again with --yes to import.")
        return
    lines = max(data.count(b"\n"), 1)
    try:
        with click.progressbar(length=lines, label=f"Importing {file.name}", file=sys.stderr) as bar:
            result = import_registrants(conference, data, filename=file.name, max_bytes=limit, progress=bar.update,
                                        options=options)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Imported: {result.created:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged, "
               f"{result.kept:,} already joined, {result.rejected:,} not imported.")
    if result.batch:
        click.echo(f"Import {result.batch.id}: print its badges with "
                   f"flask badges-pdf --conference {conference.slug} --batch {result.batch.id}")


@bp.cli.command("badges-pdf")
@click.option("--conference", "slug", required=True, help="The conference's web address (slug).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the PDF (default badges-SLUG.pdf).")
@click.option("--layout", type=click.Choice(list(LAYOUTS)), default="sheet", show_default=True,
              help="sheet: six 4 x 3 in inserts a US Letter page; single: one 4 x 3 in badge a page.")
@click.option("--batch", "batch_id", type=int, default=None, help="Only this import's registrants.")
@click.option("--letters", default=None, metavar="A-F", help="Only family names from one letter to another.")
@click.option("--base-url", default=None, help="Site address inside the QR codes (default PUBLIC_BASE_URL).")
def badges_pdf_command(slug: str, out: Path | None, layout: str, batch_id: int | None, letters: str | None,
                       base_url: str | None) -> None:
    """Write a badge PDF for all registrants, one import, or a range of family names."""
    conference = _conference(slug)
    try:
        if batch_id is not None:
            ids, description = choose_attendees(conference, "batch", batch_id=batch_id)
        elif letters:
            start, _, end = letters.partition("-")
            ids, description = choose_attendees(conference, "letters", letter_from=start, letter_to=end or start)
        else:
            ids, description = choose_attendees(conference, "all")
    except DomainError as error:
        raise click.ClickException(error.message) from None
    out = out or Path(f"badges-{conference.slug}.pdf")
    template = card_url_template(base_url)
    badges = badge_data(conference, ids, template)
    with click.progressbar(length=len(badges), label=f"{description}: {len(badges):,} badges",
                           file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        write_badges(badges, out, layout, title=f"Badges: {conference.name}", progress=progress)
    click.echo(f"Wrote {len(badges):,} badges to {out}")


@bp.cli.command("rebuild-tallies")
@click.option("--conference", "slug", required=True, help="The conference's web address (slug).")
def rebuild_tallies_command(slug: str) -> None:
    """Count the dashboard's tallies afresh from the connections (after loading rows with triggers off)."""
    conference = _conference(slug)
    tallies.rebuild(conference.id)
    db.session.commit()
    counts = tallies.counted_connections(conference.id)
    click.echo(f"{conference.name}: {sum(counts.values()):,} connections counted in {len(counts):,} "
               f"hour and role cells, {len(tallies.counted_attendees(conference.id)):,} people with contacts.")
