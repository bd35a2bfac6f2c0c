"""Exit codes of ``durable`` and the mapping from errors to them (docs/cli.md).

One table, so every command ends the same way for the same cause: scripts test ``$?``.
"""

from __future__ import annotations

OK = 0
FAILED = 1          # the workflow (or query / update) failed, or an unexpected error
USAGE = 2           # bad flags or input (argparse uses 2 as well)
NOT_FOUND = 3       # no such workflow / namespace
PRECONDITION = 4    # the run is closed, the id is taken, the namespace exists
UNAVAILABLE = 5     # the server does not answer, the directory is locked, timed out
UNAUTHORIZED = 6    # credentials refused (API key, certificate)


class UsageError(Exception):
    """Bad flags or input found by a command (after argparse): exit 2."""


def exit_code(e: BaseException) -> int:
    """The exit code for an error that ended a command."""
    from durable import exceptions as ex
    from durable.client import WorkflowQueryFailedError, WorkflowUpdateFailedError

    table: list[tuple[type[BaseException] | tuple[type[BaseException], ...], int]] = [
        (ex.NotFoundError, NOT_FOUND),
        ((ex.AlreadyExistsError, ex.FailedPreconditionError, ex.WorkflowAlreadyStartedError),
         PRECONDITION),
        ((ex.UnavailableError, ex.DeadlineExceededError), UNAVAILABLE),
        ((ex.UnauthenticatedError, ex.PermissionDeniedError), UNAUTHORIZED),
        ((ex.WorkflowFailureError, WorkflowQueryFailedError, WorkflowUpdateFailedError), FAILED),
        ((UsageError, ex.InvalidArgumentError, ValueError), USAGE),
    ]
    for kinds, code in table:
        if isinstance(e, kinds):
            return code
    return FAILED


def message(e: BaseException) -> str:
    """One readable line: the error's text, with the cause of a workflow/update failure."""
    from durable.client import WorkflowUpdateFailedError
    from durable.exceptions import WorkflowFailureError

    text = str(e) or type(e).__name__
    if isinstance(e, (WorkflowFailureError, WorkflowUpdateFailedError)) and e.cause is not None:
        text = f"{text}: {failure_chain(e.cause)}"
    return " ".join(text.split())  # multi-line messages folded into one line


def failure_chain(e: BaseException) -> str:
    """``Type: message`` of a failure and its causes, joined by ``<-``."""
    parts = []
    seen: BaseException | None = e
    while seen is not None and len(parts) < 5:
        kind = getattr(seen, "type", None)
        name = kind if isinstance(kind, str) and kind else type(seen).__name__
        parts.append(f"{name}: {getattr(seen, 'message', None) or seen}")
        seen = seen.__cause__
    return " <- ".join(parts)
