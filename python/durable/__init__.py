"""durable: durable execution for Python asyncio on an embedded C++ engine."""

__version__ = "0.1.0"
