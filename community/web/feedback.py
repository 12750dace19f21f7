"""Votes, idea statuses, merging and the roadmap."""

from flask import Blueprint

bp = Blueprint("feedback", __name__)
