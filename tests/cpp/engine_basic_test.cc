// Engine step 1: start, workflow task poll/complete, activities with retries, history long
// poll, describe, atomic transitions, reopen, validation, directory lock.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(EngineOptions o = FastOptions()) {
    auto r = OpenEngine(dir_.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, StartWritesStartedAndScheduledAndTheTaskCarriesASyntheticStartedEvent) {
  std::string run = Start(*engine_, "wf1");
  EXPECT_FALSE(run.empty());
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
  auto t = PollWft(*engine_);
  ASSERT_FALSE(t.task_token().empty());
  EXPECT_EQ(HistoryString(t.history()),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted");
  EXPECT_EQ(t.started_event_id(), 3);
  EXPECT_EQ(t.previous_started_event_id(), 0);
  EXPECT_EQ(t.attempt(), 1);
  EXPECT_EQ(t.workflow_type(), "Wf");
  EXPECT_EQ(t.workflow_execution().run_id(), run);
  EXPECT_EQ(t.history().events(2).workflow_task_started().scheduled_event_id(), 2);
  // Dispatch writes nothing.
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
}

TEST_F(EngineTest, ActivityRoundTripProducesTemporalShapedHistory) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(1)}).ok());
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_EQ(a.activity_id(), "1");
  EXPECT_EQ(a.activity_type(), "Act");
  EXPECT_EQ(a.attempt(), 1);
  EXPECT_EQ(a.input().payloads(0).data(), "act-in");
  EXPECT_EQ(a.task_queue(), "q");
  EXPECT_EQ(a.workflow_type(), "Wf");
  EXPECT_EQ(a.start_to_close_timeout_us(), 30'000'000);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token(), "42").ok());
  auto t2 = PollWft(*engine_);
  ASSERT_FALSE(t2.task_token().empty());
  // Same identity completed the previous task: history starts after its started event.
  EXPECT_EQ(t2.previous_started_event_id(), 3);
  EXPECT_EQ(HistoryString(t2.history()),
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskCompleted, 8 WorkflowTaskScheduled, 9 WorkflowTaskStarted");
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {CompleteWorkflow()}).ok());
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(HistoryString(h),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskCompleted, 8 WorkflowTaskScheduled, 9 WorkflowTaskStarted, "
            "10 WorkflowTaskCompleted, 11 WorkflowExecutionCompleted");
  EXPECT_EQ(h.events(4).activity_task_scheduled().seq(), 1);
  EXPECT_EQ(h.events(4).activity_task_scheduled().workflow_task_completed_event_id(), 4);
  EXPECT_EQ(h.events(6).activity_task_completed().started_event_id(), 6);
  EXPECT_EQ(h.events(6).activity_task_completed().scheduled_event_id(), 5);
  EXPECT_EQ(h.events(6).activity_task_completed().result().payloads(0).data(), "42");
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

TEST_F(EngineTest, AnotherIdentityGetsTheFullHistory) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_, "q", "w1");
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(1)}, "w1").ok());
  auto a = PollAct(*engine_);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
  // The task is kept for w1 (sticky) until w1 leaves; then w2 takes it, with everything.
  auto none = PollWft(*engine_, "q", "w2", 200'000);
  EXPECT_TRUE(none.task_token().empty());
  v1::ShutdownWorkerRequest bye;
  bye.set_task_queue("q");
  bye.set_identity("w1");
  v1::ShutdownWorkerResponse ignored;
  ASSERT_TRUE(engine_->ShutdownWorker(bye, &ignored).ok());
  auto t2 = PollWft(*engine_, "q", "w2");
  ASSERT_GT(t2.history().events_size(), 0);
  EXPECT_EQ(t2.history().events(0).event_id(), 1);
  EXPECT_EQ(t2.history().events_size(), 9);
}

TEST_F(EngineTest, TheStickyWorkerGetsOnlyTheNewEvents) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_, "q", "w1");
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(1)}, "w1").ok());
  auto a = PollAct(*engine_);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
  auto t2 = PollWft(*engine_, "q", "w1");
  ASSERT_GT(t2.history().events_size(), 0);
  EXPECT_GT(t2.history().events(0).event_id(), 1);
}

TEST_F(EngineTest, StaleWorkflowTaskTokenIsRefusedWithNotFound) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(1)}).ok());
  Status st = CompleteWft(*engine_, t1.task_token(), {CompleteWorkflow()});
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("wf1"), std::string::npos) << st.message();
  st = CompleteWft(*engine_, "garbage", {});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
}

TEST_F(EngineTest, ActivityWithMaximumAttemptsOneFailsAtOnce) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(1, "Act", 1)}).ok());
  auto a = PollAct(*engine_);
  ASSERT_TRUE(FailAct(*engine_, a.task_token(), AppFailure("boom")).ok());
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(HistoryString(h),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskFailed, 8 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(6).activity_task_failed().retry_state(),
            v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  EXPECT_EQ(h.events(6).activity_task_failed().failure().message(), "boom");
  EXPECT_EQ(h.events(6).activity_task_failed().started_event_id(), 6);
}

TEST_F(EngineTest, FailedActivityIsRetriedWithoutHistoryEventsThenSucceeds) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(1, "Act", 3)}).ok());
  auto a1 = PollAct(*engine_);
  ASSERT_TRUE(FailAct(*engine_, a1.task_token(), AppFailure("first")).ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled");
  auto d = Describe(*engine_, "wf1");
  ASSERT_EQ(d.pending_activities_size(), 1);
  EXPECT_EQ(d.pending_activities(0).attempt(), 2);
  EXPECT_EQ(d.pending_activities(0).last_failure().message(), "first");
  auto a2 = PollAct(*engine_);  // after the 10 ms backoff
  ASSERT_FALSE(a2.task_token().empty());
  EXPECT_EQ(a2.attempt(), 2);
  // The first attempt's token is stale now.
  EXPECT_EQ(CompleteAct(*engine_, a1.task_token()).code(), StatusCode::kNotFound);
  ASSERT_TRUE(CompleteAct(*engine_, a2.task_token()).ok());
  auto h = GetHistory(*engine_, "wf1");
  ASSERT_EQ(h.events_size(), 8);
  EXPECT_EQ(h.events(5).activity_task_started().attempt(), 2);
  EXPECT_EQ(h.events(5).activity_task_started().last_failure().message(), "first");
}

TEST_F(EngineTest, NonRetryableFailuresAreFinal) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  auto c1 = ScheduleActivity(1);
  c1.mutable_schedule_activity()->mutable_retry_policy()->add_non_retryable_error_types("BadInput");
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {c1, ScheduleActivity(2)}).ok());
  auto a = PollAct(*engine_);
  auto b = PollAct(*engine_);
  ASSERT_TRUE(FailAct(*engine_, a.task_token(), AppFailure("bad", "BadInput")).ok());
  ASSERT_TRUE(FailAct(*engine_, b.task_token(), AppFailure("flag", "Other", true)).ok());
  auto h = GetHistory(*engine_, "wf1");
  int failed = 0;
  for (const auto& ev : h.events()) {
    if (ev.has_activity_task_failed()) {
      ++failed;
      EXPECT_EQ(ev.activity_task_failed().retry_state(), v1::RETRY_STATE_NON_RETRYABLE_FAILURE);
    }
  }
  EXPECT_EQ(failed, 2);
}

TEST_F(EngineTest, DescribeShowsStatusAndPendingActivities) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t1.task_token(), {ScheduleActivity(7)}).ok());
  auto d = Describe(*engine_, "wf1");
  EXPECT_EQ(d.info().status(), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  EXPECT_EQ(d.info().history_length(), 5);
  EXPECT_GT(d.info().start_time_us(), 0);
  EXPECT_EQ(d.info().close_time_us(), 0);
  ASSERT_EQ(d.pending_activities_size(), 1);
  EXPECT_EQ(d.pending_activities(0).activity_id(), "7");
  EXPECT_EQ(d.pending_activities(0).state(), "scheduled");
  auto a = PollAct(*engine_);
  d = Describe(*engine_, "wf1");
  EXPECT_EQ(d.pending_activities(0).state(), "started");
  EXPECT_EQ(d.pending_activities(0).last_worker_identity(), "a1");
  v1::DescribeWorkflowExecutionRequest r;
  r.mutable_execution()->set_workflow_id("nope");
  v1::DescribeWorkflowExecutionResponse resp;
  Status st = engine_->DescribeWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("nope"), std::string::npos);
}

TEST_F(EngineTest, HistoryLongPollWakesPromptlyWhenTheRunCloses) {
  Start(*engine_, "wf1");
  auto waiter = std::async(std::launch::async, [&] {
    v1::GetWorkflowExecutionHistoryRequest r;
    r.mutable_execution()->set_workflow_id("wf1");
    r.set_wait_new_event(true);
    r.set_close_event_only(true);
    r.set_timeout_us(10'000'000);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Status st = engine_->GetWorkflowExecutionHistory(r, &resp);
    return std::make_pair(st, resp);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto t = PollWft(*engine_);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow("res")}).ok());
  auto [st, resp] = waiter.get();
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_LT(waited, std::chrono::seconds(5));  // woken by the close, not its 10 s timeout
  ASSERT_EQ(resp.history().events_size(), 1);
  EXPECT_EQ(resp.history().events(0).event_id(), 5);
  EXPECT_EQ(resp.history().events(0).workflow_execution_completed().result().payloads(0).data(), "res");
}

TEST_F(EngineTest, HistoryLongPollTimesOutWithDeadlineExceeded) {
  Start(*engine_, "wf1");
  v1::GetWorkflowExecutionHistoryRequest r;
  r.mutable_execution()->set_workflow_id("wf1");
  r.set_wait_new_event(true);
  r.set_close_event_only(true);
  r.set_timeout_us(50'000);
  v1::GetWorkflowExecutionHistoryResponse resp;
  Status st = engine_->GetWorkflowExecutionHistory(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(st.message().find("wf1"), std::string::npos);
}

TEST_F(EngineTest, HistoryLongPollForNewEventsReturnsEventsFromTheRequestedId) {
  Start(*engine_, "wf1");
  auto waiter = std::async(std::launch::async, [&] {
    v1::GetWorkflowExecutionHistoryRequest r;
    r.mutable_execution()->set_workflow_id("wf1");
    r.set_wait_new_event(true);
    r.set_from_event_id(3);
    r.set_timeout_us(5'000'000);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Status st = engine_->GetWorkflowExecutionHistory(r, &resp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return resp;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  auto t = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {ScheduleActivity(1)}).ok());
  EXPECT_EQ(HistoryString(waiter.get().history()),
            "3 WorkflowTaskStarted, 4 WorkflowTaskCompleted, 5 ActivityTaskScheduled");
}

TEST_F(EngineTest, StartValidationErrorsAreClear) {
  v1::StartWorkflowExecutionResponse resp;
  auto r = StartReq("");
  Status st = engine_->StartWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("workflow_id"), std::string::npos) << st.message();
  r = StartReq("x", "");
  st = engine_->StartWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("workflow_type"), std::string::npos) << st.message();
  r = StartReq("x", "Wf", "");
  st = engine_->StartWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("task_queue"), std::string::npos) << st.message();
  r = StartReq(std::string(1001, 'a'));
  st = engine_->StartWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("1001"), std::string::npos) << st.message();
  r = StartReq("big");
  *r.mutable_input() = P(std::string(3 * 1024 * 1024, 'x'));
  st = engine_->StartWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("big"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("limit"), std::string::npos) << st.message();
  // Nothing was created.
  v1::DescribeWorkflowExecutionRequest dr;
  dr.mutable_execution()->set_workflow_id("big");
  v1::DescribeWorkflowExecutionResponse dresp;
  EXPECT_EQ(engine_->DescribeWorkflowExecution(dr, &dresp).code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, RunningIdIsRejectedAndAClosedIdCanBeStartedAgain) {
  std::string run1 = Start(*engine_, "wf1");
  v1::StartWorkflowExecutionResponse resp;
  Status st = engine_->StartWorkflowExecution(StartReq("wf1"), &resp);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("wf1"), std::string::npos);
  EXPECT_NE(st.message().find(run1), std::string::npos);
  auto t = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow()}).ok());
  std::string run2 = Start(*engine_, "wf1");
  EXPECT_NE(run1, run2);
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
  EXPECT_EQ(H(*engine_, "wf1", run1).substr(0, 27), "1 WorkflowExecutionStarted,");
}

TEST_F(EngineTest, SameRequestIdReturnsTheSameRun) {
  auto r = StartReq("wf1");
  r.set_request_id("req-1");
  v1::StartWorkflowExecutionResponse a, b;
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &a).ok());
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &b).ok());
  EXPECT_EQ(a.run_id(), b.run_id());
  EXPECT_TRUE(b.started());
}

TEST_F(EngineTest, SecondOpenOfTheDirectoryFailsWithUnavailable) {
  auto r = OpenEngine(dir_.path(), FastOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find(dir_.path()), std::string::npos) << r.status().message();
}

TEST_F(EngineTest, ReopenRestoresPendingWorkflowAndActivityTasks) {
  Start(*engine_, "wfA");
  Start(*engine_, "wfB", "q2");
  auto t = PollWft(*engine_, "q2");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {ScheduleActivity(1)}).ok());
  Start(*engine_, "wfC", "q3");
  auto lost = PollWft(*engine_, "q3");  // in flight when the engine goes away
  ASSERT_FALSE(lost.task_token().empty());
  engine_.reset();
  Open();
  auto ta = PollWft(*engine_, "q", "w1", 500'000);
  ASSERT_FALSE(ta.task_token().empty());
  EXPECT_EQ(ta.workflow_execution().workflow_id(), "wfA");
  auto a = PollAct(*engine_, "q2", "a1", 500'000);
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_EQ(a.workflow_execution().workflow_id(), "wfB");
  // The task that was in flight is dispatched again; its old token is stale.
  auto tc = PollWft(*engine_, "q3", "w1", 500'000);
  ASSERT_FALSE(tc.task_token().empty());
  EXPECT_EQ(tc.started_event_id(), 3);
  EXPECT_EQ(CompleteWft(*engine_, lost.task_token(), {CompleteWorkflow()}).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(CompleteWft(*engine_, tc.task_token(), {CompleteWorkflow()}).ok());
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
  EXPECT_EQ(H(*engine_, "wfB"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskCompleted, 8 WorkflowTaskScheduled");
}

TEST_F(EngineTest, PollReturnsEmptyAfterItsTimeout) {
  auto t0 = std::chrono::steady_clock::now();
  auto t = PollWft(*engine_, "empty", "w1", 50'000);
  EXPECT_TRUE(t.task_token().empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
}

TEST_F(EngineTest, ClosingTheEngineWakesParkedPolls) {
  // The engine must not be closed before the poll has entered it: wait for its thread to
  // get there (thread start-up is what takes long on a loaded machine), then a little more.
  std::promise<void> entering;
  Engine* engine = engine_.get();
  auto poll = std::async(std::launch::async, [&] {
    entering.set_value();
    return PollWft(*engine, "idle", "w1", 30'000'000);
  });
  entering.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto t0 = std::chrono::steady_clock::now();
  engine_.reset();
  EXPECT_TRUE(poll.get().task_token().empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));  // not its 30 s
}

TEST_F(EngineTest, ShutdownWorkerWakesThatIdentitysPolls) {
  auto poll = std::async(std::launch::async, [&] { return PollWft(*engine_, "idle", "w9", 30'000'000); });
  v1::ShutdownWorkerRequest r;
  r.set_task_queue("idle");
  r.set_identity("w9");
  v1::ShutdownWorkerResponse resp;
  // ShutdownWorker wakes the polls parked at that moment; the poll's thread may not have
  // parked yet on a loaded machine, so repeat it until the poll returns (long before its
  // own 30 s timeout).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  do {
    ASSERT_TRUE(engine_->ShutdownWorker(r, &resp).ok());
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the poll was never woken";
  } while (poll.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready);
  EXPECT_TRUE(poll.get().task_token().empty());
}

// --- atomicity ---

class EngineAtomicityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenRocksDbStore(dir_.path());
    ASSERT_TRUE(s.ok());
    auto fs = std::make_unique<FailingStore>(std::move(s).value());
    fail_ = fs->fail_writes;
    auto r = OpenEngineOnStore(std::move(fs), FastOptions());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  TempDir dir_;
  std::shared_ptr<std::atomic<bool>> fail_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineAtomicityTest, AFailedWriteLeavesNoPartialStateOnDiskOrInMemory) {
  // A failed start leaves nothing.
  *fail_ = true;
  v1::StartWorkflowExecutionResponse resp;
  Status st = engine_->StartWorkflowExecution(StartReq("wf1"), &resp);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("wf1"), std::string::npos) << st.message();
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());
  *fail_ = false;
  Start(*engine_, "wf1");
  auto t = PollWft(*engine_);
  // A failed completion: no events, no activity task, and the task stays in flight.
  *fail_ = true;
  st = CompleteWft(*engine_, t.task_token(), {ScheduleActivity(1), StartTimer(1, 1000)});
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  *fail_ = false;
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
  EXPECT_EQ(Describe(*engine_, "wf1").pending_activities_size(), 0);
  EXPECT_TRUE(PollAct(*engine_, "q", "a1", 50'000).task_token().empty());
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {ScheduleActivity(1)}).ok());
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  // A failed activity completion: the activity stays pending and can complete later.
  *fail_ = true;
  EXPECT_EQ(CompleteAct(*engine_, a.task_token()).code(), StatusCode::kInternal);
  *fail_ = false;
  EXPECT_EQ(Describe(*engine_, "wf1").pending_activities_size(), 1);
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskCompleted, 8 WorkflowTaskScheduled");
}

}  // namespace
}  // namespace durable::testing

namespace durable::testing {
namespace {

// Every entry point refuses bad input with a clear code and changes nothing.
TEST(EngineBadInputTest, EveryEntryPointRefusesBadInput) {
  TempDir dir;
  auto r = OpenEngine(dir.path(), FastOptions());
  ASSERT_TRUE(r.ok());
  Engine& e = **r;
  const auto kInvalid = StatusCode::kInvalidArgument;
  const auto kNotFound = StatusCode::kNotFound;
  {
    v1::PollWorkflowTaskQueueRequest q;
    v1::PollWorkflowTaskQueueResponse resp;
    EXPECT_EQ(e.PollWorkflowTaskQueue(q, &resp).code(), kInvalid);
    v1::PollActivityTaskQueueRequest a;
    v1::PollActivityTaskQueueResponse aresp;
    EXPECT_EQ(e.PollActivityTaskQueue(a, &aresp).code(), kInvalid);
  }
  {
    v1::RespondWorkflowTaskFailedRequest f;
    f.set_task_token("\x01\x02junk");
    v1::RespondWorkflowTaskFailedResponse resp;
    EXPECT_EQ(e.RespondWorkflowTaskFailed(f, &resp).code(), kInvalid);
    v1::RespondQueryTaskCompletedRequest q;
    v1::RespondQueryTaskCompletedResponse qresp;
    EXPECT_EQ(e.RespondQueryTaskCompleted(q, &qresp).code(), kInvalid);
    EXPECT_EQ(FailAct(e, "junk", AppFailure("x")).code(), kInvalid);
    EXPECT_EQ(CompleteAct(e, "").code(), kInvalid);
    v1::RecordActivityTaskHeartbeatRequest hb;
    v1::RecordActivityTaskHeartbeatResponse hresp;
    EXPECT_EQ(e.RecordActivityTaskHeartbeat(hb, &hresp).code(), kInvalid);
    v1::RespondActivityTaskCanceledRequest c;
    v1::RespondActivityTaskCanceledResponse cresp;
    EXPECT_EQ(e.RespondActivityTaskCanceled(c, &cresp).code(), kInvalid);
  }
  {
    v1::GetActivityTaskTokenRequest g;
    g.mutable_activity()->set_workflow_id("wf");
    v1::GetActivityTaskTokenResponse gresp;
    EXPECT_EQ(e.GetActivityTaskToken(g, &gresp).code(), kInvalid);
    g.mutable_activity()->set_activity_id("1");
    EXPECT_EQ(e.GetActivityTaskToken(g, &gresp).code(), kNotFound);
  }
  {
    v1::QueryWorkflowRequest q;
    q.mutable_execution()->set_workflow_id("wf");
    v1::QueryWorkflowResponse resp;
    EXPECT_EQ(e.QueryWorkflow(q, &resp).code(), kInvalid);
    q.set_query_type("x");
    EXPECT_EQ(e.QueryWorkflow(q, &resp).code(), kNotFound);
    v1::UpdateWorkflowExecutionRequest u;
    u.mutable_workflow_execution()->set_workflow_id("wf");
    v1::UpdateWorkflowExecutionResponse uresp;
    EXPECT_EQ(e.UpdateWorkflowExecution(u, &uresp).code(), kInvalid);
    v1::PollWorkflowExecutionUpdateRequest p;
    p.mutable_workflow_execution()->set_workflow_id("wf");
    EXPECT_EQ(e.PollWorkflowExecutionUpdate(p, &uresp).code(), kNotFound);
  }
  {
    v1::RequestCancelWorkflowExecutionRequest c;
    v1::RequestCancelWorkflowExecutionResponse cresp;
    EXPECT_EQ(e.RequestCancelWorkflowExecution(c, &cresp).code(), kInvalid);
    c.mutable_workflow_execution()->set_workflow_id("wf");
    EXPECT_EQ(e.RequestCancelWorkflowExecution(c, &cresp).code(), kNotFound);
    v1::TerminateWorkflowExecutionRequest t;
    t.mutable_workflow_execution()->set_workflow_id("wf");
    v1::TerminateWorkflowExecutionResponse tresp;
    EXPECT_EQ(e.TerminateWorkflowExecution(t, &tresp).code(), kNotFound);
    v1::GetWorkflowExecutionHistoryRequest h;
    v1::GetWorkflowExecutionHistoryResponse hresp;
    EXPECT_EQ(e.GetWorkflowExecutionHistory(h, &hresp).code(), kInvalid);
  }
  // A task completion with a bad command is not refused: the task fails (the command's
  // cause in history, engine_bad_commands_test.cc) and its retry completes properly; the
  // spent token is then stale.
  Start(e, "wf");
  auto t = PollWft(e);
  v1::Command empty;
  EXPECT_TRUE(CompleteWft(e, t.task_token(), {empty}).ok());
  EXPECT_EQ(H(e, "wf"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, "
                        "3 WorkflowTaskStarted, 4 WorkflowTaskFailed");
  EXPECT_EQ(CompleteWft(e, t.task_token(), {CompleteWorkflow()}).code(), kNotFound);
  // (A payload over the limit fails the workflow instead: engine_limits_test.cc.)
  t = PollWft(e);
  EXPECT_TRUE(CompleteWft(e, t.task_token(), {CompleteWorkflow()}).ok());
}

}  // namespace
}  // namespace durable::testing
