#include "durable/clock.h"

#include <atomic>
#include <chrono>

namespace durable {

namespace {
class SystemClockImpl : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};
}  // namespace

std::shared_ptr<Clock> SystemClock() {
  static std::shared_ptr<Clock> clock = std::make_shared<SystemClockImpl>();
  return clock;
}

struct VirtualClock::Impl {
  // now = offset_us (+ the steady clock's microseconds when following real time).
  std::atomic<int64_t> offset_us{0};
  bool follows_real_time = false;

  int64_t Steady() const {
    if (!follows_real_time) return 0;
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

VirtualClock::VirtualClock(int64_t start_us, bool follows_real_time)
    : impl_(std::make_shared<Impl>()) {
  impl_->follows_real_time = follows_real_time;
  const int64_t start = start_us != 0 ? start_us : SystemClock()->NowMicros();
  impl_->offset_us = start - impl_->Steady();
}

int64_t VirtualClock::NowMicros() const { return impl_->offset_us.load() + impl_->Steady(); }

void VirtualClock::AdvanceTo(int64_t t_us) {
  int64_t off = impl_->offset_us.load();
  while (true) {
    const int64_t want = t_us - impl_->Steady();
    if (want <= off || impl_->offset_us.compare_exchange_weak(off, want)) return;
  }
}

}  // namespace durable
