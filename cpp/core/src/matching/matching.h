// Matching: the in-memory task queues that long polls wait on. One queue per
// (task queue name, kind). Holds references to task rows (validated by the engine against
// mutable state when dispatched), speculative workflow tasks (never written), and query
// tasks (never written). A poll parks on the queue's condition variable: no busy loop.
//
// Thread-safe. Never calls out while holding its lock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

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
};

class Matching {
 public:
  enum class Kind { kWorkflow = 1, kActivity = 2 };

  void Push(Kind kind, const std::string& queue, QueuedTask task, bool front = false);

  // Parks until a task is available, `deadline` (steady clock) passes, the poller's
  // identity is shut down, or Close() is called; nullopt in the last three cases.
  // A returned task counts as "dispatching" until DoneDispatching() is called.
  std::optional<QueuedTask> Poll(Kind kind, const std::string& queue,
                                 const std::string& identity,
                                 std::chrono::steady_clock::time_point deadline);
  void DoneDispatching();

  // Wakes the parked polls of `identity` on `queue` (every queue if empty); they return empty.
  void ShutdownWorker(const std::string& queue, const std::string& identity);
  // Wakes every parked poll; later polls return at once.
  void Close();

  // Removes a query that was not dispatched yet (its caller gave up).
  void RemoveQuery(const std::string& queue, const std::shared_ptr<QueryWaiter>& q);

  // True when no task is queued or being dispatched (queries excepted).
  bool Idle();
  size_t QueuedCount(Kind kind, const std::string& queue);

 private:
  struct Poller {
    std::string identity;
    bool cancelled = false;
  };
  struct Queue {
    std::deque<QueuedTask> tasks;
    std::deque<QueuedTask> queries;
    std::condition_variable cv;
    std::list<Poller*> pollers;
  };
  Queue& Get(Kind kind, const std::string& queue);

  std::mutex mu_;
  std::map<std::pair<int, std::string>, std::unique_ptr<Queue>> queues_;
  int64_t queued_ = 0;       // tasks (not queries) in all queues
  int64_t dispatching_ = 0;  // popped, not yet marked started by the engine
  bool closed_ = false;
};

}  // namespace durable
