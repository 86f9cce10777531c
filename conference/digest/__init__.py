"""The digest: one email after the event, "Your network from <conference>", with a vCard."""
from flask import Blueprint

bp = Blueprint("digest", __name__)
