// Task-queue rate limit (PollActivityTaskQueueRequest.max_tasks_per_second): Matching's token
// bucket on its own, and through the engine's activity polls. Timing assertions are one-sided
// or generous: the machine is shared and noisy.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine_test_helpers.h"
#include "matching/matching.h"

namespace durable::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = Matching::Kind;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

QueuedTask Task(int i) {
  QueuedTask t;
  t.row.set_workflow_id("wf-" + std::to_string(i));
  return t;
}

// Polls `n` tasks, each poll with a 5 s deadline; returns how many it got.
int PollN(Matching& m, int n, double rate) {
  int got = 0;
  for (int i = 0; i < n; ++i) {
    auto t = m.Poll(Kind::kActivity, "q", "a1", Clock::now() + std::chrono::seconds(5), rate);
    if (!t) break;
    m.DoneDispatching();
    ++got;
  }
  return got;
}

TEST(MatchingRateLimitTest, FiveTasksPerSecondSpacesFifteenTasksOverAtLeastTwoAndAHalfSeconds) {
  Matching m;
  for (int i = 0; i < 15; ++i) m.Push(Kind::kActivity, "q", Task(i));
  auto start = Clock::now();
  EXPECT_EQ(PollN(m, 15, 5.0), 15);
  double took = Seconds(start);
  EXPECT_GE(took, 2.4);   // 14 gaps of 0.2 s after the first task
  EXPECT_LT(took, 15.0);  // and not stuck
}

TEST(MatchingRateLimitTest, ZeroMeansUnlimited) {
  Matching m;
  for (int i = 0; i < 15; ++i) m.Push(Kind::kActivity, "q", Task(i));
  auto start = Clock::now();
  EXPECT_EQ(PollN(m, 15, 0), 15);
  EXPECT_LT(Seconds(start), 2.0);  // 5/s would take 2.8 s; at once takes microseconds
  EXPECT_EQ(m.RateLimit(Kind::kActivity, "q"), 0);
}

TEST(MatchingRateLimitTest, TheMostRecentNonZeroRateWinsAndZeroKeepsIt) {
  Matching m;
  auto soon = [] { return Clock::now() + std::chrono::milliseconds(1); };
  (void)m.Poll(Kind::kActivity, "q", "a1", soon(), 5.0);
  EXPECT_EQ(m.RateLimit(Kind::kActivity, "q"), 5.0);
  (void)m.Poll(Kind::kActivity, "q", "a2", soon(), 0);
  EXPECT_EQ(m.RateLimit(Kind::kActivity, "q"), 5.0);
  (void)m.Poll(Kind::kActivity, "q", "a2", soon(), 50.0);
  EXPECT_EQ(m.RateLimit(Kind::kActivity, "q"), 50.0);
  EXPECT_EQ(m.RateLimit(Kind::kActivity, "other"), 0);  // per queue

  // Under the last rate (50/s), twenty tasks take about 0.38 s, not 3.8 s (5/s).
  for (int i = 0; i < 20; ++i) m.Push(Kind::kActivity, "q", Task(i));
  auto start = Clock::now();
  EXPECT_EQ(PollN(m, 20, 0), 20);
  EXPECT_GE(Seconds(start), 0.3);
  EXPECT_LT(Seconds(start), 3.0);
}

TEST(MatchingRateLimitTest, APollOverTheRateWaitsWithinItsTimeoutAndLeavesTheTaskQueued) {
  Matching m;
  m.Push(Kind::kActivity, "q", Task(1));
  m.Push(Kind::kActivity, "q", Task(2));
  ASSERT_TRUE(m.Poll(Kind::kActivity, "q", "a1", Clock::now() + std::chrono::seconds(1), 0.25));
  m.DoneDispatching();
  // The next token is 4 s away: a 200 ms poll waits out its timeout and returns empty.
  // The bounds are loose on purpose: they tell the poll's own timeout from the token's.
  auto start = Clock::now();
  auto none = m.Poll(Kind::kActivity, "q", "a1", Clock::now() + std::chrono::milliseconds(200), 0);
  EXPECT_FALSE(none.has_value());
  EXPECT_GE(Seconds(start), 0.15);
  EXPECT_LT(Seconds(start), 3.5);  // its own timeout, not the token
  EXPECT_EQ(m.QueuedCount(Kind::kActivity, "q"), 1u);
  // A longer poll gets it when the token comes.
  auto t = m.Poll(Kind::kActivity, "q", "a1", Clock::now() + std::chrono::seconds(60), 0);
  ASSERT_TRUE(t.has_value());
  m.DoneDispatching();
  EXPECT_GE(Seconds(start), 3.5);
  EXPECT_LT(Seconds(start), 45.0);  // the token, not the poll's 60 s timeout
}

TEST(MatchingRateLimitTest, ParkedPollersWakeForTheNextTokenAndCloseStillWakesThem) {
  Matching m;
  m.Push(Kind::kActivity, "q", Task(1));
  m.Push(Kind::kActivity, "q", Task(2));
  ASSERT_TRUE(m.Poll(Kind::kActivity, "q", "a1", Clock::now() + std::chrono::seconds(1), 0.1));
  m.DoneDispatching();
  // Next token in 10 s; Close() wakes the parked poll at once.
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    m.Close();
  });
  auto start = Clock::now();
  auto t = m.Poll(Kind::kActivity, "q", "a1", Clock::now() + std::chrono::seconds(30), 0);
  closer.join();
  EXPECT_FALSE(t.has_value());
  EXPECT_LT(Seconds(start), 8.0);  // woken by Close, not by the token (10 s) or timeout
}

TEST(MatchingRateLimitTest, EngineDispatchesQueuedActivityTasksAtTheRequestedRate) {
  TempDir dir;
  auto opened = OpenEngine(dir.path(), FastOptions());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Engine> e = std::move(opened).value();
  Start(*e, "wf-rate");
  auto wft = PollWft(*e);
  ASSERT_FALSE(wft.task_token().empty());
  std::vector<v1::Command> cmds;
  for (int i = 1; i <= 15; ++i) cmds.push_back(ScheduleActivity(i));
  ASSERT_TRUE(CompleteWft(*e, wft.task_token(), cmds).ok());

  auto poll = [&](double rate) {
    v1::PollActivityTaskQueueRequest r;
    r.set_task_queue("q");
    r.set_identity("a1");
    r.set_timeout_us(5'000'000);
    r.set_max_tasks_per_second(rate);
    v1::PollActivityTaskQueueResponse resp;
    Status st = e->PollActivityTaskQueue(r, &resp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return resp;
  };
  auto start = Clock::now();
  for (int i = 0; i < 15; ++i) {
    ASSERT_FALSE(poll(5.0).task_token().empty()) << "task " << i;
  }
  double took = Seconds(start);
  EXPECT_GE(took, 2.4);
  EXPECT_LT(took, 15.0);

  // Bad input: a negative rate is refused.
  v1::PollActivityTaskQueueRequest bad;
  bad.set_task_queue("q");
  bad.set_max_tasks_per_second(-1);
  v1::PollActivityTaskQueueResponse resp;
  Status st = e->PollActivityTaskQueue(bad, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("max_tasks_per_second"), std::string::npos);
}

TEST(MatchingRateLimitTest, EngineWithoutARateDispatchesAtOnce) {
  TempDir dir;
  auto opened = OpenEngine(dir.path(), FastOptions());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Engine> e = std::move(opened).value();
  Start(*e, "wf-fast");
  auto wft = PollWft(*e);
  std::vector<v1::Command> cmds;
  for (int i = 1; i <= 15; ++i) cmds.push_back(ScheduleActivity(i));
  ASSERT_TRUE(CompleteWft(*e, wft.task_token(), cmds).ok());
  auto start = Clock::now();
  for (int i = 0; i < 15; ++i) ASSERT_FALSE(PollAct(*e).task_token().empty()) << "task " << i;
  EXPECT_LT(Seconds(start), 2.0);
}

}  // namespace
}  // namespace durable::testing
