// durable._core: pybind11 glue over durable::Service (the embedded engines of a data
// directory, or the remote transport to durable-server) and durable::WorkflowReplayer. Thin by design: requests and responses cross as serialized
// protobuf bytes, the GIL is released while the core works, and one function
// (RaiseStatus) turns a non-OK Status into the matching durable.exceptions class.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "durable/engine.h"
#include "durable/namespaces.h"
#include "durable/remote.h"
#include "durable/replay.h"

namespace py = pybind11;
using durable::Status;
using durable::StatusCode;

namespace {

// The one place a Status becomes a Python exception.
[[noreturn]] void RaiseStatus(const Status& status) {
  const char* cls = "InternalError";
  switch (status.code()) {
    case StatusCode::kNotFound: cls = "NotFoundError"; break;
    case StatusCode::kAlreadyExists: cls = "AlreadyExistsError"; break;
    case StatusCode::kInvalidArgument: cls = "InvalidArgumentError"; break;
    case StatusCode::kFailedPrecondition: cls = "FailedPreconditionError"; break;
    case StatusCode::kNondeterminism: cls = "NondeterminismError"; break;
    case StatusCode::kResourceExhausted: cls = "ResourceExhaustedError"; break;
    case StatusCode::kUnavailable: cls = "UnavailableError"; break;
    case StatusCode::kDeadlineExceeded: cls = "DeadlineExceededError"; break;
    case StatusCode::kCancelled: cls = "RPCCancelledError"; break;
    case StatusCode::kUnauthenticated: cls = "UnauthenticatedError"; break;
    case StatusCode::kPermissionDenied: cls = "PermissionDeniedError"; break;
    case StatusCode::kDataLoss: cls = "DataLossError"; break;
    case StatusCode::kInternal:
    case StatusCode::kOk: break;
  }
  py::object exc = py::module_::import("durable.exceptions").attr(cls)(status.message());
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

template <typename Msg>
Msg Parse(const py::bytes& data, const char* what) {
  Msg msg;
  std::string_view view = data;
  if (!msg.ParseFromArray(view.data(), static_cast<int>(view.size()))) {
    RaiseStatus(Status::InvalidArgument(std::string("cannot parse ") + what));
  }
  return msg;
}

// What a transport opened: a data directory (the engines of its namespaces, in this process)
// or a connection to durable-server. Kept alive by every call in progress (shared_ptr), so
// closing while another thread is inside a call is safe.
struct Root {
  std::unique_ptr<durable::Namespaces> namespaces;  // embedded
  std::unique_ptr<durable::RemoteClient> remote;    // remote
  std::shared_ptr<durable::Clock> clock;            // embedded only

  durable::Result<durable::Service*> ServiceFor(const std::string& ns) {
    if (remote) return &remote->ForNamespace(ns);
    DURABLE_ASSIGN_OR_RETURN(durable::Engine * engine, namespaces->Get(ns));
    return static_cast<durable::Service*>(engine);
  }
  durable::Result<durable::Engine*> EngineFor(const std::string& ns) {
    if (remote) {
      return Status::FailedPrecondition(
          "time skipping needs the embedded engine (a durable-server runs on real time)");
    }
    return namespaces->Get(ns);
  }
  // Namespace administration goes to whichever side holds the registry.
  template <typename Req, typename Resp>
  Status Admin(const Req& req, Resp* resp,
               Status (durable::Namespaces::*local)(const Req&, Resp*),
               Status (durable::RemoteClient::*rpc)(const Req&, Resp*)) {
    return remote ? (remote.get()->*rpc)(req, resp) : (namespaces.get()->*local)(req, resp);
  }
};

// The Python-visible handle of a Root; close() drops it (the Root goes when its last call
// returns).
class RootHandle {
 public:
  explicit RootHandle(std::shared_ptr<Root> root) : root_(std::move(root)) {}
  std::shared_ptr<Root> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!root_) RaiseStatus(Status::Unavailable("the engine is closed"));
    return root_;
  }
  void Close() {
    std::shared_ptr<Root> root;
    {
      std::lock_guard<std::mutex> lock(mu_);
      root = std::move(root_);
    }
    py::gil_scoped_release release;
    root.reset();
  }

 private:
  std::mutex mu_;
  std::shared_ptr<Root> root_;
};

// One namespace's Service: the RPCs of service.proto, whichever transport is behind it.
struct ServiceHandle {
  std::shared_ptr<RootHandle> root;
  std::string ns;
};

void CheckOk(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

// Runs `fn(root)` without the GIL, raising its non-OK Status.
template <typename Fn>
void WithoutGil(const std::shared_ptr<Root>& root, Fn fn) {
  Status status;
  {
    py::gil_scoped_release release;
    status = fn(*root);
  }
  CheckOk(status);
}

// Binds one Service method as `name(request_bytes, metadata=[], timeout_us=0) ->
// response_bytes`; metadata and timeout are the call's options (durable::CallOptions).
template <typename Req, typename Resp>
void BindRpc(py::class_<ServiceHandle>& cls, const char* name,
             Status (durable::Service::*method)(const Req&, Resp*)) {
  cls.def(
      name,
      [method, name](ServiceHandle& self, const py::bytes& data,
                     std::vector<std::pair<std::string, std::string>> metadata,
                     int64_t timeout_us) {
        Req req = Parse<Req>(data, name);
        Resp resp;
        std::string out;
        std::shared_ptr<Root> root = self.root->Get();
        WithoutGil(root, [&](Root& r) {
          durable::CallOptionsScope scope({std::move(metadata), timeout_us});
          DURABLE_ASSIGN_OR_RETURN(durable::Service * svc, r.ServiceFor(self.ns));
          Status status = (svc->*method)(req, &resp);
          if (status.ok()) resp.SerializeToString(&out);
          return status;
        });
        return py::bytes(out);
      },
      py::arg("request"), py::arg("metadata") = std::vector<std::pair<std::string, std::string>>{},
      py::arg("timeout_us") = 0);
}

// Binds one namespace-administration call on the root handle.
template <typename Req, typename Resp>
void BindAdmin(py::class_<RootHandle, std::shared_ptr<RootHandle>>& cls, const char* name,
               Status (durable::Namespaces::*local)(const Req&, Resp*),
               Status (durable::RemoteClient::*rpc)(const Req&, Resp*)) {
  cls.def(name, [name, local, rpc](RootHandle& self, const py::bytes& data) {
    Req req = Parse<Req>(data, name);
    Resp resp;
    std::shared_ptr<Root> root = self.Get();
    WithoutGil(root, [&](Root& r) { return r.Admin(req, &resp, local, rpc); });
    return py::bytes(resp.SerializeAsString());
  });
}

// Runs `fn(engine)` on the namespace's embedded engine without the GIL (time skipping).
template <typename Fn>
void OnEngine(ServiceHandle& self, Fn fn) {
  std::shared_ptr<Root> root = self.root->Get();
  WithoutGil(root, [&](Root& r) {
    DURABLE_ASSIGN_OR_RETURN(durable::Engine * engine, r.EngineFor(self.ns));
    return fn(*engine);
  });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "durable's C++ core: the embedded engine and the replay core (internal).";

  py::class_<RootHandle, std::shared_ptr<RootHandle>> root(m, "Root");
  py::class_<ServiceHandle> engine(m, "Service");

  py::class_<durable::EngineLimits>(m, "EngineLimits")
      .def(py::init<>())
      .def_readwrite("max_payload_bytes", &durable::EngineLimits::max_payload_bytes)
      .def_readwrite("warn_payload_bytes", &durable::EngineLimits::warn_payload_bytes)
      .def_readwrite("max_history_events", &durable::EngineLimits::max_history_events)
      .def_readwrite("warn_history_events", &durable::EngineLimits::warn_history_events)
      .def_readwrite("max_history_bytes", &durable::EngineLimits::max_history_bytes)
      .def_readwrite("warn_history_bytes", &durable::EngineLimits::warn_history_bytes)
      .def_readwrite("max_id_length", &durable::EngineLimits::max_id_length)
      .def_readwrite("max_pending_activities", &durable::EngineLimits::max_pending_activities)
      .def_readwrite("max_pending_children", &durable::EngineLimits::max_pending_children)
      .def_readwrite("max_pending_signals", &durable::EngineLimits::max_pending_signals)
      .def_readwrite("max_pending_cancels", &durable::EngineLimits::max_pending_cancels);

  m.def(
      "open_data_dir",
      [](const std::string& directory, bool sync_writes, bool virtual_clock,
         bool accept_data_loss, const durable::EngineLimits& limits) {
        durable::NamespacesOptions options;
        options.engine.sync_writes = sync_writes;
        options.engine.accept_data_loss = accept_data_loss;
        options.engine.limits = limits;
        // A test clock that flows with real time and jumps when skipping (Temporal's).
        options.engine.clock =
            virtual_clock ? std::make_shared<durable::VirtualClock>(0, /*follows_real_time=*/true)
                          : durable::SystemClock();
        auto r = std::make_shared<Root>();
        r->clock = options.engine.clock;
        Status status;
        {
          py::gil_scoped_release release;
          auto opened = durable::OpenNamespaces(directory, options);
          status = opened.status();
          if (status.ok()) r->namespaces = std::move(opened).value();
        }
        CheckOk(status);
        return std::make_shared<RootHandle>(std::move(r));
      },
      py::arg("directory"), py::arg("sync_writes") = true, py::arg("virtual_clock") = false,
      py::arg("accept_data_loss") = false, py::arg("limits") = durable::EngineLimits{});

  m.def(
      "connect_remote",
      [](const std::string& target, bool tls, const std::string& server_root_ca_cert,
         const std::string& client_cert, const std::string& client_private_key,
         const std::string& domain, const std::string& api_key,
         const std::vector<std::pair<std::string, std::string>>& metadata,
         int64_t connect_timeout_us) {
        durable::RemoteOptions options;
        options.target = target;
        options.tls = tls;
        options.server_root_ca_cert = server_root_ca_cert;
        options.client_cert = client_cert;
        options.client_private_key = client_private_key;
        options.domain = domain;
        options.api_key = api_key;
        options.metadata = metadata;
        if (connect_timeout_us >= 0) options.connect_timeout_us = connect_timeout_us;
        auto r = std::make_shared<Root>();
        Status status;
        {
          py::gil_scoped_release release;
          auto connected = durable::ConnectRemote(options);
          status = connected.status();
          if (status.ok()) r->remote = std::move(connected).value();
        }
        CheckOk(status);
        return std::make_shared<RootHandle>(std::move(r));
      },
      py::arg("target"), py::arg("tls") = false, py::arg("server_root_ca_cert") = "",
      py::arg("client_cert") = "", py::arg("client_private_key") = "", py::arg("domain") = "",
      py::arg("api_key") = "",
      py::arg("metadata") = std::vector<std::pair<std::string, std::string>>{},
      py::arg("connect_timeout_us") = -1);

  root.def("close", &RootHandle::Close);
  root.def("service", [](std::shared_ptr<RootHandle> self, const std::string& ns) {
    return ServiceHandle{std::move(self), ns};
  });
  root.def_property_readonly("is_remote", [](RootHandle& self) { return bool(self.Get()->remote); });
  using N = durable::Namespaces;
  using R = durable::RemoteClient;
  BindAdmin(root, "register_namespace", &N::RegisterNamespace, &R::RegisterNamespace);
  BindAdmin(root, "describe_namespace", &N::DescribeNamespace, &R::DescribeNamespace);
  BindAdmin(root, "list_namespaces", &N::ListNamespaces, &R::ListNamespaces);
  BindAdmin(root, "update_namespace", &N::UpdateNamespace, &R::UpdateNamespace);
  root.def("sweep_retention", [](RootHandle& self) {
    std::shared_ptr<Root> r = self.Get();
    if (!r->namespaces) RaiseStatus(Status::FailedPrecondition("retention sweeps run on the server"));
    int64_t deleted = 0;
    WithoutGil(r, [&](Root& root) {
      auto n = root.namespaces->SweepRetention();
      if (n.ok()) deleted = n.value();
      return n.status();
    });
    return deleted;
  });

  engine.def("set_time_skipping", [](ServiceHandle& self, bool enabled) {
    OnEngine(self, [&](durable::Engine& e) { return e.SetTimeSkipping(enabled); });
  });
  engine.def("skip_time", [](ServiceHandle& self, int64_t duration_us) {
    OnEngine(self, [&](durable::Engine& e) { return e.SkipTime(duration_us); });
  });
  engine.def("skip_time_when_idle", [](ServiceHandle& self, int64_t duration_us) {
    OnEngine(self, [&](durable::Engine& e) { return e.SkipTimeWhenIdle(duration_us); });
  });
  engine.def("now_us", [](ServiceHandle& self) {
    std::shared_ptr<Root> r = self.root->Get();
    return r->clock ? r->clock->NowMicros() : durable::SystemClock()->NowMicros();
  });

  using S = durable::Service;
  BindRpc(engine, "start_workflow_execution", &S::StartWorkflowExecution);
  BindRpc(engine, "signal_workflow_execution", &S::SignalWorkflowExecution);
  BindRpc(engine, "query_workflow", &S::QueryWorkflow);
  BindRpc(engine, "update_workflow_execution", &S::UpdateWorkflowExecution);
  BindRpc(engine, "poll_workflow_execution_update", &S::PollWorkflowExecutionUpdate);
  BindRpc(engine, "update_with_start_workflow_execution", &S::UpdateWithStartWorkflowExecution);
  BindRpc(engine, "request_cancel_workflow_execution", &S::RequestCancelWorkflowExecution);
  BindRpc(engine, "terminate_workflow_execution", &S::TerminateWorkflowExecution);
  BindRpc(engine, "reset_workflow_execution", &S::ResetWorkflowExecution);
  BindRpc(engine, "describe_workflow_execution", &S::DescribeWorkflowExecution);
  BindRpc(engine, "get_workflow_execution_history", &S::GetWorkflowExecutionHistory);
  BindRpc(engine, "list_workflow_executions", &S::ListWorkflowExecutions);
  BindRpc(engine, "count_workflow_executions", &S::CountWorkflowExecutions);
  BindRpc(engine, "add_search_attributes", &S::AddSearchAttributes);
  BindRpc(engine, "list_search_attributes", &S::ListSearchAttributes);
  BindRpc(engine, "create_schedule", &S::CreateSchedule);
  BindRpc(engine, "describe_schedule", &S::DescribeSchedule);
  BindRpc(engine, "update_schedule", &S::UpdateSchedule);
  BindRpc(engine, "patch_schedule", &S::PatchSchedule);
  BindRpc(engine, "delete_schedule", &S::DeleteSchedule);
  BindRpc(engine, "list_schedules", &S::ListSchedules);
  BindRpc(engine, "start_batch_operation", &S::StartBatchOperation);
  BindRpc(engine, "describe_batch_operation", &S::DescribeBatchOperation);
  BindRpc(engine, "list_batch_operations", &S::ListBatchOperations);
  BindRpc(engine, "stop_batch_operation", &S::StopBatchOperation);
  BindRpc(engine, "poll_workflow_task_queue", &S::PollWorkflowTaskQueue);
  BindRpc(engine, "respond_workflow_task_completed", &S::RespondWorkflowTaskCompleted);
  BindRpc(engine, "respond_workflow_task_failed", &S::RespondWorkflowTaskFailed);
  BindRpc(engine, "respond_query_task_completed", &S::RespondQueryTaskCompleted);
  BindRpc(engine, "poll_activity_task_queue", &S::PollActivityTaskQueue);
  BindRpc(engine, "record_activity_task_heartbeat", &S::RecordActivityTaskHeartbeat);
  BindRpc(engine, "respond_activity_task_completed", &S::RespondActivityTaskCompleted);
  BindRpc(engine, "respond_activity_task_failed", &S::RespondActivityTaskFailed);
  BindRpc(engine, "respond_activity_task_canceled", &S::RespondActivityTaskCanceled);
  BindRpc(engine, "get_activity_task_token", &S::GetActivityTaskToken);
  BindRpc(engine, "shutdown_worker", &S::ShutdownWorker);

  py::class_<durable::WorkflowReplayer>(m, "WorkflowReplayer")
      .def(py::init<std::string, std::string>(), py::arg("workflow_id"), py::arg("run_id"))
      .def("add_history",
           [](durable::WorkflowReplayer& self, const py::bytes& data) {
             CheckOk(self.AddHistory(Parse<durable::v1::History>(data, "History")));
           })
      .def("add_task",
           // A poll response's bytes as the engine sent them: its history and updates go
           // to the replayer without being rebuilt as Python objects and re-serialized.
           [](durable::WorkflowReplayer& self, const py::bytes& data) {
             auto task = Parse<durable::v1::PollWorkflowTaskQueueResponse>(
                 data, "PollWorkflowTaskQueueResponse");
             CheckOk(self.AddHistory(task.history()));
             if (task.updates_size() > 0) {
               self.AddPendingUpdates({task.updates().begin(), task.updates().end()});
             }
           })
      .def("add_pending_updates",
           [](durable::WorkflowReplayer& self, const std::vector<py::bytes>& updates) {
             std::vector<durable::v1::UpdateRequest> parsed;
             for (const py::bytes& u : updates) {
               parsed.push_back(Parse<durable::v1::UpdateRequest>(u, "UpdateRequest"));
             }
             self.AddPendingUpdates(parsed);
           })
      .def("next_activation",
           [](durable::WorkflowReplayer& self) -> py::object {
             auto next = self.NextActivation();
             CheckOk(next.status());
             if (!next.value().has_value()) return py::none();
             return py::bytes(next.value()->SerializeAsString());
           })
      .def("complete",
           [](durable::WorkflowReplayer& self, const py::bytes& data) {
             CheckOk(self.Complete(Parse<durable::v1::WorkflowActivationCompletion>(
                 data, "WorkflowActivationCompletion")));
           })
      .def("take_commands",
           [](durable::WorkflowReplayer& self) {
             durable::v1::WorkflowActivationCompletion::Success success;
             for (auto& c : self.TakeCommands()) *success.add_commands() = std::move(c);
             return py::bytes(success.SerializeAsString());
           })
      .def("take_failure",
           [](durable::WorkflowReplayer& self) -> py::object {
             auto failure = self.TakeFailure();
             if (!failure) return py::none();
             return py::bytes(failure->SerializeAsString());
           })
      .def("take_local_activity_requests",
           [](durable::WorkflowReplayer& self) {
             std::vector<py::bytes> out;
             for (const auto& r : self.TakeLocalActivityRequests()) {
               out.emplace_back(r.SerializeAsString());
             }
             return out;
           })
      .def("take_local_activity_cancels", &durable::WorkflowReplayer::TakeLocalActivityCancels)
      .def(
          "resolve_local_activity",
          [](durable::WorkflowReplayer& self, int32_t seq, const py::bytes& resolution,
             int32_t attempt, int64_t elapsed_us) {
            CheckOk(self.ResolveLocalActivity(
                seq, Parse<durable::v1::ActivityResolution>(resolution, "ActivityResolution"),
                attempt, elapsed_us));
          },
          py::arg("seq"), py::arg("resolution"), py::arg("attempt"), py::arg("elapsed_us"))
      .def_property_readonly("last_event_id", &durable::WorkflowReplayer::last_event_id)
      .def_property_readonly("is_replaying", &durable::WorkflowReplayer::is_replaying);
}
