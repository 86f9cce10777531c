"""Conferences: the event a network grows from."""
