"""Registrants: importing them from a CSV, and their claims to the profiles made for them."""
