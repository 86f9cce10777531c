from __future__ import annotations


from flask import g

from conference.auth import login_required
from conference.contacts.operations import contacts_for, owned_connection
from conference.errors import or_404
from conference.downloads import download, file_slug
from conference.exports import bp
from conference.exports.contact_fields import contact_fields
from conference.exports.tabular import PHONE_COLUMNS, contact_rows, to_csv
from conference.exports.vcard import vcard, vcards
from conference.htmx import render


@bp.get("/me/contacts.vcf")
@login_required
def all_vcards():
    """Every contact in one .vcf file, for the phone's address book."""
    # A "removed attendee" has no way to be reached: no card for the address book (the CSV keeps the note).
    fields = [contact_fields(c) for c in contacts_for(g.attendee) if not c.removed]
    if not fields:  # an empty .vcf is a 0-byte file the phone can't open: say why instead (the links have no `download`)
        return render("exports/no_contacts.html", status=404)
    return download(vcards(fields), "text/vcard", f"{file_slug(g.attendee.conference.name, 'contact')}-contacts.vcf")


@bp.get("/me/contacts/<int:connection_id>.vcf")
@login_required
def one_vcard(connection_id: int):
    """One contact as a vCard."""
    connection = or_404(owned_connection, g.attendee, connection_id)
    return download(vcard(contact_fields(connection)), "text/vcard", f"{file_slug(connection.contact.name if connection.contact else 'removed-attendee', 'contact')}.vcf")


@bp.get("/me/contacts.csv")
@login_required
def csv_file():
    """Every contact as a spreadsheet (Excel, Numbers, Google Sheets)."""
    rows = contact_rows(contact_fields(c) for c in contacts_for(g.attendee))
    return download(to_csv(rows, PHONE_COLUMNS), "text/csv", f"{file_slug(g.attendee.conference.name, 'contact')}-contacts.csv")
