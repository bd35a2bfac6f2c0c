// libFuzzer target: the schedule spec parser and compiler. The first byte picks the input:
// even = a cron string (ParseCron), odd = a serialized ScheduleSpec (Compile, then the next
// few nominal and actual times). Errors are kInvalidArgument; never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "schedules/spec.h"

namespace s = durable::schedules;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  durable::v1::ScheduleSpec spec;
  if (data[0] % 2 == 0) {
    std::string tz;
    auto cal = s::ParseCron(rest, &tz);
    if (!cal.ok()) return 0;
    *spec.add_calendars() = cal.value();
    spec.set_time_zone_name(tz);
  } else if (!spec.ParseFromString(rest)) {
    return 0;
  }
  auto compiled = s::CompiledSpec::Compile(spec);
  if (!compiled.ok()) return 0;
  int64_t t = 1'700'000'000LL * 1'000'000;
  for (int i = 0; i < 4; ++i) {
    auto next = compiled.value().NextNominal(t);
    if (!next) break;
    (void)compiled.value().ActualTime(*next, "sched-1");
    t = *next;
  }
  return 0;
}
