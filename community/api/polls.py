"""API for polls (placeholder: being written)."""
