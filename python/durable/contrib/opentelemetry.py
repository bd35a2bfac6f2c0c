"""OpenTelemetry tracing for clients, workflows and activities (mirrors
``temporalio.contrib.opentelemetry.TracingInterceptor``).

Install with ``pip install 'durable[opentelemetry]'``, then::

    client = await Client.connect(target, interceptors=[TracingInterceptor()])
    Worker(client, ...)   # picks the interceptor up from the client

The propagated context travels in the ``_tracer-data`` header of every call (a JSON
payload holding the W3C TraceContext and Baggage carrier), so traces cross processes.

Spans (see docs/opentelemetry.md for the tree):

* client: ``StartWorkflow:W`` (``SignalWithStartWorkflow:W`` with a start signal),
  ``SignalWorkflow:s``, ``QueryWorkflow:q``, ``StartWorkflowUpdate:u``;
* workflow: ``RunWorkflow:W``, ``CompleteWorkflow:W`` (with the exception when it fails),
  ``HandleSignal:s``, ``HandleQuery:q``, ``HandleUpdateValidator:u``, ``HandleUpdateHandler:u``,
  ``StartActivity:a`` (also local activities), ``StartChildWorkflow:C``;
* activity: ``RunActivity:a`` around each attempt, status ERROR when it raises.

Workflow code replays, so workflow spans are started and ended at once (zero duration, at
workflow time) and only when the workflow is not replaying: a run resumed on another worker
does not record them twice. Queries are never replayed: ``HandleQuery`` is always recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

try:
    import opentelemetry.baggage.propagation
    import opentelemetry.context
    import opentelemetry.propagators.composite
    import opentelemetry.propagators.textmap
    import opentelemetry.trace
    import opentelemetry.trace.propagation.tracecontext
    from opentelemetry.context import Context
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as e:  # the extra is not installed
    raise ImportError(f"durable.contrib.opentelemetry needs opentelemetry-api: "
                      f"pip install 'durable[opentelemetry]' ({e})") from e

from durable import activity, client, converter, workflow
from durable import worker as durable_worker
from durable.exceptions import ApplicationError, ApplicationErrorCategory, FailureError
from durable.v1.common_pb2 import Payload

__all__ = ["TracingInterceptor", "TracingWorkflowInboundInterceptor",
           "default_text_map_propagator"]

default_text_map_propagator: opentelemetry.propagators.textmap.TextMapPropagator = (
    opentelemetry.propagators.composite.CompositePropagator([
        opentelemetry.trace.propagation.tracecontext.TraceContextTextMapPropagator(),
        opentelemetry.baggage.propagation.W3CBaggagePropagator(),
    ]))
"""The propagator :class:`TracingInterceptor` uses (W3C TraceContext and Baggage)."""

_Carrier = dict[str, str]


class _WithHeaders(Protocol):
    headers: Mapping[str, Payload]


@contextlib.contextmanager
def _attached(context: Context) -> Iterator[None]:
    """Make ``context`` current for the block; detach only where the attach is valid (a
    workflow coroutine closed on eviction runs its ``finally`` in another context)."""
    token = opentelemetry.context.attach(context)
    try:
        yield
    finally:
        if opentelemetry.context.get_current() is context:
            opentelemetry.context.detach(token)


def _error_status(exc: BaseException) -> Status | None:
    """ERROR, except for benign application errors (as temporalio)."""
    if isinstance(exc, ApplicationError) and exc.category == ApplicationErrorCategory.BENIGN:
        return None
    return Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}")


class TracingInterceptor(client.Interceptor, durable_worker.Interceptor):
    """Client and worker interceptor creating and propagating OpenTelemetry spans.

    Give it to ``Client.connect(interceptors=[...])`` to trace client calls and the workers
    built on that client; give it to ``Worker(interceptors=[...])`` to trace workers only.
    To change the header key, the propagator or the payload converter, subclass it and set
    the attributes after ``super().__init__``.
    """

    def __init__(self, tracer: opentelemetry.trace.Tracer | None = None, *,
                 always_create_workflow_spans: bool = False) -> None:
        """Args:
            tracer: The tracer; ``opentelemetry.trace.get_tracer(__name__)`` by default.
            always_create_workflow_spans: By default workflow spans are only created under
                a propagated span (one from a traced client or parent workflow); a workflow
                started elsewhere (the CLI, a schedule) then has none. True creates them
                anyway, as roots of their own traces.
        """
        self.tracer = tracer or opentelemetry.trace.get_tracer(__name__)
        self.header_key: str = "_tracer-data"
        self.text_map_propagator = default_text_map_propagator
        self.payload_converter: converter.PayloadConverter = (
            converter.default().payload_converter)
        self.always_create_workflow_spans = always_create_workflow_spans
        # The workflow interceptor class bound to this interceptor (durable has no sandbox,
        # so workflow code can reach the tracer directly).
        self._workflow_class: type[TracingWorkflowInboundInterceptor] = type(
            "TracingWorkflowInboundInterceptor", (TracingWorkflowInboundInterceptor,),
            {"root": self})

    # --- the interceptor hooks ---------------------------------------------------------------

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _TracingClientOutbound(next, self)

    def intercept_activity(self, next: durable_worker.ActivityInboundInterceptor
                           ) -> durable_worker.ActivityInboundInterceptor:
        return _TracingActivityInbound(next, self)

    def workflow_interceptor_class(self, input: durable_worker.WorkflowInterceptorClassInput
                                   ) -> type[durable_worker.WorkflowInboundInterceptor]:
        return self._workflow_class

    # --- headers -------------------------------------------------------------------------

    def _headers_with(self, headers: Mapping[str, Payload], context: Context | None = None
                      ) -> Mapping[str, Payload]:
        """``headers`` plus the context (the current one by default) under ``header_key``."""
        carrier: _Carrier = {}
        self.text_map_propagator.inject(carrier, context)
        if not carrier:
            return headers
        return {**headers, self.header_key: self.payload_converter.to_payload(carrier)}

    def _carrier_from(self, headers: Mapping[str, Payload]) -> _Carrier | None:
        payload = headers.get(self.header_key)
        if payload is None:
            return None
        carrier = self.payload_converter.from_payload(payload, dict)
        return carrier or None

    def _context_from(self, headers: Mapping[str, Payload]) -> Context | None:
        carrier = self._carrier_from(headers)
        return self.text_map_propagator.extract(carrier) if carrier else None

    # --- spans around calls (client, activity) -------------------------------------------

    @contextlib.contextmanager
    def _span(self, name: str, *, kind: SpanKind, attributes: dict[str, str],
              context: Context | None = None, carry: _WithHeaders | None = None
              ) -> Iterator[opentelemetry.trace.Span]:
        """A span for the block, current in it; ``carry``'s headers get its context."""
        with contextlib.ExitStack() as stack:
            if context is not None:
                stack.enter_context(_attached(context))
            span = stack.enter_context(self.tracer.start_as_current_span(
                name, kind=kind, attributes=attributes, set_status_on_exception=False))
            if carry is not None:
                carry.headers = self._headers_with(carry.headers)
            try:
                yield span
            except Exception as e:
                status = _error_status(e)
                if status is not None:
                    span.set_status(status)
                raise


class _TracingClientOutbound(client.OutboundInterceptor):
    def __init__(self, next: client.OutboundInterceptor, root: TracingInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def start_workflow(self, input: client.StartWorkflowInput) -> Any:
        prefix = "SignalWithStartWorkflow" if input.start_signal else "StartWorkflow"
        with self.root._span(f"{prefix}:{input.workflow}", kind=SpanKind.CLIENT,
                             attributes={"temporalWorkflowID": input.id}, carry=input) as span:
            handle = await super().start_workflow(input)
            if handle.result_run_id:
                span.set_attribute("temporalRunID", handle.result_run_id)
            return handle

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        with self.root._span(f"SignalWorkflow:{input.signal}", kind=SpanKind.CLIENT,
                             attributes={"temporalWorkflowID": input.id}, carry=input):
            await super().signal_workflow(input)

    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        with self.root._span(f"QueryWorkflow:{input.query}", kind=SpanKind.CLIENT,
                             attributes={"temporalWorkflowID": input.id}, carry=input):
            return await super().query_workflow(input)

    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> Any:
        attributes = {"temporalWorkflowID": input.id}
        if input.update_id:
            attributes["temporalUpdateID"] = input.update_id
        with self.root._span(f"StartWorkflowUpdate:{input.update}", kind=SpanKind.CLIENT,
                             attributes=attributes, carry=input):
            return await super().start_workflow_update(input)


class _TracingActivityInbound(durable_worker.ActivityInboundInterceptor):
    def __init__(self, next: durable_worker.ActivityInboundInterceptor,
                 root: TracingInterceptor) -> None:
        super().__init__(next)
        self.root = root

    async def execute_activity(self, input: durable_worker.ExecuteActivityInput) -> Any:
        info = activity.info()
        attributes = {"temporalActivityID": info.activity_id}
        if info.workflow_id:
            attributes["temporalWorkflowID"] = info.workflow_id
        if info.workflow_run_id:
            attributes["temporalRunID"] = info.workflow_run_id
        # The span records the exception (record_exception) and its status says ERROR.
        with self.root._span(f"RunActivity:{info.activity_type}", kind=SpanKind.SERVER,
                             attributes=attributes,
                             context=self.root._context_from(input.headers)):
            return await super().execute_activity(input)


# --- workflows ---------------------------------------------------------------------------


class TracingWorkflowInboundInterceptor(durable_worker.WorkflowInboundInterceptor):
    """The workflow side of :class:`TracingInterceptor` (its ``workflow_interceptor_class``
    is a subclass with ``root`` set to that interceptor).

    Every span it creates is started and ended at once, at workflow time, and only when the
    workflow is not replaying. Its parent is the context propagated with the workflow's
    start (the client's ``StartWorkflow`` or the parent's ``StartChildWorkflow`` span), or
    for a handler the context of the signal / query / update that called it, linked to the
    workflow's. A zero-duration ``RunWorkflow`` span cannot parent later spans: after a
    replay on another worker it would not exist.
    """

    root: TracingInterceptor

    def __init__(self, next: durable_worker.WorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self._workflow_carrier: _Carrier | None = None
        self._workflow_carrier_loaded = False

    def init(self, outbound: durable_worker.WorkflowOutboundInterceptor) -> None:
        super().init(_TracingWorkflowOutbound(outbound, self))

    async def execute_workflow(self, input: durable_worker.ExecuteWorkflowInput) -> Any:
        with _attached(self._workflow_context()):
            name = workflow.info().workflow_type
            self._completed_span(f"RunWorkflow:{name}", kind=SpanKind.SERVER)
            try:
                result = await super().execute_workflow(input)
            except FailureError as e:  # the errors that fail the workflow (not its task)
                self._completed_span(f"CompleteWorkflow:{name}", kind=SpanKind.INTERNAL,
                                     exception=e)
                raise
            self._completed_span(f"CompleteWorkflow:{name}", kind=SpanKind.INTERNAL)
            return result

    async def handle_signal(self, input: durable_worker.HandleSignalInput) -> None:
        with self._handler_context(input.headers) as links:
            self._completed_span(f"HandleSignal:{input.signal}", kind=SpanKind.SERVER,
                                 links=links)
            await super().handle_signal(input)

    async def handle_query(self, input: durable_worker.HandleQueryInput) -> Any:
        # Traced only under a caller's span; a query is never replayed, so always recorded.
        caller = self.root._context_from(input.headers)
        with _attached(caller if caller is not None else Context()):
            if caller is not None:
                self._completed_span(f"HandleQuery:{input.query}", kind=SpanKind.SERVER,
                                     links=self._workflow_links(), even_on_replay=True)
            return await super().handle_query(input)

    def handle_update_validator(self, input: durable_worker.HandleUpdateInput) -> None:
        with self._handler_context(input.headers) as links:
            self._completed_span(f"HandleUpdateValidator:{input.update}", kind=SpanKind.SERVER,
                                 links=links)
            super().handle_update_validator(input)

    async def handle_update_handler(self, input: durable_worker.HandleUpdateInput) -> Any:
        with self._handler_context(input.headers) as links:
            self._completed_span(f"HandleUpdateHandler:{input.update}",
                                 kind=SpanKind.SERVER, links=links)
            return await super().handle_update_handler(input)

    # --- helpers -----------------------------------------------------------------------

    def _workflow_context(self) -> Context:
        """The context propagated with the workflow's start (empty without one)."""
        if not self._workflow_carrier_loaded:
            self._workflow_carrier = self.root._carrier_from(workflow.info().headers)
            self._workflow_carrier_loaded = True
        if self._workflow_carrier is None:
            return Context()
        return self.root.text_map_propagator.extract(self._workflow_carrier)

    def _workflow_links(self) -> Sequence[opentelemetry.trace.Link]:
        span = opentelemetry.trace.get_current_span(self._workflow_context())
        context = span.get_span_context()
        return [opentelemetry.trace.Link(context)] if context.is_valid else []

    @contextlib.contextmanager
    def _handler_context(self, headers: Mapping[str, Payload]
                         ) -> Iterator[Sequence[opentelemetry.trace.Link]]:
        """The caller's context current (the workflow's without one); yields the links of
        the handler span (to the workflow's start span when the caller's is the parent)."""
        caller = self.root._context_from(headers)
        if caller is None:
            with _attached(self._workflow_context()):
                yield []
            return
        with _attached(caller):
            yield self._workflow_links()

    def _completed_span(self, name: str, *, kind: SpanKind,
                        links: Sequence[opentelemetry.trace.Link] = (),
                        exception: BaseException | None = None, even_on_replay: bool = False,
                        carry: _WithHeaders | None = None) -> None:
        """Record a zero-duration span under the current context (unless replaying, or
        without a parent and not ``always_create_workflow_spans``); ``carry``'s headers get
        its context."""
        if workflow.unsafe.is_replaying() and not even_on_replay:
            return
        parent = opentelemetry.context.get_current()
        no_parent = (opentelemetry.trace.get_current_span(parent)
                     is opentelemetry.trace.INVALID_SPAN)
        if no_parent and not self.root.always_create_workflow_spans:
            return
        info = workflow.info()
        attributes = {"temporalWorkflowID": info.workflow_id, "temporalRunID": info.run_id}
        at = workflow.time_ns()
        # The SDK draws span ids from `random` and its processors may do I/O: neither
        # changes what the workflow does, so the guard is lifted for them.
        with workflow.unsafe.sandbox_unrestricted():
            span = self.root.tracer.start_span(name, parent, kind=kind, attributes=attributes,
                                               links=list(links), start_time=at)
            if exception is not None:
                span.record_exception(exception)
                status = _error_status(exception)
                if status is not None:
                    span.set_status(status)
            span.end(end_time=at)
        if carry is not None:
            carry.headers = self.root._headers_with(
                carry.headers, opentelemetry.trace.set_span_in_context(span, parent))


class _TracingWorkflowOutbound(durable_worker.WorkflowOutboundInterceptor):
    def __init__(self, next: durable_worker.WorkflowOutboundInterceptor,
                 root: TracingWorkflowInboundInterceptor) -> None:
        super().__init__(next)
        self.root = root

    def start_activity(self, input: durable_worker.StartActivityInput) -> Any:
        self.root._completed_span(f"StartActivity:{input.activity}", kind=SpanKind.CLIENT,
                                  carry=input)
        return super().start_activity(input)

    def start_local_activity(self, input: durable_worker.StartLocalActivityInput) -> Any:
        self.root._completed_span(f"StartActivity:{input.activity}", kind=SpanKind.CLIENT,
                                  carry=input)
        return super().start_local_activity(input)

    async def start_child_workflow(self, input: durable_worker.StartChildWorkflowInput) -> Any:
        self.root._completed_span(f"StartChildWorkflow:{input.workflow}", kind=SpanKind.CLIENT,
                                  carry=input)
        return await super().start_child_workflow(input)
