// ParkingPool: threads for engine calls that may park for a long time (a client waiting for
// a result, a query or an update waiting for a worker). It grows when every thread is busy
// (up to `max_threads`, then the call is refused) and lets idle threads exit after a while,
// so a burst of waiting clients costs threads only while they wait. (Task polls park as
// records in matching and take no thread at all.)
// Thread-safe. The destructor waits for running calls.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace durable {

class ParkingPool {
 public:
  explicit ParkingPool(int max_threads) : max_threads_(max_threads) {}
  ~ParkingPool() {
    std::unique_lock<std::mutex> l(mu_);
    stopping_ = true;
    cv_.notify_all();
    done_cv_.wait(l, [this] { return threads_ == 0; });
  }
  ParkingPool(const ParkingPool&) = delete;
  ParkingPool& operator=(const ParkingPool&) = delete;

  // false when the pool is at its limit (the caller refuses the call).
  bool Run(std::function<void()> fn) {
    std::lock_guard<std::mutex> l(mu_);
    if (idle_ == 0) {
      if (threads_ >= max_threads_) return false;
      ++threads_;
      ++idle_;
      std::thread([this] { Loop(); }).detach();
    }
    --idle_;
    queue_.push_back(std::move(fn));
    cv_.notify_one();
    return true;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      bool woke = cv_.wait_for(l, std::chrono::seconds(30),
                               [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && (stopping_ || !woke)) break;
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      l.unlock();
      fn();
      l.lock();
      ++idle_;
    }
    --idle_;
    --threads_;
    done_cv_.notify_all();
  }

  const int max_threads_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<std::function<void()>> queue_;
  int threads_ = 0;  // alive
  int idle_ = 0;     // alive and not running a call (reserved ones excluded)
  bool stopping_ = false;
};

}  // namespace durable
