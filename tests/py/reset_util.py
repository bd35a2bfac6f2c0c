"""What the reset tests (test_reset.py, test_cli_reset.py) share: a workflow's inbox of
signals — items ``add``-ed until ``close`` — whose later signals a reset re-applies."""

from __future__ import annotations

from durable import workflow


class Inbox:
    """State and signal handlers for a workflow class; the subclass adds ``@workflow.defn``
    and its ``@workflow.run`` (handlers are found through the class's bases)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.closed = False

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def close(self) -> None:
        self.closed = True
