// Key encodings of the engine's column families (DESIGN.md §3). Components are separated
// by a NUL byte (identifiers may not contain one); integers are 8-byte big-endian so that
// keys sort numerically. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace durable::keys {

inline void AppendU64(std::string* s, uint64_t v) {
  for (int i = 7; i >= 0; --i) s->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

inline uint64_t ReadU64(std::string_view s, size_t pos) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && pos + i < s.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  }
  return v;
}

inline std::string Join(std::initializer_list<std::string_view> parts) {
  std::string s;
  bool first = true;
  for (auto p : parts) {
    if (!first) s.push_back('\0');
    first = false;
    s.append(p);
  }
  return s;
}

// executions: ns / workflow_id / run_id
inline std::string Execution(std::string_view ns, std::string_view wf, std::string_view run) {
  return Join({ns, wf, run});
}

// current: ns / workflow_id
inline std::string Current(std::string_view ns, std::string_view wf) { return Join({ns, wf}); }

// history: ns / workflow_id / run_id / event_id
inline std::string HistoryPrefix(std::string_view ns, std::string_view wf, std::string_view run) {
  std::string s = Join({ns, wf, run});
  s.push_back('\0');
  return s;
}
inline std::string History(std::string_view ns, std::string_view wf, std::string_view run,
                           int64_t event_id) {
  std::string s = HistoryPrefix(ns, wf, run);
  AppendU64(&s, static_cast<uint64_t>(event_id));
  return s;
}

// tasks: ns / queue / kind / seq
inline std::string Task(std::string_view ns, std::string_view queue, int kind, int64_t seq) {
  std::string s = Join({ns, queue});
  s.push_back('\0');
  s.push_back(static_cast<char>(kind));
  AppendU64(&s, static_cast<uint64_t>(seq));
  return s;
}
inline int64_t TaskSeq(std::string_view key) {
  return static_cast<int64_t>(ReadU64(key, key.size() - 8));
}

// timers: fire_time / ns / workflow_id / run_id / key
inline std::string Timer(int64_t fire_time_us, std::string_view ns, std::string_view wf,
                         std::string_view run, std::string_view key) {
  std::string s;
  AppendU64(&s, static_cast<uint64_t>(fire_time_us < 0 ? 0 : fire_time_us));
  s.append(Join({ns, wf, run, key}));
  return s;
}

// The last component of a timer key (TimerRow.key): which timer of its run (or schedule)
// a row is. These strings are on disk in existing stores: never change one.
namespace timer {
inline std::string User(std::string_view timer_id) { return "user/" + std::string(timer_id); }
inline std::string StartDelay() { return "startdelay"; }
inline std::string RunTimeout() { return "runtimeout"; }
inline std::string ExecutionTimeout() { return "exectimeout"; }
inline std::string WorkflowTaskBackoff(int32_t next_attempt) {
  return "wftbackoff/" + std::to_string(next_attempt);
}
inline std::string ActivityScheduleToStart(int64_t scheduled_event_id, int32_t attempt) {
  return "act/" + std::to_string(scheduled_event_id) + "/" + std::to_string(attempt) + "/s2s";
}
inline std::string ActivityScheduleToClose(int64_t scheduled_event_id) {
  return "act/" + std::to_string(scheduled_event_id) + "/s2c";
}
inline std::string ActivityRetry(int64_t scheduled_event_id, int32_t next_attempt) {
  return "act/" + std::to_string(scheduled_event_id) + "/" + std::to_string(next_attempt) +
         "/retry";
}
inline std::string Outbox(int64_t seq) { return "outbox/" + std::to_string(seq); }
inline std::string ScheduleWake(std::string_view schedule_id) {
  return "schedule/" + std::string(schedule_id) + "/wake";
}
// A run started by schedule `schedule_id` closed: the schedule wakes at once.
inline std::string ScheduleRunClosed(std::string_view schedule_id, std::string_view wf,
                                     std::string_view run) {
  return "schedule/" + std::string(schedule_id) + "/closed/" + std::string(wf) + "/" +
         std::string(run);
}
}  // namespace timer

// visibility: ns / workflow_id / run_id (minimal: List scans and filters)
inline std::string Visibility(std::string_view ns, std::string_view wf, std::string_view run) {
  return Join({ns, wf, run});
}

}  // namespace durable::keys
