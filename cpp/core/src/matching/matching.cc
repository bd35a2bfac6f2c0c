#include "matching/matching.h"

namespace durable {

Matching::Queue& Matching::Get(Kind kind, const std::string& queue) {
  auto& q = queues_[{static_cast<int>(kind), queue}];
  if (!q) q = std::make_unique<Queue>();
  return *q;
}

void Matching::Push(Kind kind, const std::string& queue, QueuedTask task, bool front) {
  std::lock_guard<std::mutex> l(mu_);
  Queue& q = Get(kind, queue);
  if (task.query) {
    q.queries.push_back(std::move(task));
  } else {
    ++queued_;
    if (front) {
      q.tasks.push_front(std::move(task));
    } else {
      q.tasks.push_back(std::move(task));
    }
  }
  q.cv.notify_one();
}

std::optional<QueuedTask> Matching::Poll(Kind kind, const std::string& queue,
                                         const std::string& identity,
                                         std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> l(mu_);
  Queue& q = Get(kind, queue);
  Poller me{identity};
  q.pollers.push_back(&me);
  std::optional<QueuedTask> out;
  while (true) {
    if (closed_ || me.cancelled) break;
    if (!q.queries.empty()) {
      out = std::move(q.queries.front());
      q.queries.pop_front();
      out->query->dispatched = true;
      break;
    }
    if (!q.tasks.empty()) {
      out = std::move(q.tasks.front());
      q.tasks.pop_front();
      --queued_;
      ++dispatching_;
      break;
    }
    if (q.cv.wait_until(l, deadline) == std::cv_status::timeout) {
      // One last look, then give up.
      if (q.tasks.empty() && q.queries.empty()) break;
    }
  }
  q.pollers.remove(&me);
  // If this poller leaves with a notification it did not use, pass it on.
  if (!out && (!q.tasks.empty() || !q.queries.empty())) q.cv.notify_one();
  return out;
}

void Matching::DoneDispatching() {
  std::lock_guard<std::mutex> l(mu_);
  --dispatching_;
}

void Matching::ShutdownWorker(const std::string& queue, const std::string& identity) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [key, q] : queues_) {
    if (!queue.empty() && key.second != queue) continue;
    bool any = false;
    for (Poller* p : q->pollers) {
      if (identity.empty() || p->identity == identity) {
        p->cancelled = true;
        any = true;
      }
    }
    if (any) q->cv.notify_all();
  }
}

void Matching::Close() {
  std::lock_guard<std::mutex> l(mu_);
  closed_ = true;
  for (auto& [key, q] : queues_) q->cv.notify_all();
}

void Matching::RemoveQuery(const std::string& queue, const std::shared_ptr<QueryWaiter>& w) {
  std::lock_guard<std::mutex> l(mu_);
  Queue& q = Get(Kind::kWorkflow, queue);
  for (auto it = q.queries.begin(); it != q.queries.end(); ++it) {
    if (it->query == w) {
      q.queries.erase(it);
      return;
    }
  }
}

bool Matching::Idle() {
  std::lock_guard<std::mutex> l(mu_);
  return queued_ == 0 && dispatching_ == 0;
}

size_t Matching::QueuedCount(Kind kind, const std::string& queue) {
  std::lock_guard<std::mutex> l(mu_);
  return Get(kind, queue).tasks.size();
}

}  // namespace durable
