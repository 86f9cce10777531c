from __future__ import annotations

import json
import uuid
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, jsonify, redirect, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf

from conference.assets import release_version
from conference.auth import login_required, session_viewer, to_sign_in
from conference.badges.codes import MalformedCode, code_from_scan, display
from conference.badges.operations import is_retired
from conference.contacts.cards import card_for
from conference.contacts.operations import NOTE_LIMIT, REMOVED_BADGE, check_can_save, owned_connection
from conference.errors import DomainError
from conference.extensions import csrf, db
from conference.htmx import render
from conference.interests.operations import match_between
from conference.scanner import bp
from conference.scanner.forms import ScanSaveForm
from conference.scanner.operations import MAX_BATCH, record_scan, sync_scans
from conference.security import json_body
from conference import ratelimits
from conference.urls import public_origin

QR_SCANNER = "vendor/qr-scanner-1.4.2"
# The personal pages the service worker keeps, so they open with no network (the venue's Wi-Fi fails
# as people walk to a table): endpoint, its name on the offline page, a note there. An endpoint the
# app does not have is left out.
OFFLINE_PAGES = (
    ("scanner.index", "Scan a badge", "scans wait on the phone and are sent later"),
    ("badges.mine", "My badge", ""),
    ("contacts.index", "My contacts", ""),
    ("meetings.schedule", "My schedule", "your meetings and huddles, with their tables"),
)


def _badge_origins() -> str:
    """Where our badge links point: PUBLIC_BASE_URL's origin (scanner.js adds the page's own)."""
    return public_origin()


@bp.get("/scan")
@login_required
def index():
    """The camera scanner, the typed-code field, and the scans waiting to sync."""
    saved = None
    if request.args.get("saved", "").isdigit():
        try:
            saved = owned_connection(g.attendee, int(request.args["saved"]))
        except DomainError:
            saved = None
    return render("scanner/index.html", saved=saved, origins=_badge_origins(), qr_scanner=QR_SCANNER,
                  note_limit=NOTE_LIMIT)


def _card(typed: str, form: ScanSaveForm | None = None, status: int = 200):
    """The card after a scan (or a message), as the sheet's fragment for the scanner, or as a page."""
    context = dict(typed=typed, outcome="card", message=None, subject=None, code="")
    try:
        code = code_from_scan(typed)
    except MalformedCode as bad:
        ratelimits.badge_missed()
        context.update(outcome="malformed", message=str(bad))
        return render("scanner/card.html", "scan_card", status=422, **context)
    viewer_id, version = session_viewer()
    found = card_for(code, viewer_id, version=version)
    context["code"] = display(code)
    if found is None:
        ratelimits.badge_missed()
        if is_retired(code):
            context.update(outcome="unknown", message=REMOVED_BADGE)
            return render("scanner/card.html", "scan_card", status=410, **context)
        context.update(outcome="unknown",
                       message=f"No badge has the code {display(code)}. Check it against the badge and try again.")
        return render("scanner/card.html", "scan_card", status=404, **context)
    if found.viewer is None:  # signed out everywhere a moment ago
        return to_sign_in()
    try:
        check_can_save(found.viewer, found.subject)
    except DomainError as refused:
        context.update(outcome="refused", message=refused.message)
        return render("scanner/card.html", "scan_card", status=409, **context)
    form = form or ScanSaveForm(formdata=None, code=display(code), uuid=str(uuid.uuid4()))
    context.update(subject=found.subject, form=form, match=match_between(found.viewer, found.subject),
                   connection=found.connection, channels=found.visible_channels)
    return render("scanner/card.html", "scan_card", status=status, **context)


@bp.get("/scan/card")
@login_required
@ratelimits.badge_lookup
def card():
    """A scanned or typed code: the person's card with Save and a note, or why it is not a badge."""
    return _card(request.args.get("code", "")[:500])


@bp.post("/scan/save")
@login_required
@ratelimits.badge_lookup
def save():
    """Save from the card (the path without JavaScript): the card's UUID makes a second send a no-op."""
    form = ScanSaveForm()
    typed = (form.code.data or "")[:500]
    if not form.validate_on_submit():
        return _card(typed, form=form, status=422)
    viewer_id, version = session_viewer()
    try:
        found = card_for(code_from_scan(typed), viewer_id, for_update=True, version=version)
    except MalformedCode:
        found = None
    if found is None:
        return _card(typed)
    try:
        client_uuid = uuid.UUID(form.uuid.data or "")
    except ValueError:
        client_uuid = uuid.uuid4()
    try:
        connection_id, _ = record_scan(g.attendee, found.subject, client_uuid, form.note.data or "")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.field == "note":
            form.note.errors = [error.message]
        else:
            form.form_errors.append(error.message)
        return _card(typed, form=form, status=422)
    return redirect(url_for("scanner.index", saved=connection_id), 303)


def _json_error(status: int, error: str, message: str, **extra):
    response = jsonify(error=error, message=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/scan/sync")
@csrf.exempt  # checked below, so the phone gets JSON it can act on instead of an HTML error page
@ratelimits.sync_limit
def sync():
    """Receive a batch of scans a phone queued: JSON in, one result per scan out."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            csrf.protect()
        except CSRFError:
            return _json_error(400, "csrf", "The page's security token is out of date. Reload the page.")
    if g.attendee is None:
        return _json_error(401, "signed_out", "Sign in again to send the scans waiting on this phone.")
    payload, problem = json_body()
    shape = 'Send JSON like {"scans": [{"uuid": "…", "text": "…", "note": "…"}]}.'
    if problem:
        return _json_error(400, "bad_request", f"{problem} {shape}")
    if not isinstance(payload, dict) or not isinstance(payload.get("scans"), list):
        return _json_error(400, "bad_request", shape)
    owner = payload.get("attendee")
    if owner is not None and (isinstance(owner, bool) or not isinstance(owner, int)):
        return _json_error(400, "bad_request", '"attendee" must be the number of the person who made the scans.')
    if owner is not None and owner != g.attendee.id:
        return _json_error(403, "other_attendee", "These scans were made by someone else signed in on this "
                                                  "phone. They are sent when that person signs in again.")
    if len(payload["scans"]) > MAX_BATCH:
        return _json_error(413, "too_many", f"Send at most {MAX_BATCH} scans at once.", limit=MAX_BATCH)
    results = sync_scans(g.attendee, payload["scans"], ratelimits.misses_left())
    ratelimits.badge_missed(sum(r.status == "unknown" for r in results))  # guessed codes count
    db.session.commit()
    response = jsonify(results=[r.as_dict() for r in results],
                       saved=sum(r.status == "saved" for r in results))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/scan/token")
def token():
    """A fresh CSRF token for the queue, when the one in a cached page has gone stale."""
    response = jsonify(csrf_token=generate_csrf(), signed_in=g.attendee is not None)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installable, opening at my badge."""
    asset = current_app.jinja_env.globals["asset"]
    icons = [{"src": asset(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in (192, 512)]
    icons += [{"src": asset(f"icons/maskable-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
               "purpose": "maskable"} for size in (192, 512)]
    data = {
        "id": "/", "name": "PLN Connect", "short_name": "PLN Connect",
        "description": "Scan badges, save the people you meet with a note, and take your network home.",
        "start_url": url_for("badges.mine"), "scope": "/", "display": "standalone", "orientation": "portrait",
        "theme_color": "#0b4f8a", "background_color": "#f4f6f8", "icons": icons,
        "shortcuts": [{"name": "Scan a badge", "url": url_for("scanner.index")},
                      {"name": "My contacts", "url": url_for("contacts.index")}],
    }
    response = current_app.response_class(json.dumps(data, indent=1), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@lru_cache(maxsize=8)
def _fill_service_worker(path: Path, values: tuple[tuple[str, str], ...]) -> str:
    """static/sw.js with its placeholders filled: read once per process for each release and mount point."""
    source = path.read_text()
    for name, value in values:
        source = source.replace(name, value)
    return source


def _service_worker_source() -> str:
    asset = current_app.jinja_env.globals["asset"]
    kept = [(url_for(endpoint), label, note) for endpoint, label, note in OFFLINE_PAGES
            if endpoint in current_app.view_functions]
    pages = [path for path, _, _ in kept]
    links = [{"path": path, "label": label, "note": note} for path, label, note in kept]
    extra = [url_for("static", filename=f"{QR_SCANNER}/qr-scanner-worker.min.js"),
             asset("icons/icon-192.png"), asset("icons/maskable-192.png")]
    values = tuple({"__VERSION__": json.dumps(release_version(current_app)), "__PAGES__": json.dumps(pages),
                    "__LINKS__": json.dumps(links), "__EXTRA__": json.dumps(extra),
                    "__QUEUE_SCRIPT__": json.dumps(asset("pwa.js")), "__APP_CSS__": json.dumps(asset("app.css"))}.items())
    fill = _fill_service_worker.__wrapped__ if current_app.debug else _fill_service_worker  # sw.js may change
    return fill(Path(current_app.static_folder) / "sw.js", values)


@bp.get("/sw.js")
def service_worker():
    """The service worker, from the site's root so it may control every page."""
    response = current_app.response_class(_service_worker_source(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
