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
  std::atomic<int64_t> now_us{0};
};

VirtualClock::VirtualClock(int64_t start_us) : impl_(std::make_shared<Impl>()) {
  impl_->now_us = start_us != 0 ? start_us : SystemClock()->NowMicros();
}

int64_t VirtualClock::NowMicros() const { return impl_->now_us.load(); }

void VirtualClock::AdvanceTo(int64_t t_us) {
  int64_t cur = impl_->now_us.load();
  while (t_us > cur && !impl_->now_us.compare_exchange_weak(cur, t_us)) {
  }
}

}  // namespace durable
