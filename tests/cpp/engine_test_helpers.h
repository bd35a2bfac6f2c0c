// Helpers for the engine tests: a temporary directory, a store that injects write
// failures, payload builders, history as a golden string, and short-hands for the calls a
// worker makes. Header-only; used by tests/cpp/engine_*_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "durable/clock.h"
#include "durable/engine.h"
#include "durable/store.h"

namespace durable::testing {

namespace v1 = ::durable::v1;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "durable-engine-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Wraps a store; while fail_writes is set every Write fails before touching the store.
// Counts the writes that reach the store, and those of them asking for a WAL sync.
// fail_execution_reads > 0: that many next reads of a run's mutable state (Get on the
// executions family, what the engine's LoadState does) fail with kInternal, one each.
class FailingStore : public Store {
 public:
  explicit FailingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
  Status Get(ColumnFamily cf, std::string_view key, std::string* value) override {
    if (cf == ColumnFamily::kExecutions) {
      int left = fail_execution_reads->load();
      while (left > 0 && !fail_execution_reads->compare_exchange_weak(left, left - 1)) {
      }
      if (left > 0) return Status::Internal("injected read failure");
    }
    return inner_->Get(cf, key, value);
  }
  Status Iterate(ColumnFamily cf, std::string_view start, std::string_view end,
                 const Visitor& fn) override {
    return inner_->Iterate(cf, start, end, fn);
  }
  Status Write(const WriteBatch& batch, bool sync) override {
    if (fail_writes->load()) return Status::Internal("injected write failure");
    writes->fetch_add(1);
    if (sync) synced_writes->fetch_add(1);
    return inner_->Write(batch, sync);
  }
  std::shared_ptr<std::atomic<bool>> fail_writes = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> writes = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> synced_writes = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> fail_execution_reads = std::make_shared<std::atomic<int>>(0);

 private:
  std::unique_ptr<Store> inner_;
};

inline v1::Payloads P(const std::string& data) {
  v1::Payloads ps;
  ps.add_payloads()->set_data(data);
  return ps;
}

inline std::string Camel(const std::string& snake) {
  std::string out;
  bool up = true;
  for (char c : snake) {
    if (c == '_') {
      up = true;
    } else {
      out.push_back(up ? static_cast<char>(toupper(c)) : c);
      up = false;
    }
  }
  return out;
}

// "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, ..."
inline std::string EventName(const v1::HistoryEvent& ev) {
  const auto* oneof = ev.GetDescriptor()->FindOneofByName("attributes");
  const auto* field = ev.GetReflection()->GetOneofFieldDescriptor(ev, oneof);
  return field ? Camel(field->name()) : "None";
}

inline std::string HistoryString(const v1::History& h) {
  std::string s;
  for (const auto& ev : h.events()) {
    if (!s.empty()) s += ", ";
    s += std::to_string(ev.event_id()) + " " + EventName(ev);
  }
  return s;
}

inline EngineOptions FastOptions() {
  EngineOptions o;
  o.sync_writes = false;
  return o;
}

// The fixture most engine tests share: a fresh engine (FastOptions) in its own temporary
// directory, on a VirtualClock at 2023-11-14 that only the test moves.
class VirtualClockEngineTest : public ::testing::Test {
 protected:
  static constexpr int64_t kStartUs = 1'700'000'000LL * 1'000'000;

  void SetUp() override {
    EngineOptions o = FastOptions();
    o.clock = clock_;
    auto r = OpenEngine(dir_.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }

  TempDir dir_;
  std::shared_ptr<VirtualClock> clock_ = std::make_shared<VirtualClock>(kStartUs);
  std::unique_ptr<Engine> engine_;
};

inline v1::StartWorkflowExecutionRequest StartReq(const std::string& id,
                                                  const std::string& type = "Wf",
                                                  const std::string& queue = "q") {
  v1::StartWorkflowExecutionRequest r;
  r.set_workflow_id(id);
  r.set_workflow_type(type);
  r.set_task_queue(queue);
  *r.mutable_input() = P("in");
  return r;
}

inline std::string Start(Engine& e, const std::string& id, const std::string& queue = "q") {
  v1::StartWorkflowExecutionResponse resp;
  Status st = e.StartWorkflowExecution(StartReq(id, "Wf", queue), &resp);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return resp.run_id();
}

inline v1::PollWorkflowTaskQueueResponse PollWft(Engine& e, const std::string& queue = "q",
                                                 const std::string& identity = "w1",
                                                 int64_t timeout_us = 2'000'000) {
  v1::PollWorkflowTaskQueueRequest r;
  r.set_task_queue(queue);
  r.set_identity(identity);
  r.set_timeout_us(timeout_us);
  v1::PollWorkflowTaskQueueResponse resp;
  Status st = e.PollWorkflowTaskQueue(r, &resp);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return resp;
}

inline v1::PollActivityTaskQueueResponse PollAct(Engine& e, const std::string& queue = "q",
                                                 const std::string& identity = "a1",
                                                 int64_t timeout_us = 2'000'000) {
  v1::PollActivityTaskQueueRequest r;
  r.set_task_queue(queue);
  r.set_identity(identity);
  r.set_timeout_us(timeout_us);
  v1::PollActivityTaskQueueResponse resp;
  Status st = e.PollActivityTaskQueue(r, &resp);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return resp;
}

inline Status CompleteWft(Engine& e, const std::string& token, std::vector<v1::Command> cmds,
                          const std::string& identity = "w1") {
  v1::RespondWorkflowTaskCompletedRequest r;
  r.set_task_token(token);
  r.set_identity(identity);
  for (auto& c : cmds) *r.add_commands() = std::move(c);
  v1::RespondWorkflowTaskCompletedResponse resp;
  return e.RespondWorkflowTaskCompleted(r, &resp);
}

inline v1::Command ScheduleActivity(int seq, const std::string& type = "Act",
                                    int32_t max_attempts = 0) {
  v1::Command c;
  auto* a = c.mutable_schedule_activity();
  a->set_seq(seq);
  a->set_activity_type(type);
  *a->mutable_input() = P("act-in");
  a->set_start_to_close_timeout_us(30'000'000);
  a->mutable_retry_policy()->set_initial_interval_us(10'000);
  a->mutable_retry_policy()->set_maximum_attempts(max_attempts);
  return c;
}

inline v1::Command CompleteWorkflow(const std::string& result = "done") {
  v1::Command c;
  *c.mutable_complete_workflow_execution()->mutable_result() = P(result);
  return c;
}

inline v1::Command StartTimer(int seq, int64_t us) {
  v1::Command c;
  c.mutable_start_timer()->set_seq(seq);
  c.mutable_start_timer()->set_start_to_fire_timeout_us(us);
  return c;
}

inline v1::Failure AppFailure(const std::string& msg, const std::string& type = "Error",
                              bool non_retryable = false) {
  v1::Failure f;
  f.set_message(msg);
  f.set_source("python");
  f.mutable_application_failure_info()->set_type(type);
  f.mutable_application_failure_info()->set_non_retryable(non_retryable);
  return f;
}

inline Status CompleteAct(Engine& e, const std::string& token, const std::string& result = "r") {
  v1::RespondActivityTaskCompletedRequest r;
  r.set_task_token(token);
  *r.mutable_result() = P(result);
  r.set_identity("a1");
  v1::RespondActivityTaskCompletedResponse resp;
  return e.RespondActivityTaskCompleted(r, &resp);
}

inline Status FailAct(Engine& e, const std::string& token, const v1::Failure& f) {
  v1::RespondActivityTaskFailedRequest r;
  r.set_task_token(token);
  *r.mutable_failure() = f;
  r.set_identity("a1");
  v1::RespondActivityTaskFailedResponse resp;
  return e.RespondActivityTaskFailed(r, &resp);
}

inline v1::History GetHistory(Engine& e, const std::string& wf, const std::string& run = "") {
  v1::GetWorkflowExecutionHistoryRequest r;
  r.mutable_execution()->set_workflow_id(wf);
  r.mutable_execution()->set_run_id(run);
  v1::GetWorkflowExecutionHistoryResponse resp;
  Status st = e.GetWorkflowExecutionHistory(r, &resp);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return resp.history();
}

inline std::string H(Engine& e, const std::string& wf, const std::string& run = "") {
  return HistoryString(GetHistory(e, wf, run));
}

inline v1::DescribeWorkflowExecutionResponse Describe(Engine& e, const std::string& wf,
                                                      const std::string& run = "") {
  v1::DescribeWorkflowExecutionRequest r;
  r.mutable_execution()->set_workflow_id(wf);
  r.mutable_execution()->set_run_id(run);
  v1::DescribeWorkflowExecutionResponse resp;
  Status st = e.DescribeWorkflowExecution(r, &resp);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return resp;
}

inline Status Signal(Engine& e, const std::string& wf, const std::string& name,
                     const std::string& input = "s") {
  v1::SignalWorkflowExecutionRequest r;
  r.mutable_workflow_execution()->set_workflow_id(wf);
  r.set_signal_name(name);
  *r.mutable_input() = P(input);
  v1::SignalWorkflowExecutionResponse resp;
  return e.SignalWorkflowExecution(r, &resp);
}

}  // namespace durable::testing
