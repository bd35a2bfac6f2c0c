// Matching: the in-memory task queues that long polls wait on. One queue per
// (task queue name, kind). Holds references to task rows (validated by the engine against
// mutable state when dispatched), speculative workflow tasks (never written), and query
// tasks (never written). A poll parks on the queue's condition variable: no busy loop.
//
// Rate limit (PollActivityTaskQueueRequest.max_tasks_per_second, as in Temporal): a token bucket
// per queue. The most recent non-zero rate a poller sent wins; 0 leaves the queue's rate as it is
// (a queue nobody limited is unlimited). The bucket holds one token (no burst): tasks leave the
// queue at least 1/rate seconds apart. A poll that finds a task but no token parks until the next
// token (or its deadline, then returns empty): it is slowed down, never refused. Queries are
// never limited. Rates are in real (steady-clock) time, not the engine's clock.
//
// Asynchronous polls (PollAsync, used by durable-server) park as records, not threads: a task
// pushed to their queue is handed to the oldest one by running its `deliver` on the
// dispatch pool; a reaper thread ends those whose deadline passed (deliver(nullopt)) and
// retries rate-limited queues when their next token is due.
//
// Sticky tasks (QueuedTask::preferred) wait for their worker's poll until their sticky
// deadline, then go to any poller: a worker that died costs that delay and one replay.
//
// Thread-safe. Never calls out while holding its lock.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <functional>

#include "durable/thread_pool.h"
#include "durable/v1/service.pb.h"
#include "durable/v1/state.pb.h"

namespace durable {

// A query waiting for a worker's answer (in memory only).
struct QueryWaiter {
  std::string query_id;
  v1::WorkflowExecution execution;
  v1::QueryTask task;
  bool dispatched = false;
  bool done = false;
  v1::RespondQueryTaskCompletedRequest answer;
};

struct QueuedTask {
  v1::TaskRow row;
  std::string store_key;  // row key in the tasks family ("" = speculative, in memory only)
  bool speculative = false;
  std::shared_ptr<QueryWaiter> query;  // set for a query task
  // Sticky execution: until `sticky_until` only a poller of identity `preferred` (the worker
  // that has the run cached) may take the task; after it, or once that worker shuts down,
  // anyone may. Empty = anyone.
  std::string preferred;
  std::chrono::steady_clock::time_point sticky_until{};
  // When the task was first queued in this process (set by Push), for schedule-to-start.
  std::chrono::steady_clock::time_point queued_at{};
};

class Matching {
 public:
  enum class Kind { kWorkflow = 1, kActivity = 2 };

  void Push(Kind kind, const std::string& queue, QueuedTask task, bool front = false);

  // Parks until a task is available (and, on a rate-limited queue, a token), `deadline`
  // (steady clock) passes, the poller's identity is shut down, or Close() is called; nullopt in
  // the last three cases. `max_tasks_per_second` > 0 sets the queue's rate limit first (see
  // above); 0 keeps it; negative is treated as 0 (the engine rejects it before).
  // A returned task counts as "dispatching" until DoneDispatching() is called.
  std::optional<QueuedTask> Poll(Kind kind, const std::string& queue,
                                 const std::string& identity,
                                 std::chrono::steady_clock::time_point deadline,
                                 double max_tasks_per_second = 0);
  void DoneDispatching();

  // Like Poll, but returns at once: `deliver` runs exactly once, on the dispatch pool (never
  // on the caller's thread, never under this object's lock), with the task or with nullopt
  // (deadline, shutdown of `identity`, Close, or `*abandoned` set — checked before a task is
  // handed over). A delivered task counts as dispatching as above.
  using Deliver = std::function<void(std::optional<QueuedTask>)>;
  void PollAsync(Kind kind, const std::string& queue, const std::string& identity,
                 std::chrono::steady_clock::time_point deadline, double max_tasks_per_second,
                 std::shared_ptr<const std::atomic<bool>> abandoned, Deliver deliver);

  ~Matching();

  // Gives back the token a poll took for a task that turned out stale (not dispatched).
  void RefundRateToken(Kind kind, const std::string& queue);

  // The queue's current rate limit (0 = none).
  double RateLimit(Kind kind, const std::string& queue);

  // Wakes the parked polls of `identity` on `queue` (every queue if empty); they return empty.
  // Tasks kept for `identity` (sticky) go to any poller from now on.
  void ShutdownWorker(const std::string& queue, const std::string& identity);
  // Wakes every parked poll; later polls return at once.
  void Close();

  // Removes a query that was not dispatched yet (its caller gave up).
  void RemoveQuery(const std::string& queue, const std::shared_ptr<QueryWaiter>& q);

  // True when no task is queued or being dispatched (queries excepted).
  bool Idle();
  size_t QueuedCount(Kind kind, const std::string& queue);

  // Every queue's depth (tasks, not queries) and parked polls, for metrics.
  struct QueueStats {
    Kind kind;
    std::string queue;
    int64_t depth = 0;
    int64_t pollers = 0;
  };
  std::vector<QueueStats> Stats();

 private:
  struct Poller {
    std::string identity;
    bool cancelled = false;
  };
  // Token bucket of capacity 1; rate 0 = unlimited.
  struct RateLimiter {
    using Clock = std::chrono::steady_clock;
    double rate = 0;    // tokens per second
    double tokens = 1;  // in [0, 1]
    Clock::time_point refilled{};

    void SetRate(double r, Clock::time_point now);
    // When a token is (or will be) available, refilling up to `now`.
    Clock::time_point ReadyAt(Clock::time_point now);
    void Take() { if (rate > 0) tokens -= 1; }
    void Refund() { if (rate > 0) tokens = std::min(1.0, tokens + 1); }
  };
  struct AsyncPoller {
    std::string identity;
    std::chrono::steady_clock::time_point deadline;
    std::shared_ptr<const std::atomic<bool>> abandoned;  // may be null
    Deliver deliver;
  };
  using Delivery = std::pair<Deliver, std::optional<QueuedTask>>;
  struct Queue {
    RateLimiter limiter;
    std::deque<AsyncPoller> async_pollers;  // oldest first
    std::chrono::steady_clock::time_point retry_at{};  // rate-limited: next token (0 = none)
    std::deque<QueuedTask> tasks;
    std::deque<QueuedTask> queries;
    std::condition_variable cv;
    std::list<Poller*> pollers;
  };
  Queue& Get(Kind kind, const std::string& queue);
  // Hands queued work to the queue's async pollers; what to deliver goes to `out`.
  void MatchAsyncLocked(Queue& q, std::vector<Delivery>* out);
  // The first task `identity` may take now (end() if none); `*unlock` lowered to the earliest
  // sticky deadline of the tasks it may not take yet.
  static std::deque<QueuedTask>::iterator Eligible(
      Queue& q, const std::string& identity, std::chrono::steady_clock::time_point now,
      std::chrono::steady_clock::time_point* unlock);
  void RetryAt(Queue& q, std::chrono::steady_clock::time_point when);
  void PushLocked(Queue& q, QueuedTask task, bool front, std::vector<Delivery>* out);
  void RunDeliveries(std::vector<Delivery> out);
  void ReaperLoop();

  std::mutex mu_;
  std::map<std::pair<int, std::string>, std::unique_ptr<Queue>> queues_;
  int64_t queued_ = 0;       // tasks (not queries) in all queues
  int64_t dispatching_ = 0;  // popped, not yet marked started by the engine
  bool closed_ = false;
  std::condition_variable reaper_cv_;
  std::thread reaper_;  // started by the first PollAsync
  std::unique_ptr<ThreadPool> dispatch_;  // made with the reaper
  bool reaper_stop_ = false;
};

}  // namespace durable
