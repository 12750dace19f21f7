"""Signal receivers and use cases for notifications (being written)."""
