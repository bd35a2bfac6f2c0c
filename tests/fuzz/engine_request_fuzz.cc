// libFuzzer target: the engine's request validation. The first byte picks a call, the rest is
// its request message. For RespondWorkflowTaskCompleted the request's commands go with the
// real token of a freshly started workflow's task, so command validation (not just the token
// check) is reached. Any request must be answered with a Status — never a crash, a hang, a
// sanitizer report — and the engine must keep serving.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "durable/engine.h"

namespace {

durable::Engine& TheEngine() {
  static std::unique_ptr<durable::Engine> engine = [] {
    char dir[] = "/tmp/durable-fuzz-XXXXXX";
    if (!mkdtemp(dir)) abort();
    durable::EngineOptions o;
    o.sync_writes = false;  // speed; durability is not what is fuzzed
    o.default_poll_timeout_us = 100'000;
    o.warn = [](const std::string&) {};  // bad commands warn on every input: keep the log readable
    auto r = durable::OpenEngine(dir, o);
    if (!r.ok()) abort();
    return std::move(r).value();
  }();
  return *engine;
}

template <typename Req, typename Resp, typename Call>
void Try(const std::string& bytes, Call call) {
  Req req;
  if (!req.ParseFromString(bytes)) return;
  Resp resp;
  (void)call(req, &resp);
}

void CompleteAFreshTask(durable::Engine& e, const std::string& bytes) {
  durable::v1::RespondWorkflowTaskCompletedRequest req;
  if (!req.ParseFromString(bytes)) return;
  static int64_t n = 0;
  durable::v1::StartWorkflowExecutionRequest start;
  start.set_workflow_id("fz-" + std::to_string(++n));
  start.set_workflow_type("Wf");
  start.set_task_queue("fuzz");
  durable::v1::StartWorkflowExecutionResponse started;
  if (!e.StartWorkflowExecution(start, &started).ok()) abort();  // a valid start must work
  durable::v1::PollWorkflowTaskQueueRequest poll;
  poll.set_task_queue("fuzz");
  poll.set_identity("fuzzer");
  poll.set_timeout_us(1'000'000);
  durable::v1::PollWorkflowTaskQueueResponse task;
  if (!e.PollWorkflowTaskQueue(poll, &task).ok() || task.task_token().empty()) abort();
  req.set_task_token(task.task_token());
  durable::v1::RespondWorkflowTaskCompletedResponse resp;
  (void)e.RespondWorkflowTaskCompleted(req, &resp);
  // Leave nothing running: terminate the run whatever the commands did.
  durable::v1::TerminateWorkflowExecutionRequest t;
  t.mutable_workflow_execution()->set_workflow_id(start.workflow_id());
  durable::v1::TerminateWorkflowExecutionResponse tr;
  (void)e.TerminateWorkflowExecution(t, &tr);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  durable::Engine& e = TheEngine();
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  namespace v1 = durable::v1;
  switch (data[0] % 7) {
    case 0:
      Try<v1::StartWorkflowExecutionRequest, v1::StartWorkflowExecutionResponse>(
          bytes, [&](auto& r, auto* o) { return e.StartWorkflowExecution(r, o); });
      break;
    case 1:
      Try<v1::SignalWorkflowExecutionRequest, v1::SignalWorkflowExecutionResponse>(
          bytes, [&](auto& r, auto* o) { return e.SignalWorkflowExecution(r, o); });
      break;
    case 2:
      Try<v1::ListWorkflowExecutionsRequest, v1::ListWorkflowExecutionsResponse>(
          bytes, [&](auto& r, auto* o) { return e.ListWorkflowExecutions(r, o); });
      break;
    case 3:
      Try<v1::CreateScheduleRequest, v1::CreateScheduleResponse>(
          bytes, [&](auto& r, auto* o) { return e.CreateSchedule(r, o); });
      break;
    case 4:
      Try<v1::TerminateWorkflowExecutionRequest, v1::TerminateWorkflowExecutionResponse>(
          bytes, [&](auto& r, auto* o) { return e.TerminateWorkflowExecution(r, o); });
      break;
    case 5:
      Try<v1::DescribeWorkflowExecutionRequest, v1::DescribeWorkflowExecutionResponse>(
          bytes, [&](auto& r, auto* o) { return e.DescribeWorkflowExecution(r, o); });
      break;
    default:
      CompleteAFreshTask(e, bytes);
  }
  return 0;
}
