"""Privacy: my data to download, deleting my account, and the plain-language privacy page."""
from flask import Blueprint

bp = Blueprint("privacy", __name__)
