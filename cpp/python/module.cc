// durable._core: pybind11 glue over durable::Service (the embedded engine) and
// durable::WorkflowReplayer. Thin by design: requests and responses cross as serialized
// protobuf bytes, the GIL is released while the core works, and one function
// (RaiseStatus) turns a non-OK Status into the matching durable.exceptions class.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <string>

#include "durable/engine.h"
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

// The engine behind a handle that Python can close explicitly (and that closes on GC).
class EngineHandle {
 public:
  EngineHandle(std::unique_ptr<durable::Engine> engine, std::shared_ptr<durable::Clock> clock)
      : engine_(std::move(engine)), clock_(std::move(clock)) {}

  // The engine's clock (its virtual clock in tests).
  int64_t NowMicros() const { return clock_->NowMicros(); }

  durable::Engine& Get() {
    if (!engine_) RaiseStatus(Status::Unavailable("the engine is closed"));
    return *engine_;
  }
  void Close() {
    std::unique_ptr<durable::Engine> engine;
    {
      std::lock_guard<std::mutex> lock(mu_);
      engine = std::move(engine_);
    }
    py::gil_scoped_release release;
    engine.reset();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<durable::Engine> engine_;
  std::shared_ptr<durable::Clock> clock_;
};

// Binds one Service method as `name(request_bytes) -> response_bytes`.
template <typename Req, typename Resp>
void BindRpc(py::class_<EngineHandle>& cls, const char* name,
             Status (durable::Service::*method)(const Req&, Resp*)) {
  cls.def(name, [method, name](EngineHandle& self, const py::bytes& data) {
    Req req = Parse<Req>(data, name);
    Resp resp;
    std::string out;
    Status status;
    durable::Engine& engine = self.Get();
    {
      py::gil_scoped_release release;
      status = (engine.*method)(req, &resp);
      if (status.ok()) resp.SerializeToString(&out);
    }
    if (!status.ok()) RaiseStatus(status);
    return py::bytes(out);
  });
}

void CheckOk(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "durable's C++ core: the embedded engine and the replay core (internal).";

  py::class_<EngineHandle> engine(m, "Engine");
  m.def(
      "open_engine",
      [](const std::string& directory, bool sync_writes, bool virtual_clock) {
        durable::EngineOptions options;
        options.sync_writes = sync_writes;
        // A test clock that flows with real time and jumps when skipping (Temporal's).
        options.clock = virtual_clock
                            ? std::make_shared<durable::VirtualClock>(0, /*follows_real_time=*/true)
                            : durable::SystemClock();
        durable::Result<std::unique_ptr<durable::Engine>> opened = Status::Internal("unset");
        {
          py::gil_scoped_release release;
          opened = durable::OpenEngine(directory, options);
        }
        CheckOk(opened.status());
        return std::make_unique<EngineHandle>(std::move(opened).value(), options.clock);
      },
      py::arg("directory"), py::arg("sync_writes") = true, py::arg("virtual_clock") = false);

  engine.def("close", &EngineHandle::Close);
  engine.def("set_time_skipping", [](EngineHandle& self, bool enabled) {
    CheckOk(self.Get().SetTimeSkipping(enabled));
  });
  engine.def("skip_time", [](EngineHandle& self, int64_t duration_us) {
    durable::Engine& e = self.Get();
    Status status;
    {
      py::gil_scoped_release release;
      status = e.SkipTime(duration_us);
    }
    CheckOk(status);
  });
  engine.def("skip_time_when_idle", [](EngineHandle& self, int64_t duration_us) {
    durable::Engine& e = self.Get();
    Status status;
    {
      py::gil_scoped_release release;
      status = e.SkipTimeWhenIdle(duration_us);
    }
    CheckOk(status);
  });
  engine.def("now_us", &EngineHandle::NowMicros);

  using S = durable::Service;
  BindRpc(engine, "start_workflow_execution", &S::StartWorkflowExecution);
  BindRpc(engine, "signal_workflow_execution", &S::SignalWorkflowExecution);
  BindRpc(engine, "query_workflow", &S::QueryWorkflow);
  BindRpc(engine, "update_workflow_execution", &S::UpdateWorkflowExecution);
  BindRpc(engine, "poll_workflow_execution_update", &S::PollWorkflowExecutionUpdate);
  BindRpc(engine, "request_cancel_workflow_execution", &S::RequestCancelWorkflowExecution);
  BindRpc(engine, "terminate_workflow_execution", &S::TerminateWorkflowExecution);
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
