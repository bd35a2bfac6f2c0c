// Cron strings to calendar specs (spec.h, ParseCron).
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "schedules/spec.h"

namespace durable::schedules {

namespace {

const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                         "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Field {
  const char* name;
  int lo, hi;
  const char** names;  // nullable; names[i] is value i + names_base
  int names_base;
  int names_count;
};

bool ParseValue(const std::string& s, const Field& f, int* out) {
  std::string u = Upper(s);
  for (int i = 0; f.names != nullptr && i < f.names_count; ++i) {
    if (u == f.names[i]) {
      *out = i + f.names_base;
      return true;
    }
  }
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = std::atoi(s.c_str());
  return true;
}

Status ParseField(const std::string& text, const Field& f, const std::string& expr,
                  google::protobuf::RepeatedPtrField<v1::ScheduleRange>* out) {
  auto bad = [&](const std::string& part) {
    return Status::InvalidArgument("cron '" + expr + "': bad " + f.name + " '" + part +
                                   "' (expected *, n, a-b, */s, a-b/s or a list of them, within " +
                                   std::to_string(f.lo) + "-" + std::to_string(f.hi) + ")");
  };
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::string range = item;
    int step = 1;
    size_t slash = item.find('/');
    if (slash != std::string::npos) {
      range = item.substr(0, slash);
      std::string s = item.substr(slash + 1);
      if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return bad(item);
      step = std::atoi(s.c_str());
      if (step <= 0) return bad(item);
    }
    int lo, hi;
    if (range == "*") {
      lo = f.lo;
      hi = f.hi;
    } else {
      size_t dash = range.find('-');
      if (dash == std::string::npos) {
        if (!ParseValue(range, f, &lo)) return bad(item);
        hi = slash != std::string::npos ? f.hi : lo;  // "a/s": from a to the end
      } else if (!ParseValue(range.substr(0, dash), f, &lo) ||
                 !ParseValue(range.substr(dash + 1), f, &hi)) {
        return bad(item);
      }
    }
    if (lo < f.lo || hi > f.hi || lo > hi) return bad(item);
    auto* r = out->Add();
    r->set_start(lo);
    r->set_end(hi);
    r->set_step(step);
  }
  if (out->empty()) return bad(text);
  return Status::OK();
}

}  // namespace

Result<v1::ScheduleCalendarSpec> ParseCron(const std::string& expr_in, std::string* tz) {
  std::string expr = expr_in;
  size_t b = expr.find_first_not_of(" \t");
  expr = b == std::string::npos ? "" : expr.substr(b);
  if (expr.rfind("CRON_TZ=", 0) == 0 || expr.rfind("TZ=", 0) == 0) {
    size_t eq = expr.find('=');
    size_t sp = expr.find(' ', eq);
    if (sp == std::string::npos) {
      return Status::InvalidArgument("cron '" + expr_in + "': nothing after the time zone");
    }
    *tz = expr.substr(eq + 1, sp - eq - 1);
    expr = expr.substr(sp + 1);
  }
  std::string macro = Upper(expr);
  while (!macro.empty() && std::isspace(static_cast<unsigned char>(macro.back()))) macro.pop_back();
  if (macro == "@YEARLY" || macro == "@ANNUALLY") expr = "0 0 1 1 *";
  else if (macro == "@MONTHLY") expr = "0 0 1 * *";
  else if (macro == "@WEEKLY") expr = "0 0 * * 0";
  else if (macro == "@DAILY" || macro == "@MIDNIGHT") expr = "0 0 * * *";
  else if (macro == "@HOURLY") expr = "0 * * * *";
  else if (!macro.empty() && macro[0] == '@') {
    return Status::InvalidArgument("cron '" + expr_in + "': unknown macro (known: @yearly, "
                                   "@annually, @monthly, @weekly, @daily, @midnight, @hourly)");
  }
  std::stringstream ss(expr);
  std::vector<std::string> fields;
  std::string f;
  while (ss >> f) fields.push_back(f);
  if (fields.size() != 5) {
    return Status::InvalidArgument("cron '" + expr_in + "': expected 5 fields (minute hour "
                                   "day-of-month month day-of-week), got " +
                                   std::to_string(fields.size()));
  }
  v1::ScheduleCalendarSpec cal;
  cal.add_second()->set_start(0);
  DURABLE_RETURN_IF_ERROR(ParseField(fields[0], {"minute", 0, 59, nullptr, 0, 0}, expr_in,
                                     cal.mutable_minute()));
  DURABLE_RETURN_IF_ERROR(ParseField(fields[1], {"hour", 0, 23, nullptr, 0, 0}, expr_in,
                                     cal.mutable_hour()));
  DURABLE_RETURN_IF_ERROR(ParseField(fields[2], {"day-of-month", 1, 31, nullptr, 0, 0}, expr_in,
                                     cal.mutable_day_of_month()));
  DURABLE_RETURN_IF_ERROR(ParseField(fields[3], {"month", 1, 12, kMonths, 1, 12}, expr_in,
                                     cal.mutable_month()));
  // Day of week: 0-7 parsed (7 = Sunday), then 7 mapped to 0.
  {
    google::protobuf::RepeatedPtrField<v1::ScheduleRange> tmp;
    DURABLE_RETURN_IF_ERROR(
        ParseField(fields[4], {"day-of-week", 0, 7, kDays, 0, 7}, expr_in, &tmp));
    for (auto r : tmp) {
      int end = r.end() < r.start() ? r.start() : r.end();
      if (r.start() == 7) {  // "7" alone: Sunday
        r.set_start(0);
        r.set_end(0);
        *cal.add_day_of_week() = r;
        continue;
      }
      if (end == 7) {
        if (r.start() == 0 && r.step() <= 1) {
          end = 6;
        } else {
          cal.add_day_of_week()->set_start(0);
          end = 6;
        }
      }
      if (end < r.start()) end = r.start();
      r.set_end(end);
      *cal.add_day_of_week() = r;
    }
  }
  cal.set_comment(expr_in);
  return cal;
}

}  // namespace durable::schedules
