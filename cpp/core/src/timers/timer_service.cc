#include "timers/timer_service.h"

#include <algorithm>
#include <chrono>

namespace durable {

TimerService::TimerService(std::shared_ptr<Clock> clock, FireFn fire, CanSkipFn can_skip)
    : clock_(std::move(clock)),
      virtual_clock_(dynamic_cast<VirtualClock*>(clock_.get())),
      fire_(std::move(fire)),
      can_skip_(std::move(can_skip)) {}

TimerService::~TimerService() { Stop(); }

void TimerService::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void TimerService::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  fired_cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void TimerService::Add(v1::TimerRow row, std::string store_key) {
  {
    std::lock_guard<std::mutex> l(mu_);
    int64_t t = row.fire_time_us();
    heap_.push(Entry{t, next_seq_++, std::move(row), std::move(store_key)});
  }
  cv_.notify_all();
}

void TimerService::AddAfterRealDelay(v1::TimerRow row, std::string store_key,
                                     int64_t real_delay_us) {
  {
    std::lock_guard<std::mutex> l(mu_);
    int64_t t = row.fire_time_us();
    Entry e{t, next_seq_++, std::move(row), std::move(store_key)};
    e.real_deadline = std::chrono::steady_clock::now() +
                      std::chrono::microseconds(std::max<int64_t>(0, real_delay_us));
    real_heap_.push(std::move(e));
  }
  cv_.notify_all();
}

void TimerService::Poke() { cv_.notify_all(); }

bool TimerService::time_skipping() {
  std::lock_guard<std::mutex> l(mu_);
  return skipping_;
}

int64_t TimerService::NextFireTime() {
  std::lock_guard<std::mutex> l(mu_);
  return heap_.empty() ? -1 : heap_.top().fire_time_us;
}

size_t TimerService::size() {
  std::lock_guard<std::mutex> l(mu_);
  return heap_.size() + real_heap_.size();
}

size_t TimerService::real_time_size() {
  std::lock_guard<std::mutex> l(mu_);
  return real_heap_.size();
}

Status TimerService::SetTimeSkipping(bool enabled) {
  if (virtual_clock_ == nullptr) {
    return Status::FailedPrecondition("time skipping needs a VirtualClock (EngineOptions::clock)");
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    skipping_ = enabled;
  }
  cv_.notify_all();
  return Status::OK();
}

Status TimerService::SkipTime(int64_t duration_us, bool wait_idle) {
  if (virtual_clock_ == nullptr) {
    return Status::FailedPrecondition("SkipTime needs a VirtualClock (EngineOptions::clock)");
  }
  if (duration_us < 0) return Status::InvalidArgument("SkipTime: negative duration");
  const int64_t target = clock_->NowMicros() + duration_us;
  std::unique_lock<std::mutex> l(mu_);
  // Waits until the engine is idle and no fire is in progress; false when stopped.
  auto wait_until_idle = [&] {
    while (!stop_) {
      if (!firing_) {
        l.unlock();
        bool can = can_skip_();
        l.lock();
        if (can && !firing_) return true;
      }
      fired_cv_.wait_for(l, std::chrono::milliseconds(2));
    }
    return false;
  };
  while (!stop_) {
    if (wait_idle && !wait_until_idle()) break;
    if (heap_.empty() || heap_.top().fire_time_us > target) break;
    int64_t t = heap_.top().fire_time_us;
    virtual_clock_->AdvanceTo(t);
    cv_.notify_all();
    fired_cv_.wait_for(l, std::chrono::seconds(5), [&] {
      return stop_ || ((heap_.empty() || heap_.top().fire_time_us > t) && !firing_);
    });
  }
  if (stop_ && wait_idle) return Status::Unavailable("the engine closed while skipping time");
  virtual_clock_->AdvanceTo(target);
  cv_.notify_all();
  return Status::OK();
}

void TimerService::FireUnlocked(std::unique_lock<std::mutex>& l, const Entry& e) {
  firing_ = true;
  l.unlock();
  fire_(e.row, e.key);
  l.lock();
  firing_ = false;
  fired_cv_.notify_all();
}

std::chrono::microseconds TimerService::CapToRealDeadline(std::chrono::microseconds d) const {
  if (real_heap_.empty()) return d;
  auto left = std::chrono::duration_cast<std::chrono::microseconds>(
      real_heap_.top().real_deadline - std::chrono::steady_clock::now());
  return std::max(std::chrono::microseconds(0), std::min(d, left));
}

void TimerService::Run() {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (!real_heap_.empty() && real_heap_.top().real_deadline <= std::chrono::steady_clock::now()) {
      Entry e = real_heap_.top();
      real_heap_.pop();
      FireUnlocked(l, e);
      continue;
    }
    if (heap_.empty()) {
      fired_cv_.notify_all();
      cv_.wait_for(l, CapToRealDeadline(milliseconds(virtual_clock_ ? 20 : 1000)));
      continue;
    }
    const int64_t t = heap_.top().fire_time_us;
    const int64_t now = clock_->NowMicros();
    if (t <= now) {
      Entry e = heap_.top();
      heap_.pop();
      FireUnlocked(l, e);
      continue;
    }
    fired_cv_.notify_all();
    if (virtual_clock_ != nullptr) {
      if (skipping_) {
        l.unlock();
        bool can = can_skip_();
        l.lock();
        if (can && !stop_ && skipping_ && !heap_.empty() && heap_.top().fire_time_us <= t) {
          virtual_clock_->AdvanceTo(t);
          continue;
        }
        cv_.wait_for(l, CapToRealDeadline(milliseconds(2)));
      } else {
        cv_.wait_for(l, CapToRealDeadline(milliseconds(20)));
      }
    } else {
      int64_t wait_us = std::min<int64_t>(t - now, 1'000'000);
      cv_.wait_for(l, CapToRealDeadline(microseconds(wait_us)));
    }
  }
}

}  // namespace durable
