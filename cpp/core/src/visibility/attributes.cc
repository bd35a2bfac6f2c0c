#include "visibility/attributes.h"

#include <cctype>
#include <cmath>
#include <cstring>

namespace durable::visibility {

namespace {
constexpr auto kKeyword = v1::INDEXED_VALUE_TYPE_KEYWORD;
constexpr auto kDatetime = v1::INDEXED_VALUE_TYPE_DATETIME;

v1::SearchAttributeValue Keyword(const std::string& s) {
  v1::SearchAttributeValue v;
  v.set_type(kKeyword);
  v.set_string_value(s);
  return v;
}

v1::SearchAttributeValue Time(int64_t us) {
  v1::SearchAttributeValue v;
  v.set_type(kDatetime);
  v.set_int_value(us);
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}
}  // namespace

const std::map<std::string, AttributeInfo>& BuiltinAttributes() {
  static const std::map<std::string, AttributeInfo> kAll = [] {
    std::map<std::string, AttributeInfo> m;
    auto add = [&](const char* name, v1::IndexedValueType t, Builtin b, bool indexed = true) {
      m[name] = AttributeInfo{name, t, b, indexed};
    };
    add("WorkflowId", kKeyword, Builtin::kWorkflowId);
    add("RunId", kKeyword, Builtin::kRunId, false);
    add("WorkflowType", kKeyword, Builtin::kWorkflowType);
    add("TaskQueue", kKeyword, Builtin::kTaskQueue);
    add("ExecutionStatus", kKeyword, Builtin::kExecutionStatus);
    add("StartTime", kDatetime, Builtin::kStartTime);
    add("CloseTime", kDatetime, Builtin::kCloseTime);
    add("ExecutionTime", kDatetime, Builtin::kExecutionTime);
    add("ParentWorkflowId", kKeyword, Builtin::kParentWorkflowId);
    add("ParentRunId", kKeyword, Builtin::kParentRunId, false);
    add("RootWorkflowId", kKeyword, Builtin::kRootWorkflowId);
    add("RootRunId", kKeyword, Builtin::kRootRunId, false);
    add("HistoryLength", v1::INDEXED_VALUE_TYPE_INT, Builtin::kHistoryLength, false);
    add(kScheduledById, kKeyword, Builtin::kNone);
    add(kScheduledStartTime, kDatetime, Builtin::kNone);
    return m;
  }();
  return kAll;
}

const char* TypeName(v1::IndexedValueType type) {
  switch (type) {
    case v1::INDEXED_VALUE_TYPE_TEXT: return "Text";
    case v1::INDEXED_VALUE_TYPE_KEYWORD: return "Keyword";
    case v1::INDEXED_VALUE_TYPE_INT: return "Int";
    case v1::INDEXED_VALUE_TYPE_DOUBLE: return "Double";
    case v1::INDEXED_VALUE_TYPE_BOOL: return "Bool";
    case v1::INDEXED_VALUE_TYPE_DATETIME: return "Datetime";
    case v1::INDEXED_VALUE_TYPE_KEYWORD_LIST: return "KeywordList";
    default: return "Unspecified";
  }
}

const char* StatusValueName(v1::WorkflowExecutionStatus s) {
  switch (s) {
    case v1::WORKFLOW_EXECUTION_STATUS_RUNNING: return "Running";
    case v1::WORKFLOW_EXECUTION_STATUS_COMPLETED: return "Completed";
    case v1::WORKFLOW_EXECUTION_STATUS_FAILED: return "Failed";
    case v1::WORKFLOW_EXECUTION_STATUS_CANCELED: return "Canceled";
    case v1::WORKFLOW_EXECUTION_STATUS_TERMINATED: return "Terminated";
    case v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: return "ContinuedAsNew";
    case v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT: return "TimedOut";
    default: return "Unspecified";
  }
}

std::optional<v1::SearchAttributeValue> ValueOf(const v1::VisibilityRecord& r,
                                                const AttributeInfo& a) {
  switch (a.builtin) {
    case Builtin::kWorkflowId: return Keyword(r.workflow_id());
    case Builtin::kRunId: return Keyword(r.run_id());
    case Builtin::kWorkflowType: return Keyword(r.workflow_type());
    case Builtin::kTaskQueue: return Keyword(r.task_queue());
    case Builtin::kExecutionStatus: return Keyword(StatusValueName(r.status()));
    case Builtin::kStartTime: return Time(r.start_time_us());
    case Builtin::kCloseTime:
      if (r.close_time_us() == 0) return std::nullopt;
      return Time(r.close_time_us());
    case Builtin::kExecutionTime: return Time(r.execution_time_us());
    case Builtin::kParentWorkflowId:
      if (r.parent_workflow_id().empty()) return std::nullopt;
      return Keyword(r.parent_workflow_id());
    case Builtin::kParentRunId:
      if (r.parent_run_id().empty()) return std::nullopt;
      return Keyword(r.parent_run_id());
    case Builtin::kRootWorkflowId:  // a record from before roots: its own
      return Keyword(r.root_workflow_id().empty() ? r.workflow_id() : r.root_workflow_id());
    case Builtin::kRootRunId:
      return Keyword(r.root_workflow_id().empty() ? r.run_id() : r.root_run_id());
    case Builtin::kHistoryLength: {
      if (r.history_length() == 0) return std::nullopt;
      v1::SearchAttributeValue v;
      v.set_type(v1::INDEXED_VALUE_TYPE_INT);
      v.set_int_value(r.history_length());
      return v;
    }
    case Builtin::kNone: break;
  }
  const auto& f = r.search_attributes().indexed_fields();
  auto it = f.find(a.name);
  if (it == f.end() || it->second.type() == v1::INDEXED_VALUE_TYPE_UNSPECIFIED) return std::nullopt;
  return it->second;
}

Status ValidateAttributeName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("search attribute name is empty");
  if (name.size() > 64) {
    return Status::InvalidArgument("search attribute name '" + name.substr(0, 64) +
                                   "...' is longer than 64 characters");
  }
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) {
    return Status::InvalidArgument("search attribute name '" + name + "' must start with a letter");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return Status::InvalidArgument("search attribute name '" + name +
                                     "' may hold only letters, digits and '_'");
    }
  }
  return Status::OK();
}

Status ValidateValue(const v1::SearchAttributeValue& v, v1::IndexedValueType declared,
                     const std::string& what) {
  if (v.type() != declared) {
    return Status::InvalidArgument("search attribute '" + what + "' is declared " +
                                   TypeName(declared) + ", got a " + TypeName(v.type()) + " value");
  }
  auto no_nul = [&](const std::string& s) -> Status {
    if (s.find('\0') != std::string::npos) {
      return Status::InvalidArgument("search attribute '" + what + "' holds a NUL byte");
    }
    if (s.size() > 2048) {
      return Status::InvalidArgument("search attribute '" + what + "' is " +
                                     std::to_string(s.size()) + " bytes long, more than 2048");
    }
    return Status::OK();
  };
  switch (declared) {
    case v1::INDEXED_VALUE_TYPE_KEYWORD:
      return no_nul(v.string_value());
    case v1::INDEXED_VALUE_TYPE_TEXT:
      if (v.string_value().find('\0') != std::string::npos) return no_nul(v.string_value());
      return Status::OK();
    case v1::INDEXED_VALUE_TYPE_KEYWORD_LIST:
      for (const auto& s : v.keyword_list()) DURABLE_RETURN_IF_ERROR(no_nul(s));
      return Status::OK();
    case v1::INDEXED_VALUE_TYPE_DOUBLE:
      if (!std::isfinite(v.double_value())) {
        return Status::InvalidArgument("search attribute '" + what + "' is not a finite number");
      }
      return Status::OK();
    default: return Status::OK();
  }
}

void AppendOrderedInt(std::string* out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((u >> (i * 8)) & 0xff));
}

void AppendOrderedDouble(std::string* out, double v) {
  if (v == 0) v = 0;  // -0.0 == 0.0
  uint64_t u;
  std::memcpy(&u, &v, sizeof u);
  u = (u & (uint64_t{1} << 63)) ? ~u : (u | (uint64_t{1} << 63));
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((u >> (i * 8)) & 0xff));
}

void AppendOrderedStringPrefix(std::string* out, const std::string& v) {
  for (char c : v) {
    out->push_back(c);
    if (c == '\0') out->push_back(static_cast<char>(0xff));
  }
}

void AppendOrderedString(std::string* out, const std::string& v) {
  AppendOrderedStringPrefix(out, v);
  out->push_back('\0');
  out->push_back('\0');
}

void AppendOrderedValue(std::string* out, const v1::SearchAttributeValue& v) {
  switch (v.type()) {
    case v1::INDEXED_VALUE_TYPE_INT:
    case v1::INDEXED_VALUE_TYPE_DATETIME: AppendOrderedInt(out, v.int_value()); break;
    case v1::INDEXED_VALUE_TYPE_DOUBLE: AppendOrderedDouble(out, v.double_value()); break;
    case v1::INDEXED_VALUE_TYPE_BOOL: out->push_back(v.bool_value() ? 1 : 0); break;
    default: AppendOrderedString(out, v.string_value()); break;
  }
}

Result<int64_t> ParseRfc3339(const std::string& s) {
  auto bad = [&] {
    return Status::InvalidArgument("'" + s +
                                   "' is not an RFC 3339 time (e.g. 2026-12-02T09:30:00Z)");
  };
  size_t i = 0;
  auto num = [&](size_t n, int64_t* out) {
    if (i + n > s.size()) return false;
    int64_t v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    *out = v;
    return true;
  };
  auto lit = [&](char c) {
    if (i < s.size() && (s[i] == c || (c == 'T' && (s[i] == 't' || s[i] == ' ')))) {
      ++i;
      return true;
    }
    return false;
  };
  int64_t y, mo, d, h, mi, sec;
  if (!num(4, &y) || !lit('-') || !num(2, &mo) || !lit('-') || !num(2, &d)) return bad();
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return bad();
  h = mi = sec = 0;
  int64_t frac_us = 0;
  int64_t offset_s = 0;
  if (i < s.size()) {
    if (!lit('T') || !num(2, &h) || !lit(':') || !num(2, &mi) || !lit(':') || !num(2, &sec)) {
      return bad();
    }
    if (h > 23 || mi > 59 || sec > 60) return bad();
    if (i < s.size() && s[i] == '.') {
      ++i;
      int digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (digits < 6) frac_us = frac_us * 10 + (s[i] - '0');
        ++digits;
        ++i;
      }
      if (digits == 0) return bad();
      for (int k = digits; k < 6; ++k) frac_us *= 10;
    }
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i] == '-' ? -1 : 1;
      ++i;
      int64_t oh, om;
      if (!num(2, &oh) || !lit(':') || !num(2, &om)) return bad();
      offset_s = sign * (oh * 3600 + om * 60);
    } else {
      return bad();
    }
  }
  if (i != s.size()) return bad();
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * 1'000'000 + frac_us;
}

std::string FormatRfc3339(int64_t us) {
  int64_t secs = us >= 0 ? us / 1'000'000 : -((-us + 999'999) / 1'000'000);
  int64_t frac = us - secs * 1'000'000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out = buf;
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out += buf;
  }
  return out + "Z";
}

}  // namespace durable::visibility
