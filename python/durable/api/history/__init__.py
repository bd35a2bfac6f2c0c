"""See durable.api."""
