"""Contacts: the card after a scan, saving with a note, the list to take home."""
from flask import Blueprint

bp = Blueprint("contacts", __name__)

