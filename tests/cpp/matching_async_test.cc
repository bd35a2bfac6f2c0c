// Matching's asynchronous polls (durable-server) and sticky tasks: a parked async poll gets a
// pushed task on the dispatch pool, ends empty at its deadline, on worker shutdown or on
// Close, and an abandoned one gets nothing; a sticky task waits for its worker's poll until
// its sticky deadline, or until that worker shuts down. Waits are on futures with generous
// deadlines; no upper bound on elapsed time is asserted beyond "not stuck".
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "matching/matching.h"

namespace durable::testing {
namespace {

using Clock = std::chrono::steady_clock;
using Kind = Matching::Kind;
using std::chrono::milliseconds;
using std::chrono::seconds;

QueuedTask Task(const std::string& wf, const std::string& preferred = "",
                Clock::duration sticky = seconds(0)) {
  QueuedTask t;
  t.row.set_workflow_id(wf);
  t.preferred = preferred;
  t.sticky_until = Clock::now() + sticky;
  return t;
}

// One async poll whose outcome arrives in a future: the workflow id, or "" for empty.
std::future<std::string> PollAsync(Matching& m, const std::string& identity,
                                   Clock::duration timeout,
                                   std::shared_ptr<std::atomic<bool>> abandoned = nullptr) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto fut = promise->get_future();
  m.PollAsync(Kind::kWorkflow, "q", identity, Clock::now() + timeout, 0, abandoned,
              [promise, &m](std::optional<QueuedTask> t) {
                if (t) m.DoneDispatching();
                promise->set_value(t ? t->row.workflow_id() : "");
              });
  return fut;
}

std::string Get(std::future<std::string>& f) {
  if (f.wait_for(seconds(30)) != std::future_status::ready) return "<stuck>";
  return f.get();
}

TEST(MatchingAsyncTest, AParkedPollGetsThePushedTask) {
  Matching m;
  auto f = PollAsync(m, "w1", seconds(30));
  EXPECT_EQ(f.wait_for(milliseconds(50)), std::future_status::timeout);  // parked
  m.Push(Kind::kWorkflow, "q", Task("a"));
  EXPECT_EQ(Get(f), "a");
  EXPECT_TRUE(m.Idle());
}

TEST(MatchingAsyncTest, AQueuedTaskIsTakenAtOnce) {
  Matching m;
  m.Push(Kind::kWorkflow, "q", Task("a"));
  auto f = PollAsync(m, "w1", seconds(30));
  EXPECT_EQ(Get(f), "a");
}

TEST(MatchingAsyncTest, PollsEndEmptyAtTheirDeadline) {
  Matching m;
  auto f = PollAsync(m, "w1", milliseconds(100));
  EXPECT_EQ(Get(f), "");
  m.Push(Kind::kWorkflow, "q", Task("later"));  // still queued for the next poll
  EXPECT_EQ(m.QueuedCount(Kind::kWorkflow, "q"), 1u);
}

TEST(MatchingAsyncTest, ShutdownWorkerAndCloseEndParkedPollsEmpty) {
  Matching m;
  auto mine = PollAsync(m, "w1", seconds(30));
  auto other = PollAsync(m, "w2", seconds(30));
  m.ShutdownWorker("q", "w1");
  EXPECT_EQ(Get(mine), "");
  EXPECT_EQ(other.wait_for(milliseconds(50)), std::future_status::timeout);
  m.Close();
  EXPECT_EQ(Get(other), "");
  auto after = PollAsync(m, "w3", seconds(30));
  EXPECT_EQ(Get(after), "");  // closed: at once
}

TEST(MatchingAsyncTest, AnAbandonedPollGetsNothingAndTheNextPollTheTask) {
  Matching m;
  auto gone = std::make_shared<std::atomic<bool>>(false);
  auto dead = PollAsync(m, "w1", seconds(30), gone);
  auto live = PollAsync(m, "w2", seconds(30));
  gone->store(true);
  m.Push(Kind::kWorkflow, "q", Task("a"));
  EXPECT_EQ(Get(dead), "");
  EXPECT_EQ(Get(live), "a");
}

TEST(MatchingAsyncTest, AStickyTaskWaitsForItsWorkerThenGoesToAnyone) {
  Matching m;
  auto other = PollAsync(m, "w2", seconds(30));
  auto start = Clock::now();
  m.Push(Kind::kWorkflow, "q", Task("sticky", "w1", milliseconds(300)));
  EXPECT_EQ(Get(other), "sticky");  // w1 never polled: after the sticky deadline
  EXPECT_GE(Clock::now() - start, milliseconds(250));
}

TEST(MatchingAsyncTest, AStickyTaskGoesToItsOwnWorkerFirst) {
  Matching m;
  auto other = PollAsync(m, "w2", seconds(30));
  m.Push(Kind::kWorkflow, "q", Task("sticky", "w1", seconds(30)));
  auto owner = PollAsync(m, "w1", seconds(30));
  EXPECT_EQ(Get(owner), "sticky");
  m.Push(Kind::kWorkflow, "q", Task("plain"));
  EXPECT_EQ(Get(other), "plain");
}

TEST(MatchingAsyncTest, ShutdownOfTheStickyWorkerReleasesItsTasksAtOnce) {
  Matching m;
  auto other = PollAsync(m, "w2", seconds(30));
  m.Push(Kind::kWorkflow, "q", Task("sticky", "w1", seconds(60)));
  EXPECT_EQ(other.wait_for(milliseconds(100)), std::future_status::timeout);
  m.ShutdownWorker("q", "w1");
  EXPECT_EQ(Get(other), "sticky");
}

TEST(MatchingAsyncTest, BlockingPollsHonourStickinessToo) {
  Matching m;
  m.Push(Kind::kWorkflow, "q", Task("sticky", "w1", seconds(60)));
  auto t = m.Poll(Kind::kWorkflow, "q", "w2", Clock::now() + milliseconds(100));
  EXPECT_FALSE(t.has_value());
  t = m.Poll(Kind::kWorkflow, "q", "w1", Clock::now() + seconds(30));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->row.workflow_id(), "sticky");
  m.DoneDispatching();
}

}  // namespace
}  // namespace durable::testing
