// The engine's metrics: events reported to EngineOptions::metrics (starts, closes by status,
// schedule-to-start, timer lag, transitions and WAL syncs) and Engine::Gauges().
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "durable/metrics.h"
#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

class RecordingSink : public MetricsSink {
 public:
  void WorkflowStarted(const std::string& ns, const std::string& type) override {
    std::lock_guard<std::mutex> l(mu_);
    started[{ns, type}]++;
  }
  void WorkflowClosed(const std::string& ns, const std::string& type,
                      const std::string& status) override {
    std::lock_guard<std::mutex> l(mu_);
    closed[{ns, type, status}]++;
  }
  void TaskScheduleToStart(const std::string& ns, const std::string& queue,
                           const std::string& kind, double seconds) override {
    std::lock_guard<std::mutex> l(mu_);
    EXPECT_GE(seconds, 0);
    schedule_to_start[{ns, queue, kind}]++;
  }
  void TimerLag(const std::string& ns, double seconds) override {
    std::lock_guard<std::mutex> l(mu_);
    EXPECT_GE(seconds, 0);
    timers_fired++;
    cv_.notify_all();
  }
  void TransitionWritten(const std::string& ns, bool synced) override {
    std::lock_guard<std::mutex> l(mu_);
    transitions++;
    if (synced) wal_syncs++;
  }
  // Waits (bounded only to not hang a broken build) until a timer fired.
  bool WaitTimerFired() {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(30), [&] { return timers_fired > 0; });
  }
  template <typename F>
  auto Read(F f) {
    std::lock_guard<std::mutex> l(mu_);
    return f();
  }

  std::map<std::tuple<std::string, std::string>, int> started;
  std::map<std::tuple<std::string, std::string, std::string>, int> closed;
  std::map<std::tuple<std::string, std::string, std::string>, int> schedule_to_start;
  int timers_fired = 0;
  int transitions = 0;
  int wal_syncs = 0;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

// A copy: Gauges() returns a temporary (a pointer into it would dangle; ASan found one).
std::optional<QueueGauge> FindQueue(const EngineGauges& g, const std::string& queue,
                                    const std::string& kind) {
  for (const auto& q : g.queues) {
    if (q.task_queue == queue && q.kind == kind) return q;
  }
  return std::nullopt;
}

TEST(EngineMetricsTest, ReportsStartsClosesTasksAndTransitions) {
  TempDir dir;
  auto sink = std::make_shared<RecordingSink>();
  EngineOptions o = FastOptions();
  o.metrics = sink;
  o.namespace_name = "ns1";
  auto opened = OpenEngine(dir.path(), o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Engine& e = **opened;

  Start(e, "ok");
  Start(e, "bad");
  EXPECT_EQ(sink->Read([&] { return sink->started[{"ns1", "Wf"}]; }), 2);
  std::optional<QueueGauge> q = FindQueue(e.Gauges(), "q", "workflow");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->depth, 2);

  // "ok": one activity, then completes.
  auto t1 = PollWft(e);
  ASSERT_EQ(t1.workflow_execution().workflow_id(), "ok");
  ASSERT_TRUE(CompleteWft(e, t1.task_token(), {ScheduleActivity(1)}).ok());
  auto a = PollAct(e);
  ASSERT_FALSE(a.task_token().empty());
  ASSERT_TRUE(CompleteAct(e, a.task_token()).ok());
  // "bad": fails.
  auto t2 = PollWft(e);
  ASSERT_EQ(t2.workflow_execution().workflow_id(), "bad");
  v1::Command fail;
  *fail.mutable_fail_workflow_execution()->mutable_failure() = AppFailure("oops");
  ASSERT_TRUE(CompleteWft(e, t2.task_token(), {fail}).ok());
  auto t3 = PollWft(e);
  ASSERT_EQ(t3.workflow_execution().workflow_id(), "ok");
  ASSERT_TRUE(CompleteWft(e, t3.task_token(), {CompleteWorkflow()}).ok());

  sink->Read([&] {
    EXPECT_EQ((sink->closed[{"ns1", "Wf", "completed"}]), 1);
    EXPECT_EQ((sink->closed[{"ns1", "Wf", "failed"}]), 1);
    EXPECT_EQ(sink->closed.size(), 2u);
    EXPECT_EQ((sink->schedule_to_start[{"ns1", "q", "workflow"}]), 3);
    EXPECT_EQ((sink->schedule_to_start[{"ns1", "q", "activity"}]), 1);
    EXPECT_EQ(sink->transitions, 6);  // 2 starts, 3 task completions, 1 activity completion
    EXPECT_EQ(sink->wal_syncs, 0);    // relaxed writes
    return 0;
  });
  EngineGauges g = e.Gauges();
  ASSERT_TRUE(FindQueue(g, "q", "workflow").has_value());
  EXPECT_EQ(FindQueue(g, "q", "workflow")->depth, 0);
  ASSERT_TRUE(FindQueue(g, "q", "activity").has_value());
  bool has_keys = false;
  for (const auto& [name, value] : g.store_properties) {
    if (name == "rocksdb.estimate-num-keys") has_keys = value > 0;
  }
  EXPECT_TRUE(has_keys);
}

TEST(EngineMetricsTest, ReportsTimerLagAndWalSyncs) {
  TempDir dir;
  auto sink = std::make_shared<RecordingSink>();
  EngineOptions o;  // sync_writes = true
  o.metrics = sink;
  auto opened = OpenEngine(dir.path(), o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Engine& e = **opened;
  Start(e, "t");
  auto t = PollWft(e);
  ASSERT_TRUE(CompleteWft(e, t.task_token(), {StartTimer(1, 1'000)}).ok());
  ASSERT_TRUE(sink->WaitTimerFired());
  sink->Read([&] {
    EXPECT_EQ((sink->started[{"default", "Wf"}]), 1);
    EXPECT_GE(sink->transitions, 2);
    EXPECT_EQ(sink->wal_syncs, sink->transitions);
    return 0;
  });
}

TEST(EngineMetricsTest, CountsContinueAsNewAndTerminate) {
  TempDir dir;
  auto sink = std::make_shared<RecordingSink>();
  EngineOptions o = FastOptions();
  o.metrics = sink;
  auto opened = OpenEngine(dir.path(), o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Engine& e = **opened;
  Start(e, "can");
  auto t = PollWft(e);
  v1::Command can;
  can.mutable_continue_as_new_workflow_execution()->set_workflow_type("Next");
  ASSERT_TRUE(CompleteWft(e, t.task_token(), {can}).ok());
  v1::TerminateWorkflowExecutionRequest term;
  term.mutable_workflow_execution()->set_workflow_id("can");
  term.set_reason("enough");
  v1::TerminateWorkflowExecutionResponse term_resp;
  ASSERT_TRUE(e.TerminateWorkflowExecution(term, &term_resp).ok());
  sink->Read([&] {
    EXPECT_EQ((sink->started[{"default", "Wf"}]), 1);
    EXPECT_EQ((sink->started[{"default", "Next"}]), 1);  // the new run
    EXPECT_EQ((sink->closed[{"default", "Wf", "continued_as_new"}]), 1);
    EXPECT_EQ((sink->closed[{"default", "Next", "terminated"}]), 1);
    EXPECT_EQ(sink->closed.size(), 2u);
    return 0;
  });
}

TEST(EngineMetricsTest, PollersAreCountedWhileParked) {
  TempDir dir;
  auto opened = OpenEngine(dir.path(), FastOptions());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Engine& e = **opened;
  std::thread poller([&] { PollAct(e, "pq", "a1", 30'000'000); });
  // Wait for the poll to park (a condition, not a sleep).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t pollers = 0;
  while (pollers == 0 && std::chrono::steady_clock::now() < give_up) {
    std::optional<QueueGauge> q = FindQueue(e.Gauges(), "pq", "activity");
    pollers = q ? q->pollers : 0;
    std::this_thread::yield();
  }
  EXPECT_EQ(pollers, 1);
  // Wake it: schedule an activity on "pq".
  Start(e, "w", "pq");
  auto wt = PollWft(e, "pq");
  ASSERT_TRUE(CompleteWft(e, wt.task_token(), {ScheduleActivity(1)}).ok());
  poller.join();
  EXPECT_EQ(FindQueue(e.Gauges(), "pq", "activity")->pollers, 0);
}

}  // namespace
}  // namespace durable::testing
