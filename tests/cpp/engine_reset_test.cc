// Engine: ResetWorkflowExecution — the new run's history (prefix, reset marker, re-applied
// signals), its rebuilt pending work, the old run terminated naming the new one, bad input.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

constexpr int64_t kSecond = 1'000'000;

class EngineResetTest : public VirtualClockEngineTest {
 protected:
  void CompleteNext(std::vector<v1::Command> cmds) {
    auto t = PollWft(*engine_);
    ASSERT_FALSE(t.task_token().empty());
    Status st = CompleteWft(*engine_, t.task_token(), std::move(cmds));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  Status Reset(const std::string& run, int64_t event_id, std::string* new_run,
               v1::ResetReapplyType reapply = v1::RESET_REAPPLY_TYPE_UNSPECIFIED,
               const std::string& request_id = "") {
    v1::ResetWorkflowExecutionRequest r;
    r.mutable_workflow_execution()->set_workflow_id("wf1");
    r.mutable_workflow_execution()->set_run_id(run);
    r.set_reason("bad deploy");
    r.set_workflow_task_finish_event_id(event_id);
    r.set_reset_reapply_type(reapply);
    r.set_request_id(request_id);
    r.set_identity("operator");
    v1::ResetWorkflowExecutionResponse resp;
    Status st = engine_->ResetWorkflowExecution(r, &resp);
    *new_run = resp.run_id();
    return st;
  }
  // wf1: task 1 waits; signal a -> task 2 schedules an activity; signal b arrives after.
  std::string SignalsAndActivity() {
    std::string run = Start(*engine_, "wf1");
    CompleteNext({});
    EXPECT_TRUE(Signal(*engine_, "wf1", "a", "1").ok());
    CompleteNext({ScheduleActivity(1)});
    EXPECT_TRUE(Signal(*engine_, "wf1", "b", "2").ok());
    return run;
  }
};

TEST_F(EngineResetTest, ResetToFirstTaskCopiesPrefixReappliesSignalsAndTerminatesOldRun) {
  std::string old_run = SignalsAndActivity();
  ASSERT_EQ(H(*engine_, "wf1", old_run),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 WorkflowExecutionSignaled, 6 WorkflowTaskScheduled, "
            "7 WorkflowTaskStarted, 8 WorkflowTaskCompleted, 9 ActivityTaskScheduled, "
            "10 WorkflowExecutionSignaled, 11 WorkflowTaskScheduled");
  std::string new_run;
  Status st = Reset("", 4, &new_run);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_FALSE(new_run.empty());
  EXPECT_NE(new_run, old_run);

  v1::History h = GetHistory(*engine_, "wf1", new_run);
  EXPECT_EQ(HistoryString(h),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskFailed, 5 WorkflowExecutionSignaled, 6 WorkflowExecutionSignaled, "
            "7 WorkflowTaskScheduled");
  const auto& f = h.events(3).workflow_task_failed();
  EXPECT_EQ(f.cause(), "reset");
  EXPECT_EQ(f.failure().message(), "bad deploy");
  EXPECT_EQ(f.base_run_id(), old_run);
  EXPECT_EQ(f.new_run_id(), new_run);
  EXPECT_EQ(f.scheduled_event_id(), 2);
  EXPECT_EQ(f.started_event_id(), 3);
  EXPECT_EQ(h.events(4).workflow_execution_signaled().signal_name(), "a");
  EXPECT_EQ(h.events(5).workflow_execution_signaled().signal_name(), "b");

  v1::History old_h = GetHistory(*engine_, "wf1", old_run);
  const auto& last = old_h.events(old_h.events_size() - 1);
  ASSERT_TRUE(last.has_workflow_execution_terminated()) << HistoryString(old_h);
  EXPECT_NE(last.workflow_execution_terminated().reason().find(new_run), std::string::npos)
      << last.workflow_execution_terminated().reason();
  EXPECT_NE(last.workflow_execution_terminated().reason().find("bad deploy"), std::string::npos);
  EXPECT_EQ(Describe(*engine_, "wf1", old_run).info().status(),
            v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);

  // The new run is current, and its workflow task goes to a worker with the whole history.
  auto d = Describe(*engine_, "wf1");
  EXPECT_EQ(d.info().execution().run_id(), new_run);
  EXPECT_EQ(d.info().status(), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(d.pending_activities_size(), 0);  // scheduled after the reset point
  auto t = PollWft(*engine_);
  ASSERT_FALSE(t.task_token().empty());
  EXPECT_EQ(t.workflow_execution().run_id(), new_run);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow("fixed")}).ok());
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  // The old run's activity task is gone with it.
  EXPECT_TRUE(PollAct(*engine_, "q", "a1", 100'000).task_token().empty());
}

TEST_F(EngineResetTest, ReapplyNoneDropsSignals) {
  SignalsAndActivity();
  std::string new_run;
  ASSERT_TRUE(Reset("", 4, &new_run, v1::RESET_REAPPLY_TYPE_NONE).ok());
  EXPECT_EQ(H(*engine_, "wf1", new_run),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskFailed, 5 WorkflowTaskScheduled");
}

TEST_F(EngineResetTest, ResetToLastTaskReschedulesPendingActivityAndRearmsTimer) {
  std::string old_run = Start(*engine_, "wf1");
  CompleteNext({ScheduleActivity(1), StartTimer(1, 3600 * kSecond)});
  ASSERT_TRUE(Signal(*engine_, "wf1", "a").ok());
  CompleteNext({});
  ASSERT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 TimerStarted, "
            "7 WorkflowExecutionSignaled, 8 WorkflowTaskScheduled, 9 WorkflowTaskStarted, "
            "10 WorkflowTaskCompleted");
  std::string new_run;
  Status st = Reset(old_run, 10, &new_run);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(H(*engine_, "wf1", new_run),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 TimerStarted, "
            "7 WorkflowExecutionSignaled, 8 WorkflowTaskScheduled, 9 WorkflowTaskStarted, "
            "10 WorkflowTaskFailed, 11 WorkflowTaskScheduled");
  auto d = Describe(*engine_, "wf1");
  ASSERT_EQ(d.pending_activities_size(), 1);
  EXPECT_EQ(d.pending_activities(0).attempt(), 1);
  // The new run's worker finishes its task; the activity runs for the new run.
  CompleteNext({});
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_EQ(a.workflow_execution().run_id(), new_run);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token(), "r").ok());
  // The timer fires at its first fire time (an hour after it started).
  ASSERT_TRUE(engine_->SkipTime(3600 * kSecond).ok());
  bool fired = false;
  for (int i = 0; i < 200 && !fired; ++i) {
    v1::History now = GetHistory(*engine_, "wf1", new_run);
    for (const auto& e : now.events()) fired |= e.has_timer_fired();
    if (!fired) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(fired) << H(*engine_, "wf1", new_run);
}

TEST_F(EngineResetTest, TheNewRunAndItsWorkSurviveAReopen) {
  Start(*engine_, "wf1");
  CompleteNext({ScheduleActivity(1)});
  ASSERT_TRUE(Signal(*engine_, "wf1", "a").ok());
  CompleteNext({});
  std::string new_run;
  ASSERT_TRUE(Reset("", 9, &new_run).ok()) << H(*engine_, "wf1");
  engine_.reset();
  EngineOptions o = FastOptions();
  o.clock = clock_;
  auto r = OpenEngine(dir_.path(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  engine_ = std::move(r).value();
  EXPECT_EQ(Describe(*engine_, "wf1").info().execution().run_id(), new_run);
  auto t = PollWft(*engine_);
  ASSERT_FALSE(t.task_token().empty());
  EXPECT_EQ(t.workflow_execution().run_id(), new_run);
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_EQ(a.workflow_execution().run_id(), new_run);
}

TEST_F(EngineResetTest, RetriedRequestIdReturnsTheSameRun) {
  SignalsAndActivity();
  std::string first, second;
  ASSERT_TRUE(Reset("", 4, &first, v1::RESET_REAPPLY_TYPE_SIGNAL, "req-1").ok());
  ASSERT_TRUE(Reset("", 4, &second, v1::RESET_REAPPLY_TYPE_SIGNAL, "req-1").ok());
  EXPECT_EQ(first, second);
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(EngineResetTest, ResetOfAClosedRunStartsANewRun) {
  std::string old_run = Start(*engine_, "wf1");
  CompleteNext({CompleteWorkflow("bad")});
  std::string new_run;
  ASSERT_TRUE(Reset(old_run, 4, &new_run).ok());
  EXPECT_EQ(Describe(*engine_, "wf1", old_run).info().status(),
            v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  EXPECT_EQ(Describe(*engine_, "wf1").info().execution().run_id(), new_run);
  CompleteNext({CompleteWorkflow("good")});
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

TEST_F(EngineResetTest, BadResetPointsAreRefusedAndChangeNothing) {
  std::string run = SignalsAndActivity();
  std::string new_run;
  Status st = Reset("", 5, &new_run);  // a signal, not the end of a workflow task
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("event 5 does not end a started workflow task"), std::string::npos)
      << st.message();
  EXPECT_EQ(Reset("", 99, &new_run).code(), StatusCode::kNotFound);
  EXPECT_EQ(Reset("", 0, &new_run).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Reset("no-such-run", 4, &new_run).code(), StatusCode::kNotFound);
  v1::ResetWorkflowExecutionRequest r;
  r.set_workflow_task_finish_event_id(4);
  v1::ResetWorkflowExecutionResponse resp;
  EXPECT_EQ(engine_->ResetWorkflowExecution(r, &resp).code(), StatusCode::kInvalidArgument);
  auto d = Describe(*engine_, "wf1");
  EXPECT_EQ(d.info().execution().run_id(), run);
  EXPECT_EQ(d.info().status(), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(EngineResetTest, PendingChildAtTheResetPointIsRefused) {
  std::string run = Start(*engine_, "wf1");
  v1::Command c;
  auto* s = c.mutable_start_child_workflow_execution();
  s->set_seq(1);
  s->set_workflow_id("child1");
  s->set_workflow_type("Child");
  s->set_task_queue("cq");
  CompleteNext({c});
  ASSERT_TRUE(Signal(*engine_, "wf1", "a").ok());
  // The task the signal caused completes after the child was initiated.
  v1::History h;
  int64_t last_completed = 0;
  for (int i = 0; i < 200 && last_completed <= 4; ++i) {
    auto t = PollWft(*engine_, "q", "w1", 100'000);
    if (!t.task_token().empty()) {
      ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {}).ok());
    }
    h = GetHistory(*engine_, "wf1", run);
    for (const auto& e : h.events()) {
      if (e.has_workflow_task_completed()) last_completed = e.event_id();
    }
  }
  ASSERT_GT(last_completed, 4) << HistoryString(h);
  bool resolved = false;
  for (const auto& e : h.events()) {
    if (e.has_child_workflow_execution_completed() || e.has_start_child_workflow_execution_failed())
      resolved = true;
  }
  ASSERT_FALSE(resolved);
  std::string new_run;
  Status st = Reset(run, last_completed, &new_run);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_NE(st.message().find("child workflow initiated at event 5"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace durable::testing
