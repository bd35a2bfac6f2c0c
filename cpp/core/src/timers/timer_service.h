// TimerService: one thread and an in-memory min-heap of timers (durable rows of the timers
// family, rebuilt on open, plus in-memory timeouts of dispatched tasks). The thread sleeps
// on a condition variable until the earliest deadline, reading time from the Clock, then
// hands each due timer to the engine's fire callback (which runs it as a transition).
//
// Time skipping (VirtualClock only): while enabled and the engine reports that no task is
// queued or running, the clock jumps to the next deadline.
//
// Real-time timers (AddAfterRealDelay) fire after a wait on the steady clock, whatever the
// Clock reads: time skipping neither jumps to them nor fires them sooner. They are for waits
// that are not workflow time: retrying a transition that could not be written, and a failing
// workflow task's retry backoff under time skipping (else a busy loop).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "durable/clock.h"
#include "durable/status.h"
#include "durable/v1/state.pb.h"

namespace durable {

class TimerService {
 public:
  // `fire(row, store_key)`: store_key is the row's key in the timers family ("" for an
  // in-memory timer). `can_skip()`: true when time may jump (nothing queued or running).
  using FireFn = std::function<void(const v1::TimerRow& row, const std::string& store_key)>;
  using CanSkipFn = std::function<bool()>;

  TimerService(std::shared_ptr<Clock> clock, FireFn fire, CanSkipFn can_skip);
  ~TimerService();
  TimerService(const TimerService&) = delete;
  TimerService& operator=(const TimerService&) = delete;

  void Start();
  // Stops the thread; timers left in the heap are dropped (durable ones are on disk).
  void Stop();

  // Adds a timer. Its row must already be committed when store_key is not empty.
  void Add(v1::TimerRow row, std::string store_key);
  // Adds a timer that fires once `real_delay_us` of real time has passed (see above).
  void AddAfterRealDelay(v1::TimerRow row, std::string store_key, int64_t real_delay_us);
  // Wakes the thread to re-check (e.g. a task finished, so time may now skip).
  void Poke();

  Status SetTimeSkipping(bool enabled);
  // Whether time skipping is on now.
  bool time_skipping();
  // Advances the virtual clock by `duration_us`, firing due timers in order on the way.
  // With `wait_idle`, waits for can_skip() before each jump (kUnavailable if stopped).
  Status SkipTime(int64_t duration_us, bool wait_idle = false);
  // Earliest deadline in the heap (real-time timers aside), or -1.
  int64_t NextFireTime();
  // Timers waiting, real-time ones included.
  size_t size();
  // Real-time timers waiting (AddAfterRealDelay).
  size_t real_time_size();

 private:
  using RealTime = std::chrono::steady_clock::time_point;
  struct Entry {
    int64_t fire_time_us;
    uint64_t seq;
    v1::TimerRow row;
    std::string key;
    RealTime real_deadline{};  // real-time timers only
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.fire_time_us != b.fire_time_us) return a.fire_time_us > b.fire_time_us;
      return a.seq > b.seq;
    }
  };
  struct RealLater {
    bool operator()(const Entry& a, const Entry& b) const {
      if (a.real_deadline != b.real_deadline) return a.real_deadline > b.real_deadline;
      return a.seq > b.seq;
    }
  };

  void Run();
  // Fires `e` with mu_ released (held by `l` on entry and on return).
  void FireUnlocked(std::unique_lock<std::mutex>& l, const Entry& e);
  // `d`, shortened to the wait until the earliest real-time timer. Requires mu_.
  std::chrono::microseconds CapToRealDeadline(std::chrono::microseconds d) const;

  std::shared_ptr<Clock> clock_;
  VirtualClock* virtual_clock_;  // null on a real clock
  FireFn fire_;
  CanSkipFn can_skip_;

  std::mutex mu_;
  std::condition_variable cv_;        // wakes the timer thread
  std::condition_variable fired_cv_;  // a fire finished (SkipTime waits on it)
  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  std::priority_queue<Entry, std::vector<Entry>, RealLater> real_heap_;  // real-time timers
  uint64_t next_seq_ = 0;
  bool stop_ = false;
  bool skipping_ = false;
  bool firing_ = false;
  std::thread thread_;
};

}  // namespace durable
