// Clock: where the engine reads time. The system clock for production; a virtual clock for
// tests, which stands still until advanced (time skipping jumps it to the next timer).
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>

namespace durable {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  // True for a virtual clock: timers fire when the clock is advanced, not by waiting.
  virtual bool IsVirtual() const { return false; }
};

std::shared_ptr<Clock> SystemClock();

// A clock that only moves when told. Starts at `start_us` (0 = the current system time).
// With `follows_real_time`, it also runs at the pace of the system clock between jumps
// (like Temporal's test server: time flows normally and skipping only jumps ahead).
class VirtualClock : public Clock {
 public:
  explicit VirtualClock(int64_t start_us = 0, bool follows_real_time = false);
  int64_t NowMicros() const override;
  bool IsVirtual() const override { return true; }
  // Moves time forward to `t_us`; never backwards (a smaller value is ignored).
  void AdvanceTo(int64_t t_us);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace durable
