"""The console's downloads: the figures, connections per hour, the anonymised network."""
from __future__ import annotations

import json
import re

from conference.downloads import download
from conference.exports.tabular import to_csv
from conference.htmx import render
from conference.organizer import bp
from conference.organizer.access.decorators import organizer_required
from conference.organizer.dashboard import snapshots, stats
from conference.organizer.exports import exporters


@bp.get("/<slug>/exports")
@organizer_required
def exports(conference):
    """Downloads for the board, sponsors and researchers."""
    return render("organizer/exports.html", conference=conference)


def _stem(conference) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", conference.slug)


@bp.get("/<slug>/figures.csv")
@organizer_required
def figures_csv(conference):
    """The dashboard's figures as CSV (one long table), as fresh as the dashboard's."""
    rows = exporters.figures_rows(conference, snapshots.current_dashboard(conference))
    return download(to_csv(rows), "text/csv", f"{_stem(conference)}-figures.csv")


@bp.get("/<slug>/figures.json")
@organizer_required
def figures_json(conference):
    """The dashboard's figures as JSON (fields in docs/organizer-exports.md)."""
    body = json.dumps(exporters.figures_json(conference, snapshots.current_dashboard(conference)), ensure_ascii=False,
                      indent=1)
    return download(body, "application/json", f"{_stem(conference)}-figures.json")


@bp.get("/<slug>/connections-per-hour.csv")
@organizer_required
def hours_csv(conference):
    """Connections saved in each hour, in the venue's time zone and in UTC."""
    rows = exporters.hours_rows(conference, stats.connections_per_hour(conference))
    return download(to_csv(rows), "text/csv", f"{_stem(conference)}-connections-per-hour.csv")


@bp.get("/<slug>/network.graphml")
@organizer_required
def network(conference):
    """The anonymised network for researchers: random ids made for this download only."""
    body = exporters.graphml(conference)  # queries done; the text streams without the database
    return download(body, "application/graphml+xml", f"{_stem(conference)}-network.graphml")
