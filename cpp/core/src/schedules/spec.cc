#include "schedules/spec.h"

#include <algorithm>

#include "absl/time/civil_time.h"

namespace durable::schedules {

namespace {

constexpr int kMaxSearchSteps = 200000;  // bounds the search for calendars that never match

template <size_t N>
Status Expand(const google::protobuf::RepeatedPtrField<v1::ScheduleRange>& ranges, int lo, int hi,
              std::initializer_list<int> dflt, const char* field, std::bitset<N>* out) {
  if (ranges.empty()) {
    for (int v : dflt) out->set(static_cast<size_t>(v));
    if (dflt.size() == 0) {
      for (int v = lo; v <= hi; ++v) out->set(static_cast<size_t>(v));
    }
    return Status::OK();
  }
  for (const auto& r : ranges) {
    int end = r.end() < r.start() ? r.start() : r.end();
    int step = r.step() <= 0 ? 1 : r.step();
    if (r.start() < lo || end > hi) {
      return Status::InvalidArgument("schedule calendar: " + std::string(field) + " range " +
                                     std::to_string(r.start()) + "-" + std::to_string(end) +
                                     " is outside " + std::to_string(lo) + "-" + std::to_string(hi));
    }
    for (int v = r.start(); v <= end; v += step) out->set(static_cast<size_t>(v));
  }
  return Status::OK();
}

Result<CompiledCalendar> CompileCalendar(const v1::ScheduleCalendarSpec& c) {
  CompiledCalendar out;
  DURABLE_RETURN_IF_ERROR(Expand(c.second(), 0, 59, {0}, "second", &out.second));
  DURABLE_RETURN_IF_ERROR(Expand(c.minute(), 0, 59, {0}, "minute", &out.minute));
  DURABLE_RETURN_IF_ERROR(Expand(c.hour(), 0, 23, {0}, "hour", &out.hour));
  DURABLE_RETURN_IF_ERROR(Expand(c.day_of_month(), 1, 31, {}, "day_of_month", &out.day_of_month));
  DURABLE_RETURN_IF_ERROR(Expand(c.month(), 1, 12, {}, "month", &out.month));
  DURABLE_RETURN_IF_ERROR(Expand(c.day_of_week(), 0, 6, {}, "day_of_week", &out.day_of_week));
  for (const auto& y : c.year()) {
    if (y.start() < 1970 || y.start() > 9999) {
      return Status::InvalidArgument("schedule calendar: year " + std::to_string(y.start()) +
                                     " is outside 1970-9999");
    }
  }
  out.years.assign(c.year().begin(), c.year().end());
  return out;
}

int Weekday(const absl::CivilDay& d) {  // 0 = Sunday
  switch (absl::GetWeekday(d)) {
    case absl::Weekday::sunday: return 0;
    case absl::Weekday::monday: return 1;
    case absl::Weekday::tuesday: return 2;
    case absl::Weekday::wednesday: return 3;
    case absl::Weekday::thursday: return 4;
    case absl::Weekday::friday: return 5;
    case absl::Weekday::saturday: return 6;
  }
  return 0;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// The first instant after `after_us` that matches `c` in `tz`.
std::optional<int64_t> NextCalendar(const CompiledCalendar& c, const absl::TimeZone& tz,
                                    int64_t after_us) {
  absl::CivilSecond cs =
      absl::ToCivilSecond(absl::FromUnixMicros(after_us), tz) + 1;
  for (int i = 0; i < kMaxSearchSteps; ++i) {
    if (cs.year() > 9999) return std::nullopt;
    if (!c.YearMatches(cs.year())) {
      cs = absl::CivilSecond(absl::CivilYear(cs) + 1);
      continue;
    }
    if (!c.month[static_cast<size_t>(cs.month())]) {
      cs = absl::CivilSecond(absl::CivilMonth(cs) + 1);
      continue;
    }
    if (!c.day_of_month[static_cast<size_t>(cs.day())] ||
        !c.day_of_week[static_cast<size_t>(Weekday(absl::CivilDay(cs)))]) {
      cs = absl::CivilSecond(absl::CivilDay(cs) + 1);
      continue;
    }
    if (!c.hour[static_cast<size_t>(cs.hour())]) {
      cs = absl::CivilSecond(absl::CivilHour(cs) + 1);
      continue;
    }
    if (!c.minute[static_cast<size_t>(cs.minute())]) {
      cs = absl::CivilSecond(absl::CivilMinute(cs) + 1);
      continue;
    }
    if (!c.second[static_cast<size_t>(cs.second())]) {
      cs += 1;
      continue;
    }
    int64_t t = absl::ToUnixMicros(tz.At(cs).pre);
    if (t > after_us) return t;
    cs += 1;  // the first occurrence of a repeated time is behind us
  }
  return std::nullopt;
}

uint64_t Fnv1a(const std::string& s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

bool CompiledCalendar::YearMatches(int64_t year) const {
  if (years.empty()) return true;
  for (const auto& r : years) {
    int64_t end = r.end() < r.start() ? r.start() : r.end();
    int64_t step = r.step() <= 0 ? 1 : r.step();
    if (year >= r.start() && year <= end && (year - r.start()) % step == 0) return true;
  }
  return false;
}

bool CompiledCalendar::Matches(const absl::CivilSecond& cs) const {
  return YearMatches(cs.year()) && month[static_cast<size_t>(cs.month())] &&
         day_of_month[static_cast<size_t>(cs.day())] &&
         day_of_week[static_cast<size_t>(Weekday(absl::CivilDay(cs)))] &&
         hour[static_cast<size_t>(cs.hour())] && minute[static_cast<size_t>(cs.minute())] &&
         second[static_cast<size_t>(cs.second())];
}

Result<CompiledSpec> CompiledSpec::Compile(const v1::ScheduleSpec& spec) {
  CompiledSpec out;
  std::string tz_name = spec.time_zone_name().empty() ? "UTC" : spec.time_zone_name();
  std::vector<v1::ScheduleCalendarSpec> calendars(spec.calendars().begin(), spec.calendars().end());
  for (const auto& expr : spec.cron_expressions()) {
    std::string cron_tz;
    auto cal = ParseCron(expr, &cron_tz);
    if (!cal.ok()) return cal.status();
    if (!cron_tz.empty()) tz_name = cron_tz;
    calendars.push_back(std::move(cal).value());
  }
  if (!absl::LoadTimeZone(tz_name, &out.tz_)) {
    return Status::InvalidArgument("schedule spec: unknown time zone '" + tz_name +
                                   "' (an IANA name such as 'Europe/Madrid')");
  }
  for (const auto& c : calendars) {
    auto cc = CompileCalendar(c);
    if (!cc.ok()) return cc.status();
    out.calendars_.push_back(std::move(cc).value());
  }
  for (const auto& c : spec.skip()) {
    auto cc = CompileCalendar(c);
    if (!cc.ok()) return cc.status();
    out.skip_.push_back(std::move(cc).value());
  }
  for (const auto& i : spec.intervals()) {
    if (i.every_us() <= 0) {
      return Status::InvalidArgument("schedule interval: every must be positive");
    }
    if (i.offset_us() < 0 || i.offset_us() >= i.every_us()) {
      return Status::InvalidArgument("schedule interval: offset must be in [0, every)");
    }
    out.intervals_.push_back(i);
  }
  if (spec.jitter_us() < 0) return Status::InvalidArgument("schedule spec: negative jitter");
  if (spec.end_at_us() != 0 && spec.end_at_us() < spec.start_at_us()) {
    return Status::InvalidArgument("schedule spec: end_at is before start_at");
  }
  out.start_at_us_ = spec.start_at_us();
  out.end_at_us_ = spec.end_at_us();
  out.jitter_us_ = spec.jitter_us();
  return out;
}

bool CompiledSpec::Skipped(int64_t t_us) const {
  if (skip_.empty()) return false;
  absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixMicros(t_us), tz_);
  for (const auto& s : skip_) {
    if (s.Matches(cs)) return true;
  }
  return false;
}

std::optional<int64_t> CompiledSpec::NextUnbounded(int64_t after_us) const {
  std::optional<int64_t> best;
  for (const auto& c : calendars_) {
    auto t = NextCalendar(c, tz_, after_us);
    if (t && (!best || *t < *best)) best = t;
  }
  for (const auto& i : intervals_) {
    int64_t k = FloorDiv(after_us - i.offset_us(), i.every_us()) + 1;
    int64_t t = i.offset_us() + k * i.every_us();
    if (!best || t < *best) best = t;
  }
  return best;
}

std::optional<int64_t> CompiledSpec::NextNominal(int64_t after_us) const {
  int64_t from = std::max(after_us, start_at_us_ - 1);
  for (int i = 0; i < kMaxSearchSteps; ++i) {
    auto t = NextUnbounded(from);
    if (!t) return std::nullopt;
    if (end_at_us_ != 0 && *t > end_at_us_) return std::nullopt;
    if (!Skipped(*t)) return t;
    from = *t;
  }
  return std::nullopt;
}

int64_t CompiledSpec::ActualTime(int64_t nominal_us, const std::string& seed) const {
  if (jitter_us_ <= 0) return nominal_us;
  uint64_t h = Fnv1a(std::to_string(nominal_us), Fnv1a(seed));
  return nominal_us + static_cast<int64_t>(h % static_cast<uint64_t>(jitter_us_));
}

}  // namespace durable::schedules
