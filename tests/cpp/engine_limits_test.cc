// EngineLimits: what each limit does when hit (docs/limits.md), with small limits so the
// tests run fast.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "engine/engine_impl.h"
#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

// An engine with small limits whose warnings are collected.
class EngineLimitsTest : public ::testing::Test {
 protected:
  void Open(EngineLimits limits) {
    EngineOptions o = FastOptions();
    o.limits = limits;
    o.warn = [this](const std::string& w) {
      std::lock_guard<std::mutex> l(mu_);
      warnings_.push_back(w);
    };
    auto r = OpenEngine(dir_.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  std::vector<std::string> Warnings() {
    std::lock_guard<std::mutex> l(mu_);
    return warnings_;
  }
  Engine& e() { return *engine_; }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::mutex mu_;
  std::vector<std::string> warnings_;
};

const v1::HistoryEvent& Last(const v1::History& h) { return h.events(h.events_size() - 1); }

v1::Command SignalExternal(int seq, const std::string& target) {
  v1::Command c;
  auto* s = c.mutable_signal_external_workflow_execution();
  s->set_seq(seq);
  s->mutable_workflow_execution()->set_workflow_id(target);
  s->set_signal_name("hello");
  return c;
}

// Waits (up to 30 s, for loaded machines) until `wf`'s history names `event`.
bool WaitForEvent(Engine& e, const std::string& wf, const std::string& event) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (H(e, wf).find(event) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST_F(EngineLimitsTest, SignalsPastTheEventLimitTerminateTheRunWithTheCause) {
  EngineLimits l;
  l.max_history_events = 20;
  l.warn_history_events = 10;
  Open(l);
  Start(e(), "wf");  // 2 events: started, task scheduled
  int accepted = 0;
  Status st;
  for (int i = 0; i < 40; ++i) {
    st = Signal(e(), "wf", "sig");
    if (!st.ok()) break;
    ++accepted;
  }
  EXPECT_EQ(accepted, 18);  // the 18th makes 20 events: the run is terminated in that write
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  auto h = GetHistory(e(), "wf");
  ASSERT_TRUE(Last(h).has_workflow_execution_terminated()) << HistoryString(h);
  EXPECT_EQ(Last(h).workflow_execution_terminated().reason(),
            "Workflow history size / count exceeds limit.");
  EXPECT_NE(Last(h).workflow_execution_terminated().details().payloads(0).data().find(
                "reached 20 events"),
            std::string::npos);
  EXPECT_EQ(Describe(e(), "wf").info().status(),
            v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  auto w = Warnings();
  ASSERT_EQ(w.size(), 2u);  // once past the warning threshold, once at the limit
  EXPECT_NE(w[0].find("past the warning threshold of 10 events"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("the run was terminated"), std::string::npos) << w[1];
}

TEST_F(EngineLimitsTest, TasksPastTheWarningThresholdSuggestContinueAsNew) {
  EngineLimits l;
  l.warn_history_events = 6;
  Open(l);
  Start(e(), "wf");
  auto t = PollWft(e());
  EXPECT_FALSE(Last(t.history()).workflow_task_started().suggest_continue_as_new());
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {StartTimer(1, 60'000'000)}).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Signal(e(), "wf", "sig").ok());
  t = PollWft(e());
  const auto& started = Last(t.history()).workflow_task_started();
  EXPECT_TRUE(started.suggest_continue_as_new());
  EXPECT_GT(started.history_size_bytes(), 0);
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {CompleteWorkflow()}).ok());
  // The written WorkflowTaskStarted says the same (replay sees what the live task saw).
  auto h = GetHistory(e(), "wf");
  EXPECT_TRUE(h.events(h.events_size() - 3).workflow_task_started().suggest_continue_as_new());
}

TEST_F(EngineLimitsTest, OversizedWorkflowResultFailsTheWorkflowNonRetryable) {
  EngineLimits l;
  l.max_payload_bytes = 10 * 1024;
  Open(l);
  auto req = StartReq("wf");
  req.mutable_retry_policy()->set_maximum_attempts(5);  // a retry policy does not apply
  v1::StartWorkflowExecutionResponse sresp;
  ASSERT_TRUE(e().StartWorkflowExecution(req, &sresp).ok());
  auto t = PollWft(e());
  Status st = CompleteWft(e(), t.task_token(), {StartTimer(1, 1'000'000),
                                                CompleteWorkflow(std::string(30 * 1024, 'x'))});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(H(e(), "wf"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 WorkflowExecutionFailed");
  auto h = GetHistory(e(), "wf");
  const auto& f = Last(h).workflow_execution_failed().failure();
  EXPECT_TRUE(f.application_failure_info().non_retryable());
  EXPECT_EQ(f.application_failure_info().type(), "PayloadSizeLimitExceeded");
  EXPECT_EQ(f.message().rfind("workflow result is 30.0 KB (", 0), 0u) << f.message();
  EXPECT_NE(f.message().find("over the 10 KB payload limit (workflow 'wf')"), std::string::npos)
      << f.message();
  EXPECT_EQ(Describe(e(), "wf").info().status(),
            v1::WORKFLOW_EXECUTION_STATUS_FAILED);
}

TEST_F(EngineLimitsTest, OversizedActivityResultFailsTheAttemptNonRetryable) {
  EngineLimits l;
  l.max_payload_bytes = 10 * 1024;
  Open(l);
  Start(e(), "wf");
  auto t = PollWft(e());
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {ScheduleActivity(1, "Act", /*max_attempts=*/0)}).ok());
  auto a = PollAct(e());
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_TRUE(CompleteAct(e(), a.task_token(), std::string(30 * 1024, 'x')).ok());
  auto h = GetHistory(e(), "wf");
  ASSERT_TRUE(Last(h).has_workflow_task_scheduled()) << HistoryString(h);
  const auto& failed = h.events(h.events_size() - 2);
  ASSERT_TRUE(failed.has_activity_task_failed()) << HistoryString(h);
  const auto& f = failed.activity_task_failed().failure();
  EXPECT_TRUE(f.application_failure_info().non_retryable());
  EXPECT_EQ(f.message().rfind("result of activity '1' (Act) is 30.0 KB", 0), 0u) << f.message();
  EXPECT_EQ(failed.activity_task_failed().retry_state(), v1::RETRY_STATE_NON_RETRYABLE_FAILURE);
}

TEST_F(EngineLimitsTest, OversizedSignalInputIsRefusedNamingSizeAndLimit) {
  EngineLimits l;
  l.max_payload_bytes = 10 * 1024;
  l.warn_payload_bytes = 4 * 1024;
  Open(l);
  Start(e(), "wf");
  Status st = Signal(e(), "wf", "sig", std::string(20 * 1024, 'x'));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("signal 'sig' input is 20.0 KB (", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("over the 10 KB payload limit"), std::string::npos);
  EXPECT_TRUE(Warnings().empty());
  ASSERT_TRUE(Signal(e(), "wf", "sig", std::string(5 * 1024, 'x')).ok());
  auto w = Warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("over the 4 KB payload warning threshold"), std::string::npos) << w[0];
}

TEST_F(EngineLimitsTest, PendingActivitiesPastTheLimitFailTheWorkflowTaskUntilSomeResolve) {
  EngineLimits l;
  l.max_pending_activities = 2;
  Open(l);
  Start(e(), "wf");
  auto t = PollWft(e());
  Status st = CompleteWft(e(), t.task_token(),
                          {ScheduleActivity(1), ScheduleActivity(2), ScheduleActivity(3)});
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("pending_activities_limit_exceeded"), std::string::npos) << st.message();
  auto h = GetHistory(e(), "wf");
  ASSERT_TRUE(Last(h).has_workflow_task_failed()) << HistoryString(h);
  EXPECT_EQ(Last(h).workflow_task_failed().cause(), "pending_activities_limit_exceeded");
  EXPECT_NE(Last(h).workflow_task_failed().failure().message().find(
                "would make 3 pending activities, over the limit of 2"),
            std::string::npos);
  // The retried task may schedule up to the limit; the next one goes through once one resolves.
  t = PollWft(e());
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {ScheduleActivity(1), ScheduleActivity(2)}).ok());
  auto a = PollAct(e());
  ASSERT_TRUE(CompleteAct(e(), a.task_token()).ok());
  t = PollWft(e());
  EXPECT_TRUE(CompleteWft(e(), t.task_token(), {ScheduleActivity(3)}).ok());
}

TEST_F(EngineLimitsTest, PendingExternalSignalsCountUntilTheyResolve) {
  EngineLimits l;
  l.max_pending_signals = 1;
  Open(l);
  Start(e(), "wf");
  auto t = PollWft(e());
  Status st = CompleteWft(e(), t.task_token(), {SignalExternal(1, "nobody"), SignalExternal(2, "nobody")});
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("pending_signals_limit_exceeded"), std::string::npos) << st.message();
  t = PollWft(e());
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {SignalExternal(1, "nobody")}).ok());
  ASSERT_TRUE(WaitForEvent(e(), "wf", "SignalExternalWorkflowExecutionFailed"));
  t = PollWft(e());  // the resolution's task: the signal is no longer pending
  EXPECT_TRUE(CompleteWft(e(), t.task_token(), {SignalExternal(2, "nobody")}).ok());
}

TEST_F(EngineLimitsTest, HistoryBytesPastTheLimitTerminateTheRun) {
  EngineLimits l;
  l.max_history_bytes = 4 * 1024;
  Open(l);
  Start(e(), "wf");
  Status st;
  for (int i = 0; i < 100 && st.ok(); ++i) st = Signal(e(), "wf", "sig", std::string(500, 's'));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  auto h = GetHistory(e(), "wf");
  ASSERT_TRUE(Last(h).has_workflow_execution_terminated()) << HistoryString(h);
  EXPECT_EQ(Last(h).workflow_execution_terminated().reason(),
            "Workflow history size / count exceeds limit.");
  EXPECT_LT(h.events_size(), 12);  // about 4 KB of 500-byte signals, then the termination
}

TEST_F(EngineLimitsTest, LongIdentifiersAreRefusedNamingTheField) {
  EngineLimits l;
  l.max_id_length = 10;
  Open(l);
  v1::StartWorkflowExecutionResponse sresp;
  Status st = e().StartWorkflowExecution(StartReq("a-workflow-id-too-long"), &sresp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "workflow_id is 22 bytes long, more than the limit of 10");
  Start(e(), "wf");
  st = Signal(e(), "wf", "a-signal-name-too-long");
  EXPECT_EQ(st.message(), "signal_name is 22 bytes long, more than the limit of 10 (workflow 'wf')");
  v1::QueryWorkflowRequest q;
  q.mutable_execution()->set_workflow_id("wf");
  q.set_query_type("a-query-type-too-long");
  v1::QueryWorkflowResponse qresp;
  st = e().QueryWorkflow(q, &qresp);
  EXPECT_EQ(st.message(), "query_type is 21 bytes long, more than the limit of 10 (workflow 'wf')");
  v1::UpdateWorkflowExecutionRequest u;
  u.mutable_workflow_execution()->set_workflow_id("wf");
  u.mutable_request()->set_update_id("u1");
  u.mutable_request()->set_name("an-update-name-too-long");
  v1::UpdateWorkflowExecutionResponse uresp;
  st = e().UpdateWorkflowExecution(u, &uresp);
  EXPECT_EQ(st.message(), "update name is 23 bytes long, more than the limit of 10 (workflow 'wf')");
}

TEST_F(EngineLimitsTest, ZeroTurnsALimitOff) {
  EngineLimits l;
  l.max_history_events = 0;
  l.warn_history_events = 0;
  l.max_id_length = 0;
  Open(l);
  auto req = StartReq(std::string(5000, 'w'));
  v1::StartWorkflowExecutionResponse resp;
  EXPECT_TRUE(e().StartWorkflowExecution(req, &resp).ok());
  Start(e(), "wf");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Signal(e(), "wf", "sig").ok());
  EXPECT_TRUE(Warnings().empty());
}

TEST(FormatBytesTest, UsesBinaryUnitsWithOneDecimalWhenNotWhole) {
  EXPECT_EQ(FormatBytes(512), "512 bytes");
  EXPECT_EQ(FormatBytes(10 * 1024), "10 KB");
  EXPECT_EQ(FormatBytes(3 * 1024 * 1024), "3 MB");
  EXPECT_EQ(FormatBytes(3 * 1024 * 1024 + 100), "3.0 MB");
  EXPECT_EQ(FormatBytes(2 * 1024 * 1024 + 512 * 1024), "2.5 MB");
}

}  // namespace
}  // namespace durable::testing
