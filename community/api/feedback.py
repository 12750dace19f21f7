"""Votes, idea statuses, merging and the roadmap (being written)."""
