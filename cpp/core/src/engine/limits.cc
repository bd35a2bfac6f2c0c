// Limits (EngineLimits, docs/limits.md): payload sizes, history length and size, pending
// work per run, and the warnings given on the way up. What each does when hit:
//   payload of a client call          -> kInvalidArgument naming the payload, size and limit
//   payload of a workflow command     -> the workflow fails, non-retryable (CommandPayloads
//                                        marks it; RespondWorkflowTaskCompleted replaces the
//                                        task's commands with that failure)
//   activity result                   -> the attempt fails, non-retryable (activity.cc)
//   history events / bytes            -> the run is terminated in the transition that reaches
//                                        the limit (EnforceHistoryLimits, from Commit)
//   pending activities / children /   -> the workflow task fails with cause
//   external signals / cancels           pending_*_limit_exceeded and is retried
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/engine_impl.h"

namespace durable {

namespace {
constexpr const char* kHistoryLimitReason = "Workflow history size / count exceeds limit.";
constexpr const char* kEngineIdentity = "durable-engine";

int64_t BufferedBytes(const v1::ExecutionState& ms) {
  int64_t n = 0;
  for (const auto& ev : ms.buffered_events()) n += static_cast<int64_t>(ev.ByteSizeLong());
  return n;
}

int64_t HistoryEvents(const v1::ExecutionState& ms) {
  return std::max<int64_t>(0, ms.next_event_id() - 1) + ms.buffered_events_size();
}

bool Reached(int64_t value, int64_t limit) { return limit > 0 && value >= limit; }

v1::Payload JsonString(const std::string& text) {
  v1::Payload p;
  (*p.mutable_metadata())["encoding"] = "json/plain";
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  p.set_data(quoted + "\"");
  return p;
}
}  // namespace

std::string FormatBytes(int64_t n) {
  constexpr int64_t kKiB = 1024, kMiB = 1024 * 1024;
  char buf[64];
  auto one = [&](int64_t unit, const char* name) {
    if (n % unit == 0) {
      std::snprintf(buf, sizeof(buf), "%" PRId64 " %s", n / unit, name);
    } else {
      std::snprintf(buf, sizeof(buf), "%.1f %s", static_cast<double>(n) / unit, name);
    }
    return std::string(buf);
  };
  if (n >= kMiB) return one(kMiB, "MB");
  if (n >= kKiB) return one(kKiB, "KB");
  return std::to_string(n) + " bytes";
}

Status ValidateId(const std::string& v, const char* what, int64_t max_len,
                  const std::string& wf) {
  std::string ctx = wf.empty() ? std::string("") : " (workflow '" + wf + "')";
  if (v.empty()) return Status::InvalidArgument(std::string(what) + " is empty" + ctx);
  if (static_cast<int64_t>(v.size()) > max_len) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(v.size()) +
                                   " bytes long, more than the limit of " +
                                   std::to_string(max_len) + ctx);
  }
  if (v.find('\0') != std::string::npos) {
    return Status::InvalidArgument(std::string(what) + " contains a NUL byte" + ctx);
  }
  return Status::OK();
}

v1::Failure LimitFailure(const std::string& message) {
  v1::Failure f;
  f.set_message(message);
  f.set_source("engine");
  f.mutable_application_failure_info()->set_type("PayloadSizeLimitExceeded");
  f.mutable_application_failure_info()->set_non_retryable(true);
  return f;
}

void EngineImpl::Warn(const std::string& message) {
  if (options_.warn) {
    options_.warn(message);
  } else {
    std::fprintf(stderr, "durable: warning: %s\n", message.c_str());
    std::fflush(stderr);
  }
}

Status EngineImpl::ValidatePayload(const v1::Payload& p, const std::string& what,
                                   const std::string& wf) {
  const auto& l = options_.limits;
  const int64_t size = static_cast<int64_t>(p.ByteSizeLong());
  if (l.max_payload_bytes > 0 && size > l.max_payload_bytes) {
    return Status::InvalidArgument(what + " is " + FormatBytes(size) + " (" + std::to_string(size) +
                                   " bytes), over the " + FormatBytes(l.max_payload_bytes) +
                                   " payload limit (workflow '" + wf + "')");
  }
  if (l.warn_payload_bytes > 0 && size > l.warn_payload_bytes) {
    Warn(what + " is " + FormatBytes(size) + ", over the " + FormatBytes(l.warn_payload_bytes) +
         " payload warning threshold (workflow '" + wf + "'; the limit is " +
         FormatBytes(l.max_payload_bytes) + ")");
  }
  return Status::OK();
}

Status EngineImpl::ValidatePayloads(const v1::Payloads& ps, const std::string& what,
                                    const std::string& wf) {
  for (int i = 0; i < ps.payloads_size(); ++i) {
    DURABLE_RETURN_IF_ERROR(ValidatePayload(ps.payloads(i), what, wf));
  }
  return Status::OK();
}

Status EngineImpl::CommandPayload(const v1::Payload& p, const std::string& what,
                                  CommandContext& cc) {
  Status st = ValidatePayload(p, what, cc.wf);
  if (!st.ok()) cc.oversized = st.message();
  return st;
}

Status EngineImpl::CommandPayloads(const v1::Payloads& ps, const std::string& what,
                                   CommandContext& cc) {
  Status st = ValidatePayloads(ps, what, cc.wf);
  if (!st.ok()) cc.oversized = st.message();
  return st;
}

bool EngineImpl::ContinueAsNewSuggested(const v1::ExecutionState& ms) const {
  const auto& l = options_.limits;
  return Reached(HistoryEvents(ms), l.warn_history_events) ||
         Reached(ms.history_size_bytes() + BufferedBytes(ms), l.warn_history_bytes);
}

void EngineImpl::EnforceHistoryLimits(Txn& txn, v1::ExecutionState& ms) {
  if (!IsOpen(ms)) return;
  const auto& l = options_.limits;
  const int64_t events = HistoryEvents(ms);
  const int64_t bytes = ms.history_size_bytes() + BufferedBytes(ms);
  const std::string name = ExecName(ms.workflow_id(), ms.run_id());
  const std::string size = std::to_string(events) + " events (" + FormatBytes(bytes) + ")";
  if (Reached(events, l.max_history_events) || Reached(bytes, l.max_history_bytes)) {
    const std::string why = "history of " + name + " reached " + size + "; the limit is " +
                            std::to_string(l.max_history_events) + " events / " +
                            FormatBytes(l.max_history_bytes) + " (docs/limits.md)";
    v1::Payloads details;
    *details.add_payloads() = JsonString(why);
    TerminateLocked(txn, ms, kHistoryLimitReason, &details, kEngineIdentity);
    txn.after.push_back([this, why] { Warn(why + ": the run was terminated"); });
    return;
  }
  if (!ms.history_warned() &&
      (Reached(events, l.warn_history_events) || Reached(bytes, l.warn_history_bytes))) {
    ms.set_history_warned(true);
    const std::string why = "history of " + name + " has " + size + ", past the warning threshold of " +
                            std::to_string(l.warn_history_events) + " events / " +
                            FormatBytes(l.warn_history_bytes) + "; the run is terminated at " +
                            std::to_string(l.max_history_events) + " events / " +
                            FormatBytes(l.max_history_bytes) + ": continue as new";
    txn.after.push_back([this, why] { Warn(why); });
  }
}

Status EngineImpl::CheckPendingLimits(const v1::ExecutionState& ms,
                                      const google::protobuf::RepeatedPtrField<v1::Command>& commands,
                                      const std::string& name, std::string* cause) const {
  const auto& l = options_.limits;
  struct Kind {
    const char* what;
    const char* command;
    const char* cause;
    int64_t limit;
    int64_t pending;
  };
  Kind kinds[] = {
      {"activities", "ScheduleActivity", "pending_activities_limit_exceeded",
       l.max_pending_activities, ms.activities_size()},
      {"child workflows", "StartChildWorkflowExecution", "pending_child_workflows_limit_exceeded",
       l.max_pending_children, ms.children_size()},
      {"external signals", "SignalExternalWorkflowExecution", "pending_signals_limit_exceeded",
       l.max_pending_signals, ms.pending_signal_externals()},
      {"external cancel requests", "RequestCancelExternalWorkflowExecution",
       "pending_request_cancel_limit_exceeded", l.max_pending_cancels, ms.pending_cancel_externals()},
  };
  for (int i = 0; i < commands.size(); ++i) {
    const auto& c = commands.Get(i);
    Kind* k = c.has_schedule_activity()                       ? &kinds[0]
              : c.has_start_child_workflow_execution()        ? &kinds[1]
              : c.has_signal_external_workflow_execution()    ? &kinds[2]
              : c.has_request_cancel_external_workflow_execution() ? &kinds[3]
                                                              : nullptr;
    if (k == nullptr) continue;
    ++k->pending;
    if (k->limit > 0 && k->pending > k->limit) {
      *cause = k->cause;
      return Status::ResourceExhausted(
          "workflow task of " + name + " failed (" + k->cause + "): command " + std::to_string(i) +
          " (" + k->command + ") would make " + std::to_string(k->pending) + " pending " + k->what +
          ", over the limit of " + std::to_string(k->limit) +
          "; the task is retried, and goes through once fewer are pending");
    }
  }
  return Status::OK();
}

}  // namespace durable
