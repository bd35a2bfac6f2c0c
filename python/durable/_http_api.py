"""The HTTP/JSON API (``durable http-api``, docs/http-api.md): EMCO-style ``POST
/invoke/{client-name}`` plus status, cancel, terminate, signal and reset, and batch
operations under ``/batch/{namespace}`` (those two in ``durable._http_operations``), in
front of a durable target. Standard library only (``http.server``): one thread per request,
and one asyncio loop on its own thread holding the Clients, which every request's coroutine
runs on.

Thread-safe: requests only submit coroutines to the loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from durable.cli._common import duration
from durable.cli._exit import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pyproject's tomli dependency, as durable.envconfig
    import tomli as tomllib


class ApiError(Exception):
    """A request refused with ``status`` and a JSON body naming the ``field`` if any."""

    def __init__(self, status: HTTPStatus, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.field = status, field


@dataclass(frozen=True)
class WorkflowClientSpec:
    """One ``[clients.NAME]`` of the config file: what ``/invoke/NAME`` starts."""

    name: str
    workflow_type: str
    task_queue: str
    namespace: str = "default"


def load_clients(path: str) -> dict[str, WorkflowClientSpec]:
    """``[clients.NAME]`` tables with ``workflow_type``, ``task_queue``, optional ``namespace``.

    Raises:
        UsageError: unreadable file, bad TOML, a table missing a key (named).
    """
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"--config {path}: {e}") from None
    clients = {}
    for name, t in (doc.get("clients") or {}).items():
        for key in ("workflow_type", "task_queue"):
            if not isinstance(t.get(key), str) or not t[key]:
                raise UsageError(f"--config {path}: [clients.{name}] needs {key} (a string)")
        clients[name] = WorkflowClientSpec(name, t["workflow_type"], t["task_queue"],
                                           t.get("namespace", "default"))
    if not clients:
        raise UsageError(f"--config {path}: no [clients.NAME] table")
    return clients


_STATUS_OF = [  # exception class name -> HTTP status (durable.exceptions, checked in order)
    ("NotFoundError", HTTPStatus.NOT_FOUND),
    ("WorkflowAlreadyStartedError", HTTPStatus.CONFLICT),
    ("AlreadyExistsError", HTTPStatus.CONFLICT),
    ("FailedPreconditionError", HTTPStatus.CONFLICT),
    ("InvalidArgumentError", HTTPStatus.BAD_REQUEST),
    ("UnauthenticatedError", HTTPStatus.UNAUTHORIZED),
    ("PermissionDeniedError", HTTPStatus.FORBIDDEN),
    ("DeadlineExceededError", HTTPStatus.GATEWAY_TIMEOUT),
    ("UnavailableError", HTTPStatus.SERVICE_UNAVAILABLE),
    ("WorkflowQueryFailedError", HTTPStatus.UNPROCESSABLE_ENTITY),
]


def _http_status(e: BaseException) -> HTTPStatus:
    names = {c.__name__ for c in type(e).__mro__}
    for name, status in _STATUS_OF:
        if name in names:
            return status
    return HTTPStatus.INTERNAL_SERVER_ERROR


class Api:
    """The endpoints, as coroutines on the loop that owns the clients."""

    def __init__(self, connect_kwargs: dict[str, Any], clients: dict[str, WorkflowClientSpec],
                 api_keys: dict[str, set[str]] | None) -> None:
        self._connect_kwargs = connect_kwargs
        self.clients = clients
        self._api_keys = api_keys
        self._by_namespace: dict[str, Any] = {}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="durable-http-api",
                                        daemon=True)
        self._thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def client(self, namespace: str) -> Any:
        from durable.client import Client

        if namespace not in self._by_namespace:
            kwargs = {**self._connect_kwargs, "namespace": namespace}
            self._by_namespace[namespace] = await Client.connect(kwargs.pop("target_host"),
                                                                 **kwargs)
        return self._by_namespace[namespace]

    def check_key(self, authorization: str | None, namespace: str) -> None:
        """As durable-server: no or unknown key 401, a key not covering the namespace 403."""
        if self._api_keys is None:
            return
        key = (authorization or "").removeprefix("Bearer ").strip()
        if key not in self._api_keys:
            raise ApiError(HTTPStatus.UNAUTHORIZED, "missing or unknown API key "
                                                    "(Authorization: Bearer KEY)")
        allowed = self._api_keys[key]
        if "*" not in allowed and namespace not in allowed:
            raise ApiError(HTTPStatus.FORBIDDEN,
                           f"the API key does not cover namespace {namespace!r}")

    def close(self) -> None:
        """Close the clients and stop the loop (the API is unusable after)."""
        async def close_all() -> None:
            for c in self._by_namespace.values():
                await c.close()
            self._by_namespace.clear()

        self.run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()

    async def in_namespace(self, namespace: str, endpoint: Any, *args: Any) -> Any:
        """``endpoint(client, *args)`` with the namespace's client: the operator endpoints
        of ``durable._http_operations``."""
        return await endpoint(await self.client(namespace), *args)

    async def invoke(self, spec: WorkflowClientSpec, body: dict[str, Any]) -> tuple[int, Any]:
        client = await self.client(spec.namespace)
        params = params_field(body)
        wid = str_field(body, "workflowId") or str(uuid.uuid4())
        opts = _start_options(body.get("startOptions") or {})
        timeout = _duration(body, "hookBlockingTimeout")  # checked before anything starts
        handle = await client.start_workflow(spec.workflow_type, args=params, id=wid,
                                             task_queue=spec.task_queue, **opts)
        out: dict[str, Any] = {"workflowId": handle.id, "runId": handle.run_id,
                               "workflowType": spec.workflow_type, "taskQueue": spec.task_queue,
                               "namespace": spec.namespace}
        if not body.get("hookBlocking"):
            return HTTPStatus.CREATED, out
        outcome = await _outcome(handle, timeout)
        return (HTTPStatus.ACCEPTED if outcome["status"] == "RUNNING" else HTTPStatus.OK,
                {**out, **outcome})

    async def status(self, spec: WorkflowClientSpec, wid: str,
                     q: dict[str, list[str]]) -> dict[str, Any]:
        from google.protobuf import json_format

        from durable.cli.workflow import _execution_dict
        from durable.cli._output import jsonable

        client = await self.client(spec.namespace)
        handle = client.get_workflow_handle(wid, run_id=_q(q, "runId"))
        out: dict[str, Any] = {"workflowId": wid}
        parts = set((_q(q, "include") or "description").split(","))
        unknown = parts - {"description", "history", "result", "query"}
        if unknown:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"include: unknown part(s) {sorted(unknown)};"
                           " use description, history, result, query", "include")
        if "description" in parts:
            out["description"] = jsonable(_execution_dict(await handle.describe()))
        if "history" in parts:
            out["history"] = json_format.MessageToDict((await handle.fetch_history()).to_proto())
        if "result" in parts:
            wait = _q(q, "wait")
            out.update(jsonable(await _outcome(handle, duration(wait, "wait") if wait else
                                               timedelta(microseconds=1))))
        if "query" in parts:
            name = _q(q, "queryName")
            if not name:
                raise ApiError(HTTPStatus.BAD_REQUEST, "include=query needs queryName",
                               "queryName")
            try:
                args = json.loads(_q(q, "queryParams") or "[]")
            except json.JSONDecodeError as e:
                raise ApiError(HTTPStatus.BAD_REQUEST, f"queryParams is not JSON: {e.msg}",
                               "queryParams") from None
            if not isinstance(args, list):
                raise ApiError(HTTPStatus.BAD_REQUEST, "queryParams must be a JSON array",
                               "queryParams")
            out["queryResult"] = jsonable(await handle.query(name, args=args))
        return out

    async def act(self, spec: WorkflowClientSpec, wid: str, action: str,
                  body: dict[str, Any]) -> dict[str, Any]:
        client = await self.client(spec.namespace)
        handle = client.get_workflow_handle(wid, run_id=str_field(body, "runId"))
        reason = str_field(body, "reason") or ""
        if action == "cancel":
            await handle.cancel(reason=reason)
        elif action == "terminate":
            await handle.terminate(reason=reason or None)
        else:
            await handle.signal(action.removeprefix("signal/"), args=params_field(body))
        return {"workflowId": wid, "done": action}


async def _outcome(handle: Any, timeout: timedelta | None) -> dict[str, Any]:
    from durable.cli.workflow import _outcome as closed_outcome
    from durable.exceptions import DeadlineExceededError

    try:
        return await closed_outcome(handle, timeout)
    except DeadlineExceededError:
        return {"status": "RUNNING"}


def _q(q: dict[str, list[str]], name: str) -> str | None:
    return q[name][-1] if name in q else None


def str_field(body: dict[str, Any], field: str) -> str | None:
    v = body.get(field)
    if v is not None and (not isinstance(v, str) or not v):
        raise ApiError(HTTPStatus.BAD_REQUEST, f"{field} must be a non-empty string", field)
    return v


def params_field(body: dict[str, Any]) -> list[Any]:
    """``params``: the arguments of a workflow or a signal, a JSON array (default none)."""
    v = body.get("params", [])
    if not isinstance(v, list):
        raise ApiError(HTTPStatus.BAD_REQUEST, "params must be a JSON array (the arguments)",
                       "params")
    return v


def _duration(body: dict[str, Any], field: str) -> timedelta | None:
    v = body.get(field)
    if v is None:
        return None
    try:
        return duration(str(v), field)
    except UsageError as e:
        raise ApiError(HTTPStatus.BAD_REQUEST, str(e), field) from None


def _start_options(o: Any) -> dict[str, Any]:
    from durable.cli.workflow import _CONFLICT, _REUSE
    from durable.common import RetryPolicy, WorkflowIdConflictPolicy, WorkflowIdReusePolicy

    if not isinstance(o, dict):
        raise ApiError(HTTPStatus.BAD_REQUEST, "startOptions must be an object", "startOptions")
    known = {"executionTimeout", "runTimeout", "taskTimeout", "idReusePolicy",
             "idConflictPolicy", "retryPolicy", "memo"}
    for k in o:
        if k not in known:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"unknown start option {k!r} (known: "
                           f"{', '.join(sorted(known))})", f"startOptions.{k}")
    opts: dict[str, Any] = {}
    for k, name in (("executionTimeout", "execution_timeout"), ("runTimeout", "run_timeout"),
                    ("taskTimeout", "task_timeout")):
        if k in o:
            opts[name] = _duration(o, k)
    for k, table, enum, name in (("idReusePolicy", _REUSE, WorkflowIdReusePolicy,
                                  "id_reuse_policy"),
                                 ("idConflictPolicy", _CONFLICT, WorkflowIdConflictPolicy,
                                  "id_conflict_policy")):
        if k in o:
            if o[k] not in table:
                raise ApiError(HTTPStatus.BAD_REQUEST, f"{k} must be one of "
                               f"{', '.join(table)}", f"startOptions.{k}")
            opts[name] = enum[table[o[k]]]
    if "retryPolicy" in o:
        r = o["retryPolicy"]
        if not isinstance(r, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "retryPolicy must be an object",
                           "startOptions.retryPolicy")
        try:
            opts["retry_policy"] = RetryPolicy(
                initial_interval=_duration(r, "initialInterval") or timedelta(seconds=1),
                backoff_coefficient=float(r.get("backoffCoefficient", 2.0)),
                maximum_interval=_duration(r, "maximumInterval"),
                maximum_attempts=int(r.get("maximumAttempts", 0)),
                non_retryable_error_types=list(r.get("nonRetryableErrorTypes", [])))
        except (TypeError, ValueError) as e:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"retryPolicy: {e}",
                           "startOptions.retryPolicy") from None
    if "memo" in o:
        if not isinstance(o["memo"], dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "memo must be an object", "startOptions.memo")
        opts["memo"] = o["memo"]
    return opts


def make_handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet; errors are in the responses

        def _send(self, status: int, body: Any) -> None:
            data = (json.dumps(body, ensure_ascii=False) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            if not raw.strip():
                return {}
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise ApiError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {e}") from None
            if not isinstance(body, dict):
                raise ApiError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
            return body

        def _invoke(self, method: str, name: str, rest: list[str], query: str) -> Any:
            """``/invoke/{client}/...``: (status, body)."""
            from durable import _http_operations as ops

            spec = api.clients.get(name)
            if spec is None:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no workflow client {name!r} "
                               f"(configured: {', '.join(sorted(api.clients))})")
            api.check_key(self.headers.get("Authorization"), spec.namespace)
            if method == "POST" and not rest:
                return api.run(api.invoke(spec, self._body()))
            if method == "GET" and len(rest) == 2 and rest[1] == "status":
                return 200, api.run(api.status(spec, rest[0], parse_qs(query)))
            if method == "POST" and len(rest) == 2 and rest[1] in ("cancel", "terminate"):
                return 200, api.run(api.act(spec, rest[0], rest[1], self._body()))
            if method == "POST" and len(rest) == 3 and rest[1] == "signal":
                return 200, api.run(api.act(spec, rest[0], "signal/" + rest[2], self._body()))
            if method == "POST" and len(rest) == 2 and rest[1] == "reset":
                return 200, api.run(api.in_namespace(spec.namespace, ops.reset, rest[0],
                                                     self._body()))
            return None

        def _batch(self, method: str, namespace: str, rest: list[str]) -> Any:
            """``/batch/{namespace}/...``: (status, body)."""
            from durable import _http_operations as ops

            if namespace not in {c.namespace for c in api.clients.values()}:
                raise ApiError(HTTPStatus.NOT_FOUND, f"no workflow client in namespace "
                               f"{namespace!r}: batches act on the namespaces of --config")
            api.check_key(self.headers.get("Authorization"), namespace)
            if method == "POST" and rest in (["terminate"], ["cancel"]):
                return 201, api.run(api.in_namespace(namespace, ops.start_batch, rest[0], "",
                                                     self._body()))
            if method == "POST" and len(rest) == 2 and rest[0] == "signal":
                return 201, api.run(api.in_namespace(namespace, ops.start_batch, "signal",
                                                     rest[1], self._body()))
            if method == "GET" and rest == ["jobs"]:
                return 200, api.run(api.in_namespace(namespace, ops.list_batches))
            if method == "GET" and len(rest) == 2 and rest[0] == "jobs":
                return 200, api.run(api.in_namespace(namespace, ops.describe_batch, rest[1]))
            if method == "POST" and len(rest) == 3 and rest[0] == "jobs" and rest[2] == "stop":
                return 200, api.run(api.in_namespace(namespace, ops.stop_batch, rest[1],
                                                     self._body()))
            return None

        def _route(self, method: str) -> None:
            try:
                url = urlsplit(self.path)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                if len(parts) < 2 or parts[0] not in ("invoke", "batch") or not parts[1]:
                    raise ApiError(HTTPStatus.NOT_FOUND, f"no route {url.path}; see "
                                   "docs/http-api.md")
                answer = (self._invoke(method, parts[1], parts[2:], url.query)
                          if parts[0] == "invoke" else self._batch(method, parts[1], parts[2:]))
                if answer is None:
                    raise ApiError(HTTPStatus.NOT_FOUND, f"no route {method} {url.path}")
                self._send(*answer)
            except ApiError as e:
                err = {"code": e.status.phrase, "message": str(e)}
                if e.field:
                    err["field"] = e.field
                self._send(e.status, {"error": err})
            except Exception as e:  # an engine error: its class decides the status
                from durable.cli._exit import message
                status = _http_status(e)
                self._send(status, {"error": {"code": status.phrase, "message": message(e)}})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler


def serve(listen: str, api: Api) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")
    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), make_handler(api))
    server.daemon_threads = True
    return server


def load_api_keys(path: str) -> dict[str, set[str]]:
    """durable-server's ``--api-keys`` format: ``KEY  ns1,ns2`` or ``KEY  *`` a line."""
    keys = {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise UsageError(f"--api-keys {path}: {e.strerror}") from None
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, ns = line.partition(" ")
            keys[key] = {n.strip() for n in ns.strip().split(",") if n.strip()}
    return keys
