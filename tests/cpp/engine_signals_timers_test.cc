// Engine step 2: signals (buffering), cancel, terminate, timers and time skipping, activity
// timeouts and heartbeats, workflow task failure and timeout, queries, updates.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

constexpr int64_t kSecond = 1'000'000;

class EngineStep2Test : public VirtualClockEngineTest {
 protected:
  // Starts wf1 and completes its first task with `cmds`.
  void StartAndComplete(std::vector<v1::Command> cmds, const std::string& wf = "wf1") {
    Start(*engine_, wf);
    auto t = PollWft(*engine_);
    ASSERT_FALSE(t.task_token().empty());
    Status st = CompleteWft(*engine_, t.task_token(), std::move(cmds));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // Signal "s" to wf1 with a client request id (retries reuse it).
  Status SignalWf1(const std::string& request_id) {
    v1::SignalWorkflowExecutionRequest r;
    r.mutable_workflow_execution()->set_workflow_id("wf1");
    r.set_signal_name("s");
    r.set_request_id(request_id);
    v1::SignalWorkflowExecutionResponse resp;
    return engine_->SignalWorkflowExecution(r, &resp);
  }
  v1::History WaitForEvent(const std::string& wf, int64_t from, int64_t timeout_us = 5 * kSecond) {
    v1::GetWorkflowExecutionHistoryRequest r;
    r.mutable_execution()->set_workflow_id(wf);
    r.set_wait_new_event(true);
    r.set_from_event_id(from);
    r.set_timeout_us(timeout_us);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Status st = engine_->GetWorkflowExecutionHistory(r, &resp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return resp.history();
  }
};

const char* kFirstTask =
    "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
    "4 WorkflowTaskCompleted";

// --- signals, cancel, terminate ---

TEST_F(EngineStep2Test, SignalDuringWorkflowTaskIsBuffered) {
  Start(*engine_, "wf1");
  auto t = PollWft(*engine_);
  ASSERT_TRUE(Signal(*engine_, "wf1", "sig", "x").ok());
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {StartTimer(1, 3600 * kSecond)}).ok());
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(HistoryString(h), std::string(kFirstTask) +
                                  ", 5 TimerStarted, 6 WorkflowExecutionSignaled, "
                                  "7 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(5).workflow_execution_signaled().signal_name(), "sig");
  EXPECT_EQ(h.events(5).workflow_execution_signaled().input().payloads(0).data(), "x");
}

TEST_F(EngineStep2Test, SignalsWithoutTaskInFlightShareOnePendingTask) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  ASSERT_TRUE(Signal(*engine_, "wf1", "a").ok());
  ASSERT_TRUE(Signal(*engine_, "wf1", "b").ok());
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) +
                                    ", 5 TimerStarted, 6 WorkflowExecutionSignaled, "
                                    "7 WorkflowTaskScheduled, 8 WorkflowExecutionSignaled");
  auto t = PollWft(*engine_);
  EXPECT_EQ(HistoryString(t.history()),
            "4 WorkflowTaskCompleted, 5 TimerStarted, 6 WorkflowExecutionSignaled, "
            "7 WorkflowTaskScheduled, 8 WorkflowExecutionSignaled, 9 WorkflowTaskStarted");
}

TEST_F(EngineStep2Test, ARetriedSignalWithTheSameRequestIdIsDeliveredOnce) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  ASSERT_TRUE(SignalWf1("req-a").ok());
  ASSERT_TRUE(SignalWf1("req-a").ok());  // the client lost the reply and retried
  ASSERT_TRUE(SignalWf1("req-b").ok());
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) +
                                    ", 5 TimerStarted, 6 WorkflowExecutionSignaled, "
                                    "7 WorkflowTaskScheduled, 8 WorkflowExecutionSignaled");
}

// The server crashed after committing a signal, before replying; the signal let the
// workflow complete; the client's retry (same request id) must succeed, not fail as closed.
TEST_F(EngineStep2Test, ARetriedSignalSucceedsAfterTheRunItWasDeliveredToClosed) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  ASSERT_TRUE(SignalWf1("req-a").ok());
  auto t = PollWft(*engine_);
  ASSERT_FALSE(t.task_token().empty());
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow()}).ok());
  Status retry = SignalWf1("req-a");
  EXPECT_TRUE(retry.ok()) << retry.ToString();
  Status other = SignalWf1("req-b");
  EXPECT_EQ(other.code(), StatusCode::kFailedPrecondition) << other.ToString();
  EXPECT_NE(other.message().find("closed"), std::string::npos);
}

TEST_F(EngineStep2Test, SignalErrorsNameTheWorkflow) {
  Status st = Signal(*engine_, "ghost", "s");
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("ghost"), std::string::npos);
  StartAndComplete({CompleteWorkflow()});
  st = Signal(*engine_, "wf1", "s");
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("wf1"), std::string::npos);
  st = Signal(*engine_, "wf1", "");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineStep2Test, TerminalCommandWithBufferedEventsFailsTheTaskAndSchedulesAnother) {
  Start(*engine_, "wf1");
  auto t = PollWft(*engine_);
  ASSERT_TRUE(Signal(*engine_, "wf1", "late").ok());
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow()}).ok());
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(HistoryString(h),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskFailed, 5 WorkflowExecutionSignaled, 6 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(3).workflow_task_failed().cause(), "unhandled_command");
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  auto t2 = PollWft(*engine_);
  EXPECT_EQ(t2.history().events(0).event_id(), 1);  // not sticky after a failure
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {CompleteWorkflow()}).ok());
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

TEST_F(EngineStep2Test, CancelRequestIsRecordedOnceAndSchedulesATask) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  v1::RequestCancelWorkflowExecutionRequest r;
  r.mutable_workflow_execution()->set_workflow_id("wf1");
  r.set_reason("stop");
  v1::RequestCancelWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->RequestCancelWorkflowExecution(r, &resp).ok());
  ASSERT_TRUE(engine_->RequestCancelWorkflowExecution(r, &resp).ok());
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) +
                                    ", 5 TimerStarted, 6 WorkflowExecutionCancelRequested, "
                                    "7 WorkflowTaskScheduled");
  auto t = PollWft(*engine_);
  v1::Command c;
  c.mutable_cancel_workflow_execution();
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {c}).ok());
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_CANCELED);
}

TEST_F(EngineStep2Test, TerminateClosesAtOnceAndMakesInFlightTokensStale) {
  StartAndComplete({ScheduleActivity(1)});
  auto a = PollAct(*engine_);
  ASSERT_TRUE(Signal(*engine_, "wf1", "s").ok());
  auto t = PollWft(*engine_);
  v1::TerminateWorkflowExecutionRequest r;
  r.mutable_workflow_execution()->set_workflow_id("wf1");
  r.set_reason("enough");
  v1::TerminateWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->TerminateWorkflowExecution(r, &resp).ok());
  EXPECT_EQ(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow()}).code(), StatusCode::kNotFound);
  EXPECT_EQ(CompleteAct(*engine_, a.task_token()).code(), StatusCode::kNotFound);
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(h.events(h.events_size() - 1).workflow_execution_terminated().reason(), "enough");
  auto d = Describe(*engine_, "wf1");
  EXPECT_EQ(d.info().status(), v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  EXPECT_GT(d.info().close_time_us(), 0);
  EXPECT_EQ(engine_->TerminateWorkflowExecution(r, &resp).code(), StatusCode::kFailedPrecondition);
}

TEST_F(EngineStep2Test, ActivityCompletionDuringATaskIsBufferedWithItsStartedEvent) {
  StartAndComplete({ScheduleActivity(1)});
  ASSERT_TRUE(Signal(*engine_, "wf1", "s").ok());
  auto t = PollWft(*engine_);
  auto a = PollAct(*engine_);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token(), "res").ok());
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) +
                                    ", 5 ActivityTaskScheduled, 6 WorkflowExecutionSignaled, "
                                    "7 WorkflowTaskScheduled");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {}).ok());
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(HistoryString(h), std::string(kFirstTask) +
                                  ", 5 ActivityTaskScheduled, 6 WorkflowExecutionSignaled, "
                                  "7 WorkflowTaskScheduled, 8 WorkflowTaskStarted, "
                                  "9 WorkflowTaskCompleted, 10 ActivityTaskStarted, "
                                  "11 ActivityTaskCompleted, 12 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(10).activity_task_completed().started_event_id(), 10);
  EXPECT_EQ(h.events(10).activity_task_completed().scheduled_event_id(), 5);
}

// --- timers and time skipping ---

TEST_F(EngineStep2Test, UserTimerFiresWhenTimeIsSkipped) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  ASSERT_TRUE(engine_->SkipTime(3599 * kSecond).ok());
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) + ", 5 TimerStarted");
  ASSERT_TRUE(engine_->SkipTime(1 * kSecond).ok());
  auto h = WaitForEvent("wf1", 6);
  EXPECT_EQ(HistoryString(h), "6 TimerFired, 7 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(0).timer_fired().timer_id(), "1");
  EXPECT_EQ(h.events(0).timer_fired().started_event_id(), 5);
}

TEST_F(EngineStep2Test, TimeSkippingJumpsAThirtyDaySleepWhenNothingRuns) {
  ASSERT_TRUE(engine_->SetTimeSkipping(true).ok());
  const int64_t before = clock_->NowMicros();
  StartAndComplete({StartTimer(1, 30LL * 24 * 3600 * kSecond)});
  auto h = WaitForEvent("wf1", 6);
  EXPECT_EQ(HistoryString(h), "6 TimerFired, 7 WorkflowTaskScheduled");
  EXPECT_GE(clock_->NowMicros() - before, 30LL * 24 * 3600 * kSecond);
}

TEST_F(EngineStep2Test, TimeSkippingIsRefusedOnASystemClock) {
  TempDir d;
  auto r = OpenEngine(d.path(), FastOptions());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->SetTimeSkipping(true).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*r)->SkipTime(1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*r)->SkipTimeWhenIdle(1).code(), StatusCode::kFailedPrecondition);
}

TEST_F(EngineStep2Test, SkipTimeWhenIdleWaitsForTheTaskEachTimerCauses) {
  // A 10 s timer, then (set by the task the first fire causes) another 10 s timer: a 25 s
  // skip fires both, each at its own time, because it waits for the task in between.
  StartAndComplete({StartTimer(1, 10 * kSecond)});
  const int64_t start = clock_->NowMicros();
  auto skip = std::async(std::launch::async,
                         [&] { return engine_->SkipTimeWhenIdle(25 * kSecond); });
  auto t = PollWft(*engine_);  // the first timer's task
  ASSERT_FALSE(t.task_token().empty());
  EXPECT_EQ(clock_->NowMicros() - start, 10 * kSecond);
  EXPECT_EQ(skip.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {StartTimer(2, 10 * kSecond)}).ok());
  auto t2 = PollWft(*engine_);  // the second timer's task, at 20 s
  ASSERT_FALSE(t2.task_token().empty());
  EXPECT_EQ(clock_->NowMicros() - start, 20 * kSecond);
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {}).ok());
  ASSERT_TRUE(skip.get().ok());
  EXPECT_EQ(clock_->NowMicros() - start, 25 * kSecond);
}

TEST(VirtualClockTest, FollowsRealTimeWhenAskedAndJumpsForward) {
  VirtualClock frozen(1'000 * kSecond);
  VirtualClock flowing(1'000 * kSecond, /*follows_real_time=*/true);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(frozen.NowMicros(), 1'000 * kSecond);
  EXPECT_GE(flowing.NowMicros() - 1'000 * kSecond, 15'000);
  flowing.AdvanceTo(5'000 * kSecond);
  EXPECT_GE(flowing.NowMicros(), 5'000 * kSecond);
  EXPECT_LT(flowing.NowMicros(), 5'060 * kSecond);  // real time since the jump: generous
  flowing.AdvanceTo(10);  // never backwards
  EXPECT_GE(flowing.NowMicros(), 5'000 * kSecond);
}

TEST_F(EngineStep2Test, CanceledTimerDoesNotFire) {
  StartAndComplete({StartTimer(1, 10 * kSecond), StartTimer(2, 20 * kSecond)});
  ASSERT_TRUE(Signal(*engine_, "wf1", "s").ok());
  auto t = PollWft(*engine_);
  v1::Command c;
  c.mutable_cancel_timer()->set_seq(1);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {c}).ok());
  ASSERT_TRUE(engine_->SkipTime(15 * kSecond).ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            std::string(kFirstTask) +
                ", 5 TimerStarted, 6 TimerStarted, 7 WorkflowExecutionSignaled, "
                "8 WorkflowTaskScheduled, 9 WorkflowTaskStarted, 10 WorkflowTaskCompleted, "
                "11 TimerCanceled");
  ASSERT_TRUE(engine_->SkipTime(10 * kSecond).ok());
  auto h = WaitForEvent("wf1", 12);
  EXPECT_EQ(HistoryString(h), "12 TimerFired, 13 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(0).timer_fired().timer_id(), "2");
  // Unknown timer seq: the task fails with a clear cause and message (engine_bad_commands_test).
  auto t2 = PollWft(*engine_);
  v1::Command bad;
  bad.mutable_cancel_timer()->set_seq(9);
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {bad}).ok());
  h = WaitForEvent("wf1", 15);
  ASSERT_EQ(h.events_size(), 1);
  EXPECT_EQ(h.events(0).workflow_task_failed().cause(), "bad_cancel_timer_attributes");
  EXPECT_NE(h.events(0).workflow_task_failed().failure().message().find("seq 9"), std::string::npos);
}

TEST_F(EngineStep2Test, TimerFiredDuringATaskIsBuffered) {
  StartAndComplete({StartTimer(1, 5 * kSecond)});
  ASSERT_TRUE(Signal(*engine_, "wf1", "s").ok());
  auto t = PollWft(*engine_);
  ASSERT_TRUE(engine_->SkipTime(6 * kSecond).ok());  // less than the 10 s task timeout
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) +
                                    ", 5 TimerStarted, 6 WorkflowExecutionSignaled, "
                                    "7 WorkflowTaskScheduled");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {}).ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            std::string(kFirstTask) +
                ", 5 TimerStarted, 6 WorkflowExecutionSignaled, 7 WorkflowTaskScheduled, "
                "8 WorkflowTaskStarted, 9 WorkflowTaskCompleted, 10 TimerFired, "
                "11 WorkflowTaskScheduled");
}

// --- activity timeouts and heartbeats ---

TEST_F(EngineStep2Test, StartToCloseTimeoutIsRetriedThenRecordedWithItsType) {
  auto c = ScheduleActivity(1, "Act", 2);
  c.mutable_schedule_activity()->set_start_to_close_timeout_us(10 * kSecond);
  StartAndComplete({c});
  auto a1 = PollAct(*engine_);
  ASSERT_TRUE(engine_->SkipTime(11 * kSecond).ok());
  auto a2 = PollAct(*engine_);
  ASSERT_FALSE(a2.task_token().empty());
  EXPECT_EQ(a2.attempt(), 2);
  EXPECT_EQ(CompleteAct(*engine_, a1.task_token()).code(), StatusCode::kNotFound);
  ASSERT_TRUE(engine_->SkipTime(11 * kSecond).ok());
  auto h = WaitForEvent("wf1", 6);
  EXPECT_EQ(HistoryString(h), "6 ActivityTaskStarted, 7 ActivityTaskTimedOut, 8 WorkflowTaskScheduled");
  const auto& to = h.events(1).activity_task_timed_out();
  EXPECT_EQ(to.failure().timeout_failure_info().timeout_type(), v1::TIMEOUT_TYPE_START_TO_CLOSE);
  EXPECT_EQ(to.retry_state(), v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  EXPECT_EQ(to.started_event_id(), 6);
}

TEST_F(EngineStep2Test, HeartbeatDetailsSurviveAHeartbeatTimeoutAndReachTheNextAttempt) {
  auto c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_heartbeat_timeout_us(5 * kSecond);
  StartAndComplete({c});
  auto a1 = PollAct(*engine_);
  ASSERT_TRUE(engine_->SkipTime(4 * kSecond).ok());
  v1::RecordActivityTaskHeartbeatRequest hb;
  hb.set_task_token(a1.task_token());
  *hb.mutable_details() = P("progress-7");
  v1::RecordActivityTaskHeartbeatResponse hresp;
  ASSERT_TRUE(engine_->RecordActivityTaskHeartbeat(hb, &hresp).ok());
  EXPECT_FALSE(hresp.cancel_requested());
  ASSERT_TRUE(engine_->SkipTime(4 * kSecond).ok());  // 8 s after start, 4 s after the heartbeat
  EXPECT_EQ(Describe(*engine_, "wf1").pending_activities(0).attempt(), 1);
  ASSERT_TRUE(engine_->SkipTime(2 * kSecond).ok());  // heartbeat timeout
  auto a2 = PollAct(*engine_);
  ASSERT_FALSE(a2.task_token().empty());
  EXPECT_EQ(a2.attempt(), 2);
  EXPECT_EQ(a2.heartbeat_details().payloads(0).data(), "progress-7");
  auto d = Describe(*engine_, "wf1");
  EXPECT_EQ(d.pending_activities(0).last_failure().timeout_failure_info().timeout_type(),
            v1::TIMEOUT_TYPE_HEARTBEAT);
}

TEST_F(EngineStep2Test, ScheduleToStartTimeoutIsFinal) {
  auto c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_schedule_to_start_timeout_us(5 * kSecond);
  StartAndComplete({c});
  ASSERT_TRUE(engine_->SkipTime(6 * kSecond).ok());
  auto h = WaitForEvent("wf1", 6);
  EXPECT_EQ(HistoryString(h), "6 ActivityTaskTimedOut, 7 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(0).activity_task_timed_out().failure().timeout_failure_info().timeout_type(),
            v1::TIMEOUT_TYPE_SCHEDULE_TO_START);
  EXPECT_TRUE(PollAct(*engine_, "q", "a1", 50'000).task_token().empty());
}

TEST_F(EngineStep2Test, CancelingAnUndispatchedActivityCancelsItAtOnce) {
  StartAndComplete({ScheduleActivity(1), ScheduleActivity(2, "Other")});
  auto a = PollAct(*engine_);  // activity 1 is running, 2 is queued
  ASSERT_EQ(a.activity_id(), "1");
  ASSERT_TRUE(Signal(*engine_, "wf1", "s").ok());
  auto t = PollWft(*engine_);
  v1::Command c1, c2;
  c1.mutable_request_cancel_activity()->set_seq(1);
  c2.mutable_request_cancel_activity()->set_seq(2);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {c1, c2}).ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            std::string(kFirstTask) +
                ", 5 ActivityTaskScheduled, 6 ActivityTaskScheduled, 7 WorkflowExecutionSignaled, "
                "8 WorkflowTaskScheduled, 9 WorkflowTaskStarted, 10 WorkflowTaskCompleted, "
                "11 ActivityTaskCancelRequested, 12 ActivityTaskCancelRequested, "
                "13 ActivityTaskCanceled");
  EXPECT_TRUE(PollAct(*engine_, "q", "a1", 50'000).task_token().empty());
  v1::RecordActivityTaskHeartbeatRequest hb;
  hb.set_task_token(a.task_token());
  v1::RecordActivityTaskHeartbeatResponse hresp;
  ASSERT_TRUE(engine_->RecordActivityTaskHeartbeat(hb, &hresp).ok());
  EXPECT_TRUE(hresp.cancel_requested());
  v1::RespondActivityTaskCanceledRequest cr;
  cr.set_task_token(a.task_token());
  v1::RespondActivityTaskCanceledResponse cresp;
  ASSERT_TRUE(engine_->RespondActivityTaskCanceled(cr, &cresp).ok());
  auto h = WaitForEvent("wf1", 14);
  EXPECT_EQ(HistoryString(h), "14 ActivityTaskStarted, 15 ActivityTaskCanceled, 16 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(1).activity_task_canceled().latest_cancel_requested_event_id(), 11);
}

TEST_F(EngineStep2Test, ActivityTokenByIdCompletesAsynchronously) {
  StartAndComplete({ScheduleActivity(1)});
  auto a = PollAct(*engine_);
  v1::GetActivityTaskTokenRequest r;
  r.mutable_activity()->set_workflow_id("wf1");
  r.mutable_activity()->set_activity_id("1");
  v1::GetActivityTaskTokenResponse resp;
  ASSERT_TRUE(engine_->GetActivityTaskToken(r, &resp).ok());
  ASSERT_TRUE(CompleteAct(*engine_, resp.task_token(), "async").ok());
  r.mutable_activity()->set_activity_id("1");
  EXPECT_EQ(engine_->GetActivityTaskToken(r, &resp).code(), StatusCode::kNotFound);
}

// --- workflow task failure and timeout ---

TEST_F(EngineStep2Test, FirstWorkflowTaskFailureIsRecordedLaterOnesAreTransient) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  v1::RespondWorkflowTaskFailedRequest f;
  f.set_task_token(t1.task_token());
  f.set_cause("nondeterminism");
  f.mutable_failure()->set_message("bad code");
  v1::RespondWorkflowTaskFailedResponse fresp;
  ASSERT_TRUE(engine_->RespondWorkflowTaskFailed(f, &fresp).ok());
  const std::string after_first =
      "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
      "4 WorkflowTaskFailed";
  EXPECT_EQ(H(*engine_, "wf1"), after_first);
  auto t2 = PollWft(*engine_);  // retried at once
  ASSERT_FALSE(t2.task_token().empty());
  EXPECT_EQ(t2.attempt(), 2);
  EXPECT_EQ(HistoryString(t2.history()), after_first + ", 5 WorkflowTaskScheduled, 6 WorkflowTaskStarted");
  f.set_task_token(t2.task_token());
  ASSERT_TRUE(engine_->RespondWorkflowTaskFailed(f, &fresp).ok());
  EXPECT_EQ(H(*engine_, "wf1"), after_first);  // transient: nothing written
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());  // backing off
  ASSERT_TRUE(engine_->SkipTime(1 * kSecond).ok());
  auto t3 = PollWft(*engine_);
  ASSERT_FALSE(t3.task_token().empty());
  EXPECT_EQ(t3.attempt(), 3);
  ASSERT_TRUE(CompleteWft(*engine_, t3.task_token(), {CompleteWorkflow()}).ok());
  auto h = GetHistory(*engine_, "wf1");
  EXPECT_EQ(HistoryString(h), after_first +
                                  ", 5 WorkflowTaskScheduled, 6 WorkflowTaskStarted, "
                                  "7 WorkflowTaskCompleted, 8 WorkflowExecutionCompleted");
  EXPECT_EQ(h.events(4).workflow_task_scheduled().attempt(), 3);
  EXPECT_EQ(h.events(3).workflow_task_failed().cause(), "nondeterminism");
}

TEST_F(EngineStep2Test, WorkflowTaskTimeoutRequeuesTheNextAttemptWithoutWriting) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_TRUE(engine_->SkipTime(11 * kSecond).ok());
  auto t2 = PollWft(*engine_);
  ASSERT_FALSE(t2.task_token().empty());
  EXPECT_EQ(t2.attempt(), 2);
  EXPECT_EQ(HistoryString(t2.history()),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted");
  EXPECT_EQ(CompleteWft(*engine_, t1.task_token(), {CompleteWorkflow()}).code(), StatusCode::kNotFound);
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {CompleteWorkflow()}).ok());
}

// --- queries ---

TEST_F(EngineStep2Test, QueryIsAnsweredByAWorkerAndWritesNothing) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  auto q = std::async(std::launch::async, [&] {
    v1::QueryWorkflowRequest r;
    r.mutable_execution()->set_workflow_id("wf1");
    r.set_query_type("state");
    *r.mutable_query_args() = P("arg");
    r.set_timeout_us(5 * kSecond);
    v1::QueryWorkflowResponse resp;
    Status st = engine_->QueryWorkflow(r, &resp);
    return std::make_pair(st, resp);
  });
  auto t = PollWft(*engine_, "q", "w2");
  ASSERT_TRUE(t.has_query());
  EXPECT_EQ(t.query().query_type(), "state");
  EXPECT_EQ(t.query().query_args().payloads(0).data(), "arg");
  EXPECT_EQ(HistoryString(t.history()), std::string(kFirstTask) + ", 5 TimerStarted");
  // A query token cannot complete a workflow task.
  EXPECT_EQ(CompleteWft(*engine_, t.task_token(), {}).code(), StatusCode::kInvalidArgument);
  v1::RespondQueryTaskCompletedRequest a;
  a.set_task_token(t.task_token());
  *a.mutable_answer() = P("42");
  v1::RespondQueryTaskCompletedResponse aresp;
  ASSERT_TRUE(engine_->RespondQueryTaskCompleted(a, &aresp).ok());
  auto [st, resp] = q.get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(resp.query_result().payloads(0).data(), "42");
  EXPECT_EQ(engine_->RespondQueryTaskCompleted(a, &aresp).code(), StatusCode::kNotFound);
  EXPECT_EQ(H(*engine_, "wf1"), std::string(kFirstTask) + ", 5 TimerStarted");
}

TEST_F(EngineStep2Test, QueryWithoutWorkerTimesOut) {
  StartAndComplete({CompleteWorkflow()});
  v1::QueryWorkflowRequest r;
  r.mutable_execution()->set_workflow_id("wf1");
  r.set_query_type("state");
  r.set_timeout_us(50'000);
  v1::QueryWorkflowResponse resp;
  Status st = engine_->QueryWorkflow(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(st.message().find("wf1"), std::string::npos);
}

// --- updates ---

class UpdateCall {
 public:
  UpdateCall(Engine& e, const std::string& id, v1::UpdateWaitStage stage = v1::UPDATE_WAIT_STAGE_COMPLETED) {
    fut_ = std::async(std::launch::async, [&e, id, stage] {
      v1::UpdateWorkflowExecutionRequest r;
      r.mutable_workflow_execution()->set_workflow_id("wf1");
      r.mutable_request()->set_update_id(id);
      r.mutable_request()->set_name("set");
      *r.mutable_request()->mutable_input() = P("v");
      r.set_wait_stage(stage);
      r.set_timeout_us(5'000'000);
      v1::UpdateWorkflowExecutionResponse resp;
      Status st = e.UpdateWorkflowExecution(r, &resp);
      return std::make_pair(st, resp);
    });
  }
  std::pair<Status, v1::UpdateWorkflowExecutionResponse> Get() { return fut_.get(); }

 private:
  std::future<std::pair<Status, v1::UpdateWorkflowExecutionResponse>> fut_;
};

TEST_F(EngineStep2Test, RejectedUpdateOnASpeculativeTaskLeavesNoTrace) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  const std::string before = H(*engine_, "wf1");
  UpdateCall u(*engine_, "u1");
  auto t = PollWft(*engine_);
  ASSERT_EQ(t.updates_size(), 1);
  EXPECT_EQ(t.updates(0).update_id(), "u1");
  EXPECT_EQ(t.updates(0).input().payloads(0).data(), "v");
  EXPECT_EQ(HistoryString(t.history()),
            "4 WorkflowTaskCompleted, 5 TimerStarted, 6 WorkflowTaskScheduled, 7 WorkflowTaskStarted");
  v1::Command c;
  c.mutable_reject_update()->set_update_id("u1");
  c.mutable_reject_update()->mutable_failure()->set_message("invalid value");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {c}).ok());
  auto [st, resp] = u.Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(resp.stage(), v1::UPDATE_WAIT_STAGE_COMPLETED);
  EXPECT_EQ(resp.outcome().failure().message(), "invalid value");
  EXPECT_EQ(H(*engine_, "wf1"), before);
}

TEST_F(EngineStep2Test, AcceptedUpdateIsRecordedAndDeduplicatedById) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  UpdateCall u(*engine_, "u1");
  auto t = PollWft(*engine_);
  ASSERT_EQ(t.updates_size(), 1);
  v1::Command acc, done;
  acc.mutable_accept_update()->set_update_id("u1");
  done.mutable_complete_update()->set_update_id("u1");
  *done.mutable_complete_update()->mutable_outcome()->mutable_success() = P("ok");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {acc, done}).ok());
  auto [st, resp] = u.Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(resp.stage(), v1::UPDATE_WAIT_STAGE_COMPLETED);
  EXPECT_EQ(resp.outcome().success().payloads(0).data(), "ok");
  EXPECT_EQ(H(*engine_, "wf1"),
            std::string(kFirstTask) +
                ", 5 TimerStarted, 6 WorkflowTaskScheduled, 7 WorkflowTaskStarted, "
                "8 WorkflowTaskCompleted, 9 WorkflowExecutionUpdateAccepted, "
                "10 WorkflowExecutionUpdateCompleted");
  // The same update id again: the recorded outcome, no new task.
  UpdateCall again(*engine_, "u1");
  auto [st2, resp2] = again.Get();
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ(resp2.outcome().success().payloads(0).data(), "ok");
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());
}

TEST_F(EngineStep2Test, UpdateWaitingForAcceptanceReturnsAtAccepted) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  UpdateCall u(*engine_, "u2", v1::UPDATE_WAIT_STAGE_ACCEPTED);
  auto t = PollWft(*engine_);
  v1::Command acc;
  acc.mutable_accept_update()->set_update_id("u2");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {acc}).ok());
  auto [st, resp] = u.Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(resp.stage(), v1::UPDATE_WAIT_STAGE_ACCEPTED);
  v1::PollWorkflowExecutionUpdateRequest pr;
  pr.mutable_workflow_execution()->set_workflow_id("wf1");
  pr.set_update_id("u2");
  pr.set_timeout_us(50'000);
  v1::UpdateWorkflowExecutionResponse presp;
  EXPECT_EQ(engine_->PollWorkflowExecutionUpdate(pr, &presp).code(), StatusCode::kDeadlineExceeded);
}

TEST_F(EngineStep2Test, UpdateOnAClosedWorkflowIsRefused) {
  StartAndComplete({CompleteWorkflow()});
  UpdateCall u(*engine_, "u3");
  auto [st, resp] = u.Get();
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("wf1"), std::string::npos);
}

TEST_F(EngineStep2Test, UpdateCompletedByTheTaskThatClosesTheRunReachesItsWaiter) {
  StartAndComplete({StartTimer(1, 3600 * kSecond)});
  UpdateCall u(*engine_, "u4");
  auto t = PollWft(*engine_);
  ASSERT_EQ(t.updates_size(), 1);
  v1::Command acc, done;
  acc.mutable_accept_update()->set_update_id("u4");
  done.mutable_complete_update()->set_update_id("u4");
  *done.mutable_complete_update()->mutable_outcome()->mutable_success() = P("last");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {acc, done, CompleteWorkflow()}).ok());
  auto [st, resp] = u.Get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(resp.stage(), v1::UPDATE_WAIT_STAGE_COMPLETED);
  EXPECT_EQ(resp.outcome().success().payloads(0).data(), "last");
}

}  // namespace
}  // namespace durable::testing

namespace durable::testing {
namespace {

// Durable timers and heartbeat details survive closing and reopening the engine.
TEST(EngineRestartTest, TimersAndHeartbeatDetailsSurviveAReopen) {
  TempDir dir;
  auto clock = std::make_shared<VirtualClock>(1'700'000'000LL * kSecond);
  EngineOptions o = FastOptions();
  o.clock = clock;
  auto r = OpenEngine(dir.path(), o);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<Engine> e = std::move(r).value();
  Start(*e, "wf1");
  auto t = PollWft(*e);
  ASSERT_TRUE(CompleteWft(*e, t.task_token(), {StartTimer(1, 60 * kSecond), ScheduleActivity(1)}).ok());
  auto a = PollAct(*e);
  v1::RecordActivityTaskHeartbeatRequest hb;
  hb.set_task_token(a.task_token());
  *hb.mutable_details() = P("halfway");
  v1::RecordActivityTaskHeartbeatResponse hresp;
  ASSERT_TRUE(e->RecordActivityTaskHeartbeat(hb, &hresp).ok());
  e.reset();  // the worker's attempt is lost with the process

  auto r2 = OpenEngine(dir.path(), o);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  e = std::move(r2).value();
  // The attempt in flight at the close is not handed out again before its start-to-close
  // timeout (30 s); then it is retried, with its heartbeat details.
  EXPECT_TRUE(PollAct(*e, "q", "a2", 100'000).task_token().empty());
  ASSERT_TRUE(e->SkipTime(60 * kSecond).ok());
  auto a2 = PollAct(*e, "q", "a2", 500'000);
  ASSERT_FALSE(a2.task_token().empty());
  EXPECT_EQ(a2.attempt(), 2);
  EXPECT_EQ(a2.heartbeat_details().payloads(0).data(), "halfway");
  v1::GetWorkflowExecutionHistoryRequest hr;
  hr.mutable_execution()->set_workflow_id("wf1");
  hr.set_wait_new_event(true);
  hr.set_from_event_id(7);
  hr.set_timeout_us(5 * kSecond);
  v1::GetWorkflowExecutionHistoryResponse hresp2;
  ASSERT_TRUE(e->GetWorkflowExecutionHistory(hr, &hresp2).ok());
  EXPECT_EQ(HistoryString(hresp2.history()), "7 TimerFired, 8 WorkflowTaskScheduled");
}

}  // namespace
}  // namespace durable::testing
