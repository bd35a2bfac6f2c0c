"""``asyncio.Task`` with Python 3.11's ``cancelling()`` / ``uncancel()`` on 3.10 too.

Workflow code written for temporalio reads ``asyncio.current_task().cancelling()`` to learn
that a cancellation is pending (a saga step that completed although cancelled, say). The
workflow event loop makes its tasks from this class so such code also runs on 3.10.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

if sys.version_info >= (3, 11):
    Task = asyncio.Task
else:
    class Task(asyncio.Task):  # type: ignore[type-arg,no-redef]
        """3.10: counts cancellation requests as 3.11's Task does."""

        _num_cancels_requested = 0

        def cancel(self, msg: Any = None) -> bool:
            if self.done():
                return False
            self._num_cancels_requested += 1
            return super().cancel(msg)

        def cancelling(self) -> int:
            """How many cancellation requests are pending (``cancel()`` minus ``uncancel()``)."""
            return self._num_cancels_requested

        def uncancel(self) -> int:
            """Withdraws one cancellation request; returns how many remain."""
            if self._num_cancels_requested > 0:
                self._num_cancels_requested -= 1
            return self._num_cancels_requested
