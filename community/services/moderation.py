"""Signal receivers and use cases for moderation (being written)."""
