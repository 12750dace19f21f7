"""Checks every request's input passes before a view sees it."""

import re
from collections.abc import Iterator

from flask import Flask, request

from .errors import ValidationError
from .models.base import MAX_ID


def register_input_checks(app: Flask) -> None:
    @app.before_request
    def refuse_unstorable_text() -> None:
        # Refused at the door, the same on every database, instead of failing inside
        # whichever query meets them first: PostgreSQL text can neither store nor compare
        # NUL, and a lone surrogate (JSON "\\ud800", or its raw bytes, which the JSON
        # parser lets through) cannot be encoded as UTF-8 at all.
        for text in _texts():
            if "\x00" in text:
                raise ValidationError("Text may not contain NUL characters.")
            if _SURROGATE.search(text):
                raise ValidationError("Text must be valid Unicode (it contains an unpaired "
                                      "surrogate).")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _texts() -> Iterator[str]:
    """Every string of the request: path values, query, form and JSON keys and values."""
    yield from (v for v in (request.view_args or {}).values() if isinstance(v, str))
    for multidict in (request.args, request.form):
        for key, values in multidict.lists():
            yield key
            yield from values
    try:
        body = request.get_json(silent=True) if request.is_json else None
    except RecursionError:
        return  # too deeply nested to read: api.io.parse refuses it
    stack = [body]
    while stack:  # a loop, not recursion: bodies nest as deep as the JSON parser allows
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def id_from(text: str) -> int | None:
    """The id a form field holds, or None: ASCII digits in the database's range only
    (`str.isdigit` also takes "²", which int() refuses)."""
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        return None
    return int(text)
