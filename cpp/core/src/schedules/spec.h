// Schedule spec math: when a ScheduleSpec fires. Calendars (and cron strings, translated to
// calendars by ParseCron) match civil times in the spec's IANA time zone (Abseil's time zone
// library over the system's tzdata); intervals count from the Unix epoch in UTC.
//
// Daylight-saving transitions, as Temporal (Go's time.Date) does: a civil time that does not
// exist (skipped by a spring-forward) fires at the instant it maps to with the offset before
// the transition (02:30 in a skipped 02:00-03:00 hour fires at 03:30 new time); a civil time
// that happens twice (fall-back) fires once, at its first occurrence.
//
// A CompiledSpec is immutable after Compile; thread-safe.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "durable/status.h"
#include "durable/v1/schedule.pb.h"

namespace durable::schedules {

namespace v1 = ::durable::v1;

// A calendar spec with its ranges expanded.
struct CompiledCalendar {
  std::bitset<60> second, minute;
  std::bitset<24> hour;
  std::bitset<32> day_of_month;  // 1-31
  std::bitset<13> month;         // 1-12
  std::bitset<7> day_of_week;    // 0 = Sunday
  std::vector<v1::ScheduleRange> years;  // empty = any
  bool Matches(const absl::CivilSecond& cs) const;
  bool YearMatches(int64_t year) const;
};

class CompiledSpec {
 public:
  // kInvalidArgument naming the bad part: an unknown time zone, a range outside its field,
  // a non-positive interval, a malformed cron string, end_at before start_at.
  static Result<CompiledSpec> Compile(const v1::ScheduleSpec& spec);

  // The first nominal time strictly after `after_us` (whole seconds for calendars), or
  // nullopt when there is none (past end_at, or a calendar that never matches).
  std::optional<int64_t> NextNominal(int64_t after_us) const;

  // When the action of nominal time `nominal_us` runs: nominal + a delay in [0, jitter)
  // that is a pure function of `seed` (the schedule id) and the nominal time.
  int64_t ActualTime(int64_t nominal_us, const std::string& seed) const;

  const absl::TimeZone& time_zone() const { return tz_; }

 private:
  std::optional<int64_t> NextUnbounded(int64_t after_us) const;
  bool Skipped(int64_t t_us) const;

  std::vector<CompiledCalendar> calendars_;
  std::vector<v1::ScheduleIntervalSpec> intervals_;
  std::vector<CompiledCalendar> skip_;
  int64_t start_at_us_ = 0;
  int64_t end_at_us_ = 0;
  int64_t jitter_us_ = 0;
  absl::TimeZone tz_;
};

// Translates a cron string to calendar specs: five fields "minute hour day-of-month month
// day-of-week" (each `*`, `n`, `a-b`, `*/s`, `a-b/s`, `a/s`, comma lists; month and weekday
// names; weekday 7 = Sunday), or @yearly/@annually, @monthly, @weekly, @daily/@midnight,
// @hourly; an optional leading "CRON_TZ=<zone> " sets *tz. Day-of-month and day-of-week must
// both match (Temporal's calendar semantics, not classic cron's OR).
Result<v1::ScheduleCalendarSpec> ParseCron(const std::string& expr, std::string* tz);

}  // namespace durable::schedules
