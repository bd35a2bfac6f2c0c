// An activity attempt whose worker dies with the engine (the process is killed): its start is
// persisted at dispatch (unsynced), so on reopen it is not handed out again; it ends by its
// heartbeat / start-to-close timeout and the retry policy decides (attempt + 1, the last
// heartbeat details kept), which makes maximum_attempts apply to crash loops. Its token
// stays valid until then.
#include <gtest/gtest.h>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

constexpr int64_t kSecond = 1'000'000;

class EngineActivityRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<VirtualClock>(1'700'000'000LL * kSecond);
    Open();
  }
  // Opens (or reopens) the engine on the directory; writes are synced unless they opt out.
  void Open() {
    engine_.reset();
    auto s = OpenRocksDbStore(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto fs = std::make_unique<FailingStore>(std::move(s).value());
    writes_ = fs->writes;
    synced_ = fs->synced_writes;
    EngineOptions o;
    o.sync_writes = true;
    o.clock = clock_;
    auto r = OpenEngineOnStore(std::move(fs), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  // Starts wf1 and completes its first task by scheduling `act`.
  void StartWithActivity(v1::Command act) {
    Start(*engine_, "wf1");
    auto t = PollWft(*engine_);
    ASSERT_FALSE(t.task_token().empty());
    Status st = CompleteWft(*engine_, t.task_token(), {std::move(act)});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  Status Heartbeat(const std::string& token, const std::string& details) {
    v1::RecordActivityTaskHeartbeatRequest r;
    r.set_task_token(token);
    *r.mutable_details() = P(details);
    v1::RecordActivityTaskHeartbeatResponse resp;
    return engine_->RecordActivityTaskHeartbeat(r, &resp);
  }
  bool NothingToPoll() { return PollAct(*engine_, "q", "a2", 100'000).task_token().empty(); }
  // The single event of the given kind in wf1's history.
  v1::HistoryEvent Find(const std::string& name) {
    v1::HistoryEvent found;
    int n = 0;
    const v1::History h = GetHistory(*engine_, "wf1");
    for (const auto& ev : h.events()) {
      if (EventName(ev) == name) {
        found = ev;
        ++n;
      }
    }
    EXPECT_EQ(n, 1) << name << " in " << H(*engine_, "wf1");
    return found;
  }

  TempDir dir_;
  std::shared_ptr<VirtualClock> clock_;
  std::unique_ptr<Engine> engine_;
  std::shared_ptr<std::atomic<int>> writes_;
  std::shared_ptr<std::atomic<int>> synced_;
};

TEST_F(EngineActivityRestartTest, DispatchWritesTheAttemptsStartWithoutASync) {
  StartWithActivity(ScheduleActivity(1));
  const int writes = writes_->load(), synced = synced_->load();
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_EQ(writes_->load(), writes + 1);  // one write: the mutable state
  EXPECT_EQ(synced_->load(), synced);      // ... not synced
  // No history event: ActivityTaskStarted is written with the outcome.
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled");
  auto d = Describe(*engine_, "wf1");
  ASSERT_EQ(d.pending_activities_size(), 1);
  EXPECT_EQ(d.pending_activities(0).state(), "started");
  EXPECT_EQ(d.pending_activities(0).last_started_time_us(), clock_->NowMicros());
  EXPECT_EQ(d.pending_activities(0).last_worker_identity(), "a1");
  // The outcome is synced as before.
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
  EXPECT_EQ(synced_->load(), synced + 1);
}

TEST_F(EngineActivityRestartTest, CrashedAttemptIsRetriedAfterItsHeartbeatTimeoutWithItsDetails) {
  v1::Command c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_heartbeat_timeout_us(5 * kSecond);
  StartWithActivity(c);
  const int64_t started = clock_->NowMicros();
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  ASSERT_TRUE(engine_->SkipTime(2 * kSecond).ok());
  ASSERT_TRUE(Heartbeat(a.task_token(), "progress-3").ok());  // deadline: start + 7 s
  Open();  // the worker's process died, and the engine with it

  // The attempt is still running as far as the engine knows: not handed out again.
  EXPECT_TRUE(NothingToPoll());
  auto d = Describe(*engine_, "wf1");
  ASSERT_EQ(d.pending_activities_size(), 1);
  EXPECT_EQ(d.pending_activities(0).state(), "started");
  EXPECT_EQ(d.pending_activities(0).attempt(), 1);
  EXPECT_EQ(d.pending_activities(0).last_started_time_us(), started);
  EXPECT_EQ(d.pending_activities(0).last_heartbeat_time_us(), started + 2 * kSecond);

  ASSERT_TRUE(engine_->SkipTime(4 * kSecond).ok());  // start + 6 s: before the deadline
  EXPECT_TRUE(NothingToPoll());
  ASSERT_TRUE(engine_->SkipTime(2 * kSecond).ok());  // start + 8 s: timed out, retried (10 ms)
  auto a2 = PollAct(*engine_, "q", "a2", 500'000);
  ASSERT_FALSE(a2.task_token().empty());
  EXPECT_EQ(a2.attempt(), 2);
  ASSERT_EQ(a2.heartbeat_details().payloads_size(), 1);
  EXPECT_EQ(a2.heartbeat_details().payloads(0).data(), "progress-3");
  // The killed attempt's token is stale now.
  Status st = CompleteAct(*engine_, a.task_token());
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_EQ(Heartbeat(a.task_token(), "late").code(), StatusCode::kNotFound);
  ASSERT_TRUE(CompleteAct(*engine_, a2.task_token(), "42").ok());

  const auto s = Find("ActivityTaskStarted").activity_task_started();
  EXPECT_EQ(s.attempt(), 2);
  EXPECT_EQ(s.last_failure().timeout_failure_info().timeout_type(), v1::TIMEOUT_TYPE_HEARTBEAT);
  EXPECT_EQ(s.last_failure().timeout_failure_info().last_heartbeat_details().payloads(0).data(),
            "progress-3");
  EXPECT_EQ(Find("ActivityTaskCompleted").activity_task_completed().result().payloads(0).data(),
            "42");
}

TEST_F(EngineActivityRestartTest, ACrashLoopEndsAtMaximumAttemptsWithActivityTaskTimedOut) {
  StartWithActivity(ScheduleActivity(1, "Act", /*max_attempts=*/2));  // start-to-close 30 s
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto a = PollAct(*engine_, "q", "a" + std::to_string(attempt), 500'000);
    ASSERT_FALSE(a.task_token().empty()) << "attempt " << attempt;
    EXPECT_EQ(a.attempt(), attempt);
    Open();  // killed mid-activity, every time
    EXPECT_TRUE(NothingToPoll());
    ASSERT_TRUE(engine_->SkipTime(29 * kSecond).ok());
    EXPECT_TRUE(NothingToPoll());
    ASSERT_TRUE(engine_->SkipTime(2 * kSecond).ok());  // start-to-close timeout (+ 10 ms backoff)
  }
  EXPECT_TRUE(NothingToPoll());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskTimedOut, 8 WorkflowTaskScheduled");
  const auto s = Find("ActivityTaskStarted").activity_task_started();
  EXPECT_EQ(s.attempt(), 2);
  EXPECT_EQ(s.identity(), "a2");  // the worker the attempt went to
  const auto t = Find("ActivityTaskTimedOut").activity_task_timed_out();
  EXPECT_EQ(t.failure().timeout_failure_info().timeout_type(), v1::TIMEOUT_TYPE_START_TO_CLOSE);
  EXPECT_EQ(t.retry_state(), v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  EXPECT_EQ(t.started_event_id(), 6);
}

// As in Temporal, the running attempt's token outlives its worker (async completion from
// another process): after a reopen it still completes the attempt.
TEST_F(EngineActivityRestartTest, TheRunningAttemptsTokenStillCompletesItAfterAReopen) {
  StartWithActivity(ScheduleActivity(1));
  auto a = PollAct(*engine_);
  ASSERT_FALSE(a.task_token().empty());
  Open();
  ASSERT_TRUE(Heartbeat(a.task_token(), "still here").ok());
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token(), "late").ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 ActivityTaskStarted, "
            "7 ActivityTaskCompleted, 8 WorkflowTaskScheduled");
  // Its timeouts, armed on open, find nothing to do.
  ASSERT_TRUE(engine_->SkipTime(31 * kSecond).ok());
  EXPECT_TRUE(NothingToPoll());
  EXPECT_EQ(Find("ActivityTaskStarted").activity_task_started().attempt(), 1);
}

TEST_F(EngineActivityRestartTest, AnActivityNotYetDispatchedIsHandedOutAtOnceAfterAReopen) {
  StartWithActivity(ScheduleActivity(1));
  Open();
  auto a = PollAct(*engine_, "q", "a1", 500'000);
  ASSERT_FALSE(a.task_token().empty());
  EXPECT_EQ(a.attempt(), 1);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
}

}  // namespace
}  // namespace durable::testing
