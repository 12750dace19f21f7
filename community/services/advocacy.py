"""Points, badges and ranks (being written)."""
