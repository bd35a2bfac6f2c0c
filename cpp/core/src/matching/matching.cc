#include "matching/matching.h"

#include <algorithm>

namespace durable {

Matching::Queue& Matching::Get(Kind kind, const std::string& queue) {
  auto& q = queues_[{static_cast<int>(kind), queue}];
  if (!q) q = std::make_unique<Queue>();
  return *q;
}

void Matching::Push(Kind kind, const std::string& queue, QueuedTask task, bool front) {
  if (task.queued_at == std::chrono::steady_clock::time_point{}) {
    task.queued_at = std::chrono::steady_clock::now();
  }
  std::vector<Delivery> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    PushLocked(Get(kind, queue), std::move(task), front, &out);
  }
  RunDeliveries(std::move(out));
}

void Matching::PushLocked(Queue& q, QueuedTask task, bool front, std::vector<Delivery>* out) {
  const bool task_is_sticky = !task.preferred.empty();
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
  if (task_is_sticky) {
    q.cv.notify_all();  // only its worker may take it: wake them all, the others sleep again
  } else {
    q.cv.notify_one();
  }
  MatchAsyncLocked(q, out);
}

std::deque<QueuedTask>::iterator Matching::Eligible(Queue& q, const std::string& identity,
                                                    std::chrono::steady_clock::time_point now,
                                                    std::chrono::steady_clock::time_point* unlock) {
  for (auto it = q.tasks.begin(); it != q.tasks.end(); ++it) {
    if (it->preferred.empty() || it->preferred == identity || it->sticky_until <= now) return it;
    *unlock = std::min(*unlock, it->sticky_until);
  }
  return q.tasks.end();
}

Matching::~Matching() {
  Close();
  {
    std::lock_guard<std::mutex> l(mu_);
    reaper_stop_ = true;
  }
  reaper_cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  dispatch_.reset();  // runs the deliveries still queued, then joins
}

void Matching::MatchAsyncLocked(Queue& q, std::vector<Delivery>* out) {
  using Clock = std::chrono::steady_clock;
  while (!q.async_pollers.empty()) {
    const auto& abandoned = q.async_pollers.front().abandoned;
    if (abandoned && abandoned->load()) {  // its caller left: it gets nothing
      out->emplace_back(std::move(q.async_pollers.front().deliver), std::nullopt);
      q.async_pollers.pop_front();
      continue;
    }
    if (!q.queries.empty()) {
      QueuedTask t = std::move(q.queries.front());
      q.queries.pop_front();
      t.query->dispatched = true;
      out->emplace_back(std::move(q.async_pollers.front().deliver), std::move(t));
      q.async_pollers.pop_front();
      continue;
    }
    if (q.tasks.empty()) return;
    const Clock::time_point now = Clock::now();
    const Clock::time_point ready = q.limiter.ReadyAt(now);
    if (ready > now) {  // the reaper retries when the token is due
      RetryAt(q, ready);
      return;
    }
    // The oldest poller that may take some task takes the first one it may (sticky tasks
    // wait for their own worker's poller).
    Clock::time_point unlock = Clock::time_point::max();
    auto poller = q.async_pollers.begin();
    auto task = q.tasks.end();
    for (; poller != q.async_pollers.end(); ++poller) {
      task = Eligible(q, poller->identity, now, &unlock);
      if (task != q.tasks.end()) break;
    }
    if (task == q.tasks.end()) {
      if (unlock != Clock::time_point::max()) RetryAt(q, unlock);
      return;
    }
    q.limiter.Take();
    QueuedTask t = std::move(*task);
    q.tasks.erase(task);
    --queued_;
    ++dispatching_;
    out->emplace_back(std::move(poller->deliver), std::move(t));
    q.async_pollers.erase(poller);
  }
}

void Matching::RetryAt(Queue& q, std::chrono::steady_clock::time_point when) {
  if (q.retry_at == std::chrono::steady_clock::time_point{} || when < q.retry_at) q.retry_at = when;
  reaper_cv_.notify_one();
}

void Matching::RunDeliveries(std::vector<Delivery> out) {
  for (auto& d : out) {
    dispatch_->Run([d = std::make_shared<Delivery>(std::move(d))]() mutable {
      d->first(std::move(d->second));
    });
  }
}

void Matching::PollAsync(Kind kind, const std::string& queue, const std::string& identity,
                         std::chrono::steady_clock::time_point deadline,
                         double max_tasks_per_second,
                         std::shared_ptr<const std::atomic<bool>> abandoned, Deliver deliver) {
  std::vector<Delivery> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!dispatch_) {
      // Dispatching reads RocksDB (and an activity's start is one unsynced write): a few
      // threads keep that off gRPC's threads and off the pushers' locks.
      dispatch_ = std::make_unique<ThreadPool>(4);
      reaper_ = std::thread([this] { ReaperLoop(); });
    }
    if (closed_) {
      out.emplace_back(std::move(deliver), std::nullopt);
    } else {
      Queue& q = Get(kind, queue);
      if (max_tasks_per_second > 0) {
        q.limiter.SetRate(max_tasks_per_second, std::chrono::steady_clock::now());
      }
      q.async_pollers.push_back({identity, deadline, std::move(abandoned), std::move(deliver)});
      MatchAsyncLocked(q, &out);
      reaper_cv_.notify_one();  // it may have a later wake-up than this deadline
    }
  }
  RunDeliveries(std::move(out));
}

void Matching::ReaperLoop() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> l(mu_);
  while (!reaper_stop_) {
    const Clock::time_point now = Clock::now();
    Clock::time_point next = now + std::chrono::hours(1);
    std::vector<Delivery> out;
    for (auto& [key, q] : queues_) {
      for (auto it = q->async_pollers.begin(); it != q->async_pollers.end();) {
        if (it->deadline <= now) {
          out.emplace_back(std::move(it->deliver), std::nullopt);
          it = q->async_pollers.erase(it);
        } else {
          next = std::min(next, it->deadline);
          ++it;
        }
      }
      if (q->retry_at != Clock::time_point{} && q->retry_at <= now) {
        q->retry_at = {};
        MatchAsyncLocked(*q, &out);
      }
      if (q->retry_at != Clock::time_point{}) next = std::min(next, q->retry_at);
    }
    if (!out.empty()) {
      l.unlock();
      RunDeliveries(std::move(out));
      l.lock();
      continue;
    }
    reaper_cv_.wait_until(l, next);
  }
}

void Matching::RateLimiter::SetRate(double r, Clock::time_point now) {
  if (r == rate) return;
  ReadyAt(now);  // account for the time spent at the old rate
  if (rate == 0) tokens = 1;
  rate = r;
  refilled = now;
}

Matching::RateLimiter::Clock::time_point Matching::RateLimiter::ReadyAt(Clock::time_point now) {
  if (rate <= 0) return now;
  if (now > refilled) {
    tokens = std::min(1.0, tokens + std::chrono::duration<double>(now - refilled).count() * rate);
    refilled = now;
  }
  if (tokens >= 1) return now;
  return now + std::chrono::duration_cast<Clock::duration>(
                   std::chrono::duration<double>((1 - tokens) / rate));
}

std::optional<QueuedTask> Matching::Poll(Kind kind, const std::string& queue,
                                         const std::string& identity,
                                         std::chrono::steady_clock::time_point deadline,
                                         double max_tasks_per_second) {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> l(mu_);
  Queue& q = Get(kind, queue);
  if (max_tasks_per_second > 0) q.limiter.SetRate(max_tasks_per_second, Clock::now());
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
    const Clock::time_point now = Clock::now();
    Clock::time_point wake = deadline;
    if (!q.tasks.empty()) {
      const Clock::time_point ready = q.limiter.ReadyAt(now);
      auto task = ready <= now ? Eligible(q, identity, now, &wake) : q.tasks.end();
      if (task != q.tasks.end()) {
        q.limiter.Take();
        out = std::move(*task);
        q.tasks.erase(task);
        --queued_;
        ++dispatching_;
        break;
      }
      if (ready > now) wake = std::min(wake, ready);  // park until the next token, not in a loop
    }
    if (now >= deadline) break;
    q.cv.wait_until(l, wake);
  }
  q.pollers.remove(&me);
  // If this poller leaves with a notification it did not use, pass it on.
  if (!out && (!q.tasks.empty() || !q.queries.empty())) q.cv.notify_one();
  return out;
}

void Matching::RefundRateToken(Kind kind, const std::string& queue) {
  std::vector<Delivery> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    Queue& q = Get(kind, queue);
    q.limiter.Refund();
    if (!q.tasks.empty()) q.cv.notify_one();
    MatchAsyncLocked(q, &out);
  }
  RunDeliveries(std::move(out));
}

double Matching::RateLimit(Kind kind, const std::string& queue) {
  std::lock_guard<std::mutex> l(mu_);
  return Get(kind, queue).limiter.rate;
}

void Matching::DoneDispatching() {
  std::lock_guard<std::mutex> l(mu_);
  --dispatching_;
}

void Matching::ShutdownWorker(const std::string& queue, const std::string& identity) {
  std::vector<Delivery> out;
  {
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
      for (auto it = q->async_pollers.begin(); it != q->async_pollers.end();) {
        if (identity.empty() || it->identity == identity) {
          out.emplace_back(std::move(it->deliver), std::nullopt);
          it = q->async_pollers.erase(it);
        } else {
          ++it;
        }
      }
      bool released = false;
      for (auto& t : q->tasks) {
        if (!t.preferred.empty() && (identity.empty() || t.preferred == identity)) {
          t.preferred.clear();
          released = true;
        }
      }
      if (any || released) q->cv.notify_all();
      if (released) MatchAsyncLocked(*q, &out);  // the other workers' polls
    }
  }
  RunDeliveries(std::move(out));
}

void Matching::Close() {
  std::vector<Delivery> out;
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
    for (auto& [key, q] : queues_) {
      q->cv.notify_all();
      for (auto& p : q->async_pollers) out.emplace_back(std::move(p.deliver), std::nullopt);
      q->async_pollers.clear();
    }
  }
  reaper_cv_.notify_all();
  RunDeliveries(std::move(out));
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

std::vector<Matching::QueueStats> Matching::Stats() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<QueueStats> out;
  out.reserve(queues_.size());
  for (const auto& [key, q] : queues_) {
    out.push_back({static_cast<Kind>(key.first), key.second, static_cast<int64_t>(q->tasks.size()),
                   static_cast<int64_t>(q->pollers.size() + q->async_pollers.size())});
  }
  return out;
}

}  // namespace durable
