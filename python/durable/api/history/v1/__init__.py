"""``temporalio.api.history.v1``: ``History`` and ``HistoryEvent`` are durable's own.

A ``History`` is a list of ``events`` as in Temporal. A ``HistoryEvent`` has Temporal's
``event_id``, but its times are microseconds (``event_time_us``) and its attributes are a
oneof named without the ``_event_attributes`` suffix (``workflow_execution_started``, ...);
``WhichOneof("attributes")`` names the kind. docs/history-json.md describes the events.
"""

from durable.v1.history_pb2 import History, HistoryEvent

__all__ = ["History", "HistoryEvent"]
