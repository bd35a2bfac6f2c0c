// The timer-transition frame's retry rule: a timer whose run cannot be read when it fires
// (an internal error, injected once by FailingStore) fires again later and its effect
// happens exactly once — for every kind that used to drop the timer until the next reopen,
// and for the workflow-task timeout, which used to requeue nothing. And under time skipping,
// a workflow task that always fails is not retried in a busy loop.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "engine/engine_impl.h"
#include "engine_test_helpers.h"

namespace durable {

// Reads the engine's timer service (friend of EngineImpl).
class EngineTestPeer {
 public:
  // Timers re-armed after a failed transition, not fired again yet.
  static size_t RetriesWaiting(Engine& e) {
    return static_cast<EngineImpl&>(e).timers_->real_time_size();
  }
};

namespace testing {
namespace {

constexpr int64_t kSecond = 1'000'000;

// Waits (polling) for `done`; false if it is still not true after 20 s.
bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int CountEvents(const v1::History& h, const std::string& name) {
  int n = 0;
  for (const auto& ev : h.events()) n += EventName(ev) == name;
  return n;
}

class EngineTimerFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<VirtualClock>(1'700'000'000LL * kSecond);
    auto s = OpenRocksDbStore(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto fs = std::make_unique<FailingStore>(std::move(s).value());
    fail_reads_ = fs->fail_execution_reads;
    EngineOptions o = FastOptions();
    o.clock = clock_;
    auto r = OpenEngineOnStore(std::move(fs), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  void StartAndComplete(std::vector<v1::Command> cmds) {
    Start(*engine_, "wf1");
    auto t = PollWft(*engine_);
    ASSERT_FALSE(t.task_token().empty());
    Status st = CompleteWft(*engine_, t.task_token(), std::move(cmds));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // The next read of a run's state fails once; `skip_us` of virtual time then passes, so the
  // timer due in it fires and meets the failure (only one timer may be due: a test skips less
  // than the 10 s timeout of its first, completed workflow task, which would fire first and
  // find nothing to do). Returns once the failure was hit.
  void FireWithOneFailedRead(int64_t skip_us) {
    *fail_reads_ = 1;
    ASSERT_TRUE(engine_->SkipTime(skip_us).ok());
    ASSERT_TRUE(WaitUntil([&] { return fail_reads_->load() == 0; }))
        << "the timer never read its run";
  }
  // Waits for one `event` in wf1's history and for no retry to be left waiting, then checks
  // the event is there exactly once.
  void ExpectEffectOnce(const std::string& event) {
    ASSERT_TRUE(WaitUntil([&] { return CountEvents(GetHistory(*engine_, "wf1"), event) > 0; }))
        << event << " never happened: the timer was dropped after the failed read";
    ASSERT_TRUE(WaitUntil([&] { return EngineTestPeer::RetriesWaiting(*engine_) == 0; }))
        << EngineTestPeer::RetriesWaiting(*engine_) << " retries still waiting";
    EXPECT_EQ(CountEvents(GetHistory(*engine_, "wf1"), event), 1) << H(*engine_, "wf1");
  }
  TempDir dir_;
  std::shared_ptr<VirtualClock> clock_;
  std::shared_ptr<std::atomic<int>> fail_reads_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTimerFaultTest, UserTimerFiresOnceAfterAFailedRead) {
  StartAndComplete({StartTimer(1, 5 * kSecond)});
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("TimerFired");
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 TimerStarted, 6 TimerFired, 7 WorkflowTaskScheduled");
}

TEST_F(EngineTimerFaultTest, RunTimeoutFiresOnceAfterAFailedRead) {
  auto req = StartReq("wf1");
  req.set_run_timeout_us(5 * kSecond);
  v1::StartWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(req, &resp).ok());
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("WorkflowExecutionTimedOut");
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(),
            v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
}

TEST_F(EngineTimerFaultTest, ExecutionTimeoutFiresOnceAfterAFailedRead) {
  auto req = StartReq("wf1");
  req.set_execution_timeout_us(5 * kSecond);
  v1::StartWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(req, &resp).ok());
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("WorkflowExecutionTimedOut");
}

TEST_F(EngineTimerFaultTest, StartDelayFiresOnceAfterAFailedRead) {
  auto req = StartReq("wf1");
  req.set_start_delay_us(5 * kSecond);
  v1::StartWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(req, &resp).ok());
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted");
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("WorkflowTaskScheduled");
  EXPECT_FALSE(PollWft(*engine_).task_token().empty());
}

TEST_F(EngineTimerFaultTest, ScheduleToStartTimeoutFiresOnceAfterAFailedRead) {
  auto c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_schedule_to_start_timeout_us(5 * kSecond);
  StartAndComplete({c});
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("ActivityTaskTimedOut");
}

TEST_F(EngineTimerFaultTest, ScheduleToCloseTimeoutFiresOnceAfterAFailedRead) {
  auto c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_schedule_to_close_timeout_us(5 * kSecond);
  StartAndComplete({c});
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("ActivityTaskTimedOut");
  const auto h = GetHistory(*engine_, "wf1");
  for (const auto& ev : h.events()) {
    if (!ev.has_activity_task_timed_out()) continue;
    EXPECT_EQ(ev.activity_task_timed_out().failure().timeout_failure_info().timeout_type(),
              v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE);
  }
}

// In-memory timers (no row on disk) are re-armed the same way.
TEST_F(EngineTimerFaultTest, StartToCloseTimeoutFiresOnceAfterAFailedRead) {
  auto c = ScheduleActivity(1, "Act", /*max_attempts=*/1);
  c.mutable_schedule_activity()->set_start_to_close_timeout_us(5 * kSecond);
  StartAndComplete({c});
  ASSERT_FALSE(PollAct(*engine_).task_token().empty());
  FireWithOneFailedRead(6 * kSecond);  // before the first task's (stale) 10 s timeout
  ExpectEffectOnce("ActivityTaskTimedOut");
}

TEST_F(EngineTimerFaultTest, HeartbeatTimeoutFiresOnceAfterAFailedRead) {
  auto c = ScheduleActivity(1, "Act", /*max_attempts=*/1);
  c.mutable_schedule_activity()->set_heartbeat_timeout_us(5 * kSecond);
  StartAndComplete({c});
  ASSERT_FALSE(PollAct(*engine_).task_token().empty());
  FireWithOneFailedRead(6 * kSecond);
  ExpectEffectOnce("ActivityTaskTimedOut");
}

TEST_F(EngineTimerFaultTest, WorkflowTaskTimeoutRequeuesTheTaskAfterAFailedRead) {
  Start(*engine_, "wf1");
  auto t1 = PollWft(*engine_);
  ASSERT_FALSE(t1.task_token().empty());
  FireWithOneFailedRead(11 * kSecond);  // past the 10 s task timeout
  auto t2 = PollWft(*engine_, "q", "w1", 20 * kSecond);
  ASSERT_FALSE(t2.task_token().empty()) << "the timed-out task was never requeued";
  EXPECT_EQ(t2.attempt(), 2);
  EXPECT_EQ(CompleteWft(*engine_, t1.task_token(), {CompleteWorkflow()}).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {CompleteWorkflow()}).ok());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 WorkflowExecutionCompleted");
}

// --- time skipping and a workflow task that always fails ---

TEST(EngineTimeSkippingTest, AnAlwaysFailingTaskIsNotRetriedInABusyLoop) {
  TempDir dir;
  auto clock = std::make_shared<VirtualClock>(1'700'000'000LL * kSecond, /*follows_real_time=*/true);
  EngineOptions o = FastOptions();
  o.clock = clock;
  auto r = OpenEngine(dir.path(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Engine& e = **r;
  ASSERT_TRUE(e.SetTimeSkipping(true).ok());
  Start(e, "wf1");
  auto fail = [&](const v1::PollWorkflowTaskQueueResponse& t) {
    v1::RespondWorkflowTaskFailedRequest f;
    f.set_task_token(t.task_token());
    f.mutable_failure()->set_message("always fails");
    v1::RespondWorkflowTaskFailedResponse resp;
    ASSERT_TRUE(e.RespondWorkflowTaskFailed(f, &resp).ok());
  };
  // The first retries come at once or after a skipped backoff (1 s, 2 s).
  for (int attempt = 1; attempt <= 4; ++attempt) {
    auto t = PollWft(e, "q", "w1", 20 * kSecond);
    ASSERT_FALSE(t.task_token().empty()) << "attempt " << attempt << " never came";
    ASSERT_EQ(t.attempt(), attempt);
    fail(t);
  }
  // From then on each backoff (3 s, 4 s, ... 10 s) is waited in real time: over 2 s a busy
  // loop would make thousands of attempts.
  int attempts = 0;
  const auto window_end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < window_end) {
    auto t = PollWft(e, "q", "w1", 100'000);
    if (t.task_token().empty()) continue;
    ++attempts;
    fail(t);
  }
  EXPECT_LT(attempts, 50);
  // The retry still comes.
  auto t = PollWft(e, "q", "w1", 20 * kSecond);
  ASSERT_FALSE(t.task_token().empty()) << "the retry never came";
  EXPECT_EQ(t.attempt(), 5 + attempts);
}

}  // namespace
}  // namespace testing
}  // namespace durable
