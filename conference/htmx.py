"""One template per page; htmx requests get one of its blocks."""
from __future__ import annotations

from flask import make_response, render_template
from jinja2_fragments.flask import render_block

from conference.extensions import htmx


def render(template: str, block: str | None = None, status: int = 200, **context):
    """The whole page, or just `block` when htmx asked for a fragment."""
    if block and htmx and not htmx.boosted:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
