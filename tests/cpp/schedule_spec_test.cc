// Schedule spec math: intervals with offsets, calendars in IANA time zones across DST
// transitions, cron strings, skip, bounds, jitter, and clear errors.
#include <gtest/gtest.h>

#include "schedules/spec.h"
#include "visibility/attributes.h"

namespace durable::schedules {
namespace {

int64_t T(const std::string& rfc3339) { return visibility::ParseRfc3339(rfc3339).value(); }
std::string S(std::optional<int64_t> us) {
  return us ? visibility::FormatRfc3339(*us) : std::string("none");
}

v1::ScheduleRange R(int start, int end = 0, int step = 0) {
  v1::ScheduleRange r;
  r.set_start(start);
  r.set_end(end);
  r.set_step(step);
  return r;
}

CompiledSpec Compile(const v1::ScheduleSpec& spec) {
  auto c = CompiledSpec::Compile(spec);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

// The next `n` nominal times after `from`.
std::vector<std::string> Next(const CompiledSpec& c, const std::string& from, int n) {
  std::vector<std::string> out;
  int64_t t = T(from);
  for (int i = 0; i < n; ++i) {
    auto next = c.NextNominal(t);
    out.push_back(S(next));
    if (!next) break;
    t = *next;
  }
  return out;
}

TEST(ScheduleSpecTest, IntervalsCountFromTheEpochWithTheirOffset) {
  v1::ScheduleSpec spec;
  auto* i = spec.add_intervals();
  i->set_every_us(3600LL * 1'000'000);
  i->set_offset_us(15LL * 60 * 1'000'000);
  EXPECT_EQ(Next(Compile(spec), "2026-12-02T09:20:00Z", 3),
            (std::vector<std::string>{"2026-12-02T10:15:00Z", "2026-12-02T11:15:00Z",
                                      "2026-12-02T12:15:00Z"}));
  EXPECT_EQ(Next(Compile(spec), "2026-12-02T09:10:00Z", 1),
            std::vector<std::string>{"2026-12-02T09:15:00Z"});
}

TEST(ScheduleSpecTest, WeekdaysAtNineThirty) {
  v1::ScheduleSpec spec;
  auto* c = spec.add_calendars();
  *c->add_hour() = R(9);
  *c->add_minute() = R(30);
  *c->add_day_of_week() = R(1, 5);
  // Friday 10:00 -> Monday 09:30.
  EXPECT_EQ(Next(Compile(spec), "2026-12-04T10:00:00Z", 2),
            (std::vector<std::string>{"2026-12-07T09:30:00Z", "2026-12-08T09:30:00Z"}));
}

TEST(ScheduleSpecTest, FirstOfEachMonthAndYearRanges) {
  v1::ScheduleSpec spec;
  auto* c = spec.add_calendars();
  *c->add_day_of_month() = R(1);
  *c->add_year() = R(2027);
  EXPECT_EQ(Next(Compile(spec), "2026-12-15T00:00:00Z", 3),
            (std::vector<std::string>{"2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z",
                                      "2027-03-01T00:00:00Z"}));
  EXPECT_EQ(Next(Compile(spec), "2027-12-01T00:00:00Z", 1), std::vector<std::string>{"none"});
}

TEST(ScheduleSpecTest, SpringForwardRunsASkippedTimeAtTheSameInstantAfterTheJump) {
  v1::ScheduleSpec spec;
  spec.set_time_zone_name("America/New_York");
  auto* c = spec.add_calendars();
  *c->add_hour() = R(2);
  *c->add_minute() = R(30);
  // 2026-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist; it runs at 03:30 EDT.
  EXPECT_EQ(Next(Compile(spec), "2026-03-07T00:00:00Z", 3),
            (std::vector<std::string>{"2026-03-07T07:30:00Z",   // 02:30 EST
                                      "2026-03-08T07:30:00Z",   // 03:30 EDT
                                      "2026-03-09T06:30:00Z"}));  // 02:30 EDT
}

TEST(ScheduleSpecTest, FallBackRunsARepeatedTimeOnce) {
  v1::ScheduleSpec spec;
  spec.set_time_zone_name("America/New_York");
  auto* c = spec.add_calendars();
  *c->add_hour() = R(1);
  *c->add_minute() = R(30);
  // 2026-11-01 02:00 EDT falls back to 01:00 EST: 01:30 happens twice, runs at the first.
  EXPECT_EQ(Next(Compile(spec), "2026-10-31T12:00:00Z", 3),
            (std::vector<std::string>{"2026-11-01T05:30:00Z",   // 01:30 EDT
                                      "2026-11-02T06:30:00Z",   // 01:30 EST, next day
                                      "2026-11-03T06:30:00Z"}));
  // Searching from inside the repeated hour does not fire it a second time.
  EXPECT_EQ(Next(Compile(spec), "2026-11-01T06:10:00Z", 1),
            std::vector<std::string>{"2026-11-02T06:30:00Z"});
}

TEST(ScheduleSpecTest, EuropeanLocalTimeKeepsItsHourAcrossDst) {
  v1::ScheduleSpec spec;
  spec.set_time_zone_name("Europe/Madrid");
  auto* c = spec.add_calendars();
  *c->add_hour() = R(9);
  // Madrid leaves summer time on 2026-10-25: 09:00 is 07:00 UTC before, 08:00 UTC after.
  EXPECT_EQ(Next(Compile(spec), "2026-10-24T00:00:00Z", 2),
            (std::vector<std::string>{"2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z"}));
}

TEST(ScheduleSpecTest, CronStringsMatchTheirCalendars) {
  auto from_cron = [](const std::string& expr) {
    v1::ScheduleSpec spec;
    spec.add_cron_expressions(expr);
    return Compile(spec);
  };
  EXPECT_EQ(Next(from_cron("30 9 * * MON-FRI"), "2026-12-04T10:00:00Z", 1),
            std::vector<std::string>{"2026-12-07T09:30:00Z"});
  EXPECT_EQ(Next(from_cron("*/15 * * * *"), "2026-12-02T09:01:00Z", 2),
            (std::vector<std::string>{"2026-12-02T09:15:00Z", "2026-12-02T09:30:00Z"}));
  EXPECT_EQ(Next(from_cron("@daily"), "2026-12-02T09:01:00Z", 1),
            std::vector<std::string>{"2026-12-03T00:00:00Z"});
  EXPECT_EQ(Next(from_cron("0 12 1 jan,jul *"), "2026-12-02T00:00:00Z", 2),
            (std::vector<std::string>{"2027-01-01T12:00:00Z", "2027-07-01T12:00:00Z"}));
  EXPECT_EQ(Next(from_cron("0 0 * * 7"), "2026-12-02T00:00:00Z", 1),  // 7 = Sunday
            std::vector<std::string>{"2026-12-06T00:00:00Z"});
  EXPECT_EQ(Next(from_cron("CRON_TZ=America/New_York 30 2 * * *"), "2026-03-08T00:00:00Z", 1),
            std::vector<std::string>{"2026-03-08T07:30:00Z"});
  std::string tz;
  EXPECT_EQ(ParseCron("61 * * * *", &tz).status().message(),
            "cron '61 * * * *': bad minute '61' (expected *, n, a-b, */s, a-b/s or a list of "
            "them, within 0-59)");
  EXPECT_EQ(ParseCron("* * *", &tz).status().message(),
            "cron '* * *': expected 5 fields (minute hour day-of-month month day-of-week), got 3");
  EXPECT_FALSE(ParseCron("@fortnightly", &tz).ok());
}

TEST(ScheduleSpecTest, SkipBoundsAndJitter) {
  v1::ScheduleSpec spec;
  auto* c = spec.add_calendars();
  *c->add_hour() = R(8);
  auto* skip = spec.add_skip();  // no runs on Saturdays and Sundays
  *skip->add_hour() = R(8);
  *skip->add_day_of_week() = R(0);
  *skip->add_day_of_week() = R(6);
  spec.set_start_at_us(T("2026-12-03T00:00:00Z"));
  spec.set_end_at_us(T("2026-12-08T08:00:00Z"));
  EXPECT_EQ(Next(Compile(spec), "2026-12-01T00:00:00Z", 5),
            (std::vector<std::string>{"2026-12-03T08:00:00Z", "2026-12-04T08:00:00Z",
                                      "2026-12-07T08:00:00Z", "2026-12-08T08:00:00Z", "none"}));
  spec.set_jitter_us(60'000'000);
  auto j = Compile(spec);
  int64_t n = T("2026-12-03T08:00:00Z");
  int64_t a = j.ActualTime(n, "sched-a");
  EXPECT_GE(a, n);
  EXPECT_LT(a, n + 60'000'000);
  EXPECT_EQ(a, j.ActualTime(n, "sched-a"));  // deterministic
}

TEST(ScheduleSpecTest, BadSpecsAreClearErrors) {
  v1::ScheduleSpec spec;
  spec.set_time_zone_name("Mars/Olympus");
  EXPECT_EQ(CompiledSpec::Compile(spec).status().message(),
            "schedule spec: unknown time zone 'Mars/Olympus' (an IANA name such as 'Europe/Madrid')");
  v1::ScheduleSpec s2;
  *s2.add_calendars()->add_hour() = R(20, 25);
  EXPECT_EQ(CompiledSpec::Compile(s2).status().message(),
            "schedule calendar: hour range 20-25 is outside 0-23");
  v1::ScheduleSpec s3;
  s3.add_intervals()->set_every_us(0);
  EXPECT_EQ(CompiledSpec::Compile(s3).status().message(),
            "schedule interval: every must be positive");
}

}  // namespace
}  // namespace durable::schedules
