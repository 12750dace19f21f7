"""Pages for polls (placeholder: being written)."""

from flask import Blueprint

bp = Blueprint("polls", __name__)
