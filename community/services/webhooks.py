"""Signal receivers and use cases for webhooks (being written)."""
