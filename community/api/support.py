"""API for support (placeholder: being written)."""
