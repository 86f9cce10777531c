"""Circles: small private groups of one's contacts ("Early-career principals, Region 5")."""
from flask import Blueprint

bp = Blueprint("circles", __name__)
