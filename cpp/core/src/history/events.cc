#include "history/events.h"

namespace durable::history {

using E = v1::HistoryEvent;
using C = v1::Command;

const char* EventTypeName(const v1::HistoryEvent& event) {
  switch (event.attributes_case()) {
    case E::kWorkflowExecutionStarted: return "WorkflowExecutionStarted";
    case E::kWorkflowExecutionCompleted: return "WorkflowExecutionCompleted";
    case E::kWorkflowExecutionFailed: return "WorkflowExecutionFailed";
    case E::kWorkflowExecutionTimedOut: return "WorkflowExecutionTimedOut";
    case E::kWorkflowExecutionCanceled: return "WorkflowExecutionCanceled";
    case E::kWorkflowExecutionTerminated: return "WorkflowExecutionTerminated";
    case E::kWorkflowExecutionContinuedAsNew: return "WorkflowExecutionContinuedAsNew";
    case E::kWorkflowTaskScheduled: return "WorkflowTaskScheduled";
    case E::kWorkflowTaskStarted: return "WorkflowTaskStarted";
    case E::kWorkflowTaskCompleted: return "WorkflowTaskCompleted";
    case E::kWorkflowTaskFailed: return "WorkflowTaskFailed";
    case E::kWorkflowTaskTimedOut: return "WorkflowTaskTimedOut";
    case E::kActivityTaskScheduled: return "ActivityTaskScheduled";
    case E::kActivityTaskStarted: return "ActivityTaskStarted";
    case E::kActivityTaskCompleted: return "ActivityTaskCompleted";
    case E::kActivityTaskFailed: return "ActivityTaskFailed";
    case E::kActivityTaskTimedOut: return "ActivityTaskTimedOut";
    case E::kActivityTaskCancelRequested: return "ActivityTaskCancelRequested";
    case E::kActivityTaskCanceled: return "ActivityTaskCanceled";
    case E::kTimerStarted: return "TimerStarted";
    case E::kTimerFired: return "TimerFired";
    case E::kTimerCanceled: return "TimerCanceled";
    case E::kWorkflowExecutionSignaled: return "WorkflowExecutionSignaled";
    case E::kWorkflowExecutionCancelRequested: return "WorkflowExecutionCancelRequested";
    case E::kMarkerRecorded: return "MarkerRecorded";
    case E::kWorkflowExecutionUpdateAccepted: return "WorkflowExecutionUpdateAccepted";
    case E::kWorkflowExecutionUpdateCompleted: return "WorkflowExecutionUpdateCompleted";
    case E::kStartChildWorkflowExecutionInitiated: return "StartChildWorkflowExecutionInitiated";
    case E::kStartChildWorkflowExecutionFailed: return "StartChildWorkflowExecutionFailed";
    case E::kChildWorkflowExecutionStarted: return "ChildWorkflowExecutionStarted";
    case E::kChildWorkflowExecutionCompleted: return "ChildWorkflowExecutionCompleted";
    case E::kChildWorkflowExecutionFailed: return "ChildWorkflowExecutionFailed";
    case E::kChildWorkflowExecutionCanceled: return "ChildWorkflowExecutionCanceled";
    case E::kChildWorkflowExecutionTimedOut: return "ChildWorkflowExecutionTimedOut";
    case E::kChildWorkflowExecutionTerminated: return "ChildWorkflowExecutionTerminated";
    case E::kSignalExternalWorkflowExecutionInitiated:
      return "SignalExternalWorkflowExecutionInitiated";
    case E::kSignalExternalWorkflowExecutionFailed: return "SignalExternalWorkflowExecutionFailed";
    case E::kExternalWorkflowExecutionSignaled: return "ExternalWorkflowExecutionSignaled";
    case E::kRequestCancelExternalWorkflowExecutionInitiated:
      return "RequestCancelExternalWorkflowExecutionInitiated";
    case E::kRequestCancelExternalWorkflowExecutionFailed:
      return "RequestCancelExternalWorkflowExecutionFailed";
    case E::kExternalWorkflowExecutionCancelRequested:
      return "ExternalWorkflowExecutionCancelRequested";
    case E::kUpsertWorkflowSearchAttributes: return "UpsertWorkflowSearchAttributes";
    case E::kWorkflowPropertiesModified: return "WorkflowPropertiesModified";
    case E::ATTRIBUTES_NOT_SET: break;
  }
  return "Unknown";
}

static std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string DescribeEvent(const v1::HistoryEvent& event) {
  std::string name = EventTypeName(event);
  switch (event.attributes_case()) {
    case E::kActivityTaskScheduled: {
      const auto& a = event.activity_task_scheduled();
      return name + "(seq=" + std::to_string(a.seq()) + ", type=" + Quote(a.activity_type()) + ")";
    }
    case E::kTimerStarted:
      return name + "(seq=" + std::to_string(event.timer_started().seq()) + ")";
    case E::kTimerCanceled:
      return name + "(timer_id=" + Quote(event.timer_canceled().timer_id()) + ")";
    case E::kTimerFired:
      return name + "(timer_id=" + Quote(event.timer_fired().timer_id()) + ")";
    case E::kMarkerRecorded: {
      std::string patch = PatchIdOf(event);
      if (!patch.empty()) return name + "(name='core_patch', patch_id=" + Quote(patch) + ")";
      if (auto la = LocalActivityMarkerOf(event)) {
        return name + "(name='core_local_activity', seq=" + std::to_string(la->seq) +
               ", type=" + Quote(la->activity_type) + ")";
      }
      return name + "(name=" + Quote(event.marker_recorded().marker_name()) + ")";
    }
    case E::kStartChildWorkflowExecutionInitiated: {
      const auto& a = event.start_child_workflow_execution_initiated();
      return name + "(seq=" + std::to_string(a.seq()) + ", type=" + Quote(a.workflow_type()) +
             ", workflow_id=" + Quote(a.workflow_id()) + ")";
    }
    case E::kSignalExternalWorkflowExecutionInitiated: {
      const auto& a = event.signal_external_workflow_execution_initiated();
      return name + "(seq=" + std::to_string(a.seq()) + ", signal=" + Quote(a.signal_name()) + ")";
    }
    case E::kRequestCancelExternalWorkflowExecutionInitiated:
      return name + "(seq=" +
             std::to_string(event.request_cancel_external_workflow_execution_initiated().seq()) +
             ")";
    case E::kWorkflowExecutionUpdateAccepted:
      return name + "(update_id=" + Quote(event.workflow_execution_update_accepted().update_id()) +
             ")";
    case E::kWorkflowExecutionUpdateCompleted:
      return name + "(update_id=" + Quote(event.workflow_execution_update_completed().update_id()) +
             ")";
    case E::kWorkflowExecutionSignaled:
      return name + "(signal=" + Quote(event.workflow_execution_signaled().signal_name()) + ")";
    case E::kActivityTaskCancelRequested:
      return name + "(scheduled_event_id=" +
             std::to_string(event.activity_task_cancel_requested().scheduled_event_id()) + ")";
    default: return name;
  }
}

const char* CommandName(const v1::Command& command) {
  switch (command.variant_case()) {
    case C::kScheduleActivity: return "ScheduleActivity";
    case C::kRequestCancelActivity: return "RequestCancelActivity";
    case C::kStartTimer: return "StartTimer";
    case C::kCancelTimer: return "CancelTimer";
    case C::kCompleteWorkflowExecution: return "CompleteWorkflowExecution";
    case C::kFailWorkflowExecution: return "FailWorkflowExecution";
    case C::kCancelWorkflowExecution: return "CancelWorkflowExecution";
    case C::kContinueAsNewWorkflowExecution: return "ContinueAsNewWorkflowExecution";
    case C::kRecordMarker: return "RecordMarker";
    case C::kStartChildWorkflowExecution: return "StartChildWorkflowExecution";
    case C::kSignalExternalWorkflowExecution: return "SignalExternalWorkflowExecution";
    case C::kRequestCancelExternalWorkflowExecution: return "RequestCancelExternalWorkflowExecution";
    case C::kAcceptUpdate: return "AcceptUpdate";
    case C::kRejectUpdate: return "RejectUpdate";
    case C::kCompleteUpdate: return "CompleteUpdate";
    case C::kRespondToQuery: return "RespondToQuery";
    case C::kScheduleLocalActivity: return "ScheduleLocalActivity";
    case C::kRequestCancelLocalActivity: return "RequestCancelLocalActivity";
    case C::kUpsertWorkflowSearchAttributes: return "UpsertWorkflowSearchAttributes";
    case C::kModifyWorkflowProperties: return "ModifyWorkflowProperties";
    case C::VARIANT_NOT_SET: break;
  }
  return "EmptyCommand";
}

std::string DescribeCommand(const v1::Command& command) {
  std::string name = CommandName(command);
  switch (command.variant_case()) {
    case C::kScheduleActivity: {
      const auto& c = command.schedule_activity();
      return name + "(seq=" + std::to_string(c.seq()) + ", type=" + Quote(c.activity_type()) + ")";
    }
    case C::kRequestCancelActivity:
      return name + "(seq=" + std::to_string(command.request_cancel_activity().seq()) + ")";
    case C::kStartTimer: return name + "(seq=" + std::to_string(command.start_timer().seq()) + ")";
    case C::kCancelTimer: return name + "(seq=" + std::to_string(command.cancel_timer().seq()) + ")";
    case C::kScheduleLocalActivity: {
      const auto& c = command.schedule_local_activity();
      return name + "(seq=" + std::to_string(c.seq()) + ", type=" + Quote(c.activity_type()) + ")";
    }
    case C::kRequestCancelLocalActivity:
      return name + "(seq=" + std::to_string(command.request_cancel_local_activity().seq()) + ")";
    case C::kRecordMarker: {
      std::string patch = PatchIdOf(command);
      if (!patch.empty()) return name + "(name='core_patch', patch_id=" + Quote(patch) + ")";
      if (auto la = LocalActivityMarkerOf(command)) {
        return name + "(name='core_local_activity', seq=" + std::to_string(la->seq) +
               ", type=" + Quote(la->activity_type) + ")";
      }
      return name + "(name=" + Quote(command.record_marker().marker_name()) + ")";
    }
    case C::kStartChildWorkflowExecution: {
      const auto& c = command.start_child_workflow_execution();
      return name + "(seq=" + std::to_string(c.seq()) + ", type=" + Quote(c.workflow_type()) +
             ", workflow_id=" + Quote(c.workflow_id()) + ")";
    }
    case C::kSignalExternalWorkflowExecution: {
      const auto& c = command.signal_external_workflow_execution();
      return name + "(seq=" + std::to_string(c.seq()) + ", signal=" + Quote(c.signal_name()) + ")";
    }
    case C::kRequestCancelExternalWorkflowExecution:
      return name + "(seq=" +
             std::to_string(command.request_cancel_external_workflow_execution().seq()) + ")";
    case C::kAcceptUpdate: return name + "(update_id=" + Quote(command.accept_update().update_id()) + ")";
    case C::kRejectUpdate: return name + "(update_id=" + Quote(command.reject_update().update_id()) + ")";
    case C::kCompleteUpdate:
      return name + "(update_id=" + Quote(command.complete_update().update_id()) + ")";
    case C::kRespondToQuery:
      return name + "(query_id=" + Quote(command.respond_to_query().query_id()) + ")";
    default: return name;
  }
}

bool IsCommandEvent(const v1::HistoryEvent& event) {
  switch (event.attributes_case()) {
    case E::kActivityTaskScheduled:
    case E::kActivityTaskCancelRequested:
    case E::kTimerStarted:
    case E::kTimerCanceled:
    case E::kWorkflowExecutionCompleted:
    case E::kWorkflowExecutionFailed:
    case E::kWorkflowExecutionCanceled:
    case E::kWorkflowExecutionContinuedAsNew:
    case E::kMarkerRecorded:
    case E::kStartChildWorkflowExecutionInitiated:
    case E::kSignalExternalWorkflowExecutionInitiated:
    case E::kRequestCancelExternalWorkflowExecutionInitiated:
    case E::kWorkflowExecutionUpdateAccepted:
    case E::kWorkflowExecutionUpdateCompleted:
    case E::kUpsertWorkflowSearchAttributes:
    case E::kWorkflowPropertiesModified: return true;
    default: return false;
  }
}

bool IsUnrecordedCommand(const v1::Command& command) {
  switch (command.variant_case()) {
    case C::kRejectUpdate:
    case C::kRespondToQuery:
    case C::kScheduleLocalActivity:
    case C::kRequestCancelLocalActivity: return true;
    default: return false;
  }
}

static std::string PatchIdOfDetails(const std::string& marker_name,
                                    const google::protobuf::Map<std::string, v1::Payloads>& details) {
  if (marker_name != kPatchMarkerName) return "";
  auto it = details.find(kPatchIdDetailKey);
  if (it == details.end() || it->second.payloads_size() == 0) return "";
  return it->second.payloads(0).data();
}

std::string PatchIdOf(const v1::HistoryEvent& event) {
  if (!event.has_marker_recorded()) return "";
  return PatchIdOfDetails(event.marker_recorded().marker_name(), event.marker_recorded().details());
}

std::string PatchIdOf(const v1::Command& command) {
  if (!command.has_record_marker()) return "";
  return PatchIdOfDetails(command.record_marker().marker_name(), command.record_marker().details());
}

namespace {

constexpr char kSeqKey[] = "seq";
constexpr char kActivityIdKey[] = "activity_id";
constexpr char kActivityTypeKey[] = "activity_type";
constexpr char kAttemptKey[] = "attempt";
constexpr char kElapsedKey[] = "elapsed_us";
constexpr char kOutcomeKey[] = "outcome";
constexpr char kResultKey[] = "result";

using Details = google::protobuf::Map<std::string, v1::Payloads>;

void PutText(Details* details, const char* key, const std::string& text) {
  v1::Payloads p;
  p.add_payloads()->set_data(text);
  (*details)[key] = std::move(p);
}

std::optional<std::string> GetText(const Details& details, const char* key) {
  auto it = details.find(key);
  if (it == details.end() || it->second.payloads_size() != 1) return std::nullopt;
  return it->second.payloads(0).data();
}

std::optional<int64_t> GetInt(const Details& details, const char* key) {
  auto text = GetText(details, key);
  if (!text || text->empty() || text->size() > 19) return std::nullopt;
  size_t i = (*text)[0] == '-' ? 1 : 0;
  if (i == text->size()) return std::nullopt;
  int64_t v = 0;
  for (; i < text->size(); ++i) {
    char c = (*text)[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return (*text)[0] == '-' ? -v : v;
}

std::optional<LocalActivityMarker> ParseLocalActivityMarker(const std::string& name,
                                                            const Details& details,
                                                            const v1::Failure* failure) {
  if (name != kLocalActivityMarkerName) return std::nullopt;
  auto seq = GetInt(details, kSeqKey);
  auto outcome = GetText(details, kOutcomeKey);
  if (!seq || !outcome) return std::nullopt;
  LocalActivityMarker m;
  m.seq = static_cast<int32_t>(*seq);
  m.activity_id = GetText(details, kActivityIdKey).value_or("");
  m.activity_type = GetText(details, kActivityTypeKey).value_or("");
  m.attempt = static_cast<int32_t>(GetInt(details, kAttemptKey).value_or(1));
  m.elapsed_us = GetInt(details, kElapsedKey).value_or(0);
  if (*outcome == "completed") {
    auto it = details.find(kResultKey);
    *m.result.mutable_completed() = it == details.end() ? v1::Payloads() : it->second;
  } else if (*outcome == "failed" && failure != nullptr) {
    *m.result.mutable_failed() = *failure;
  } else if (*outcome == "cancelled" && failure != nullptr) {
    *m.result.mutable_cancelled() = *failure;
  } else {
    return std::nullopt;
  }
  return m;
}

}  // namespace

v1::Command MakeLocalActivityMarker(const LocalActivityMarker& marker) {
  v1::Command c;
  auto* r = c.mutable_record_marker();
  r->set_marker_name(kLocalActivityMarkerName);
  Details* d = r->mutable_details();
  PutText(d, kSeqKey, std::to_string(marker.seq));
  PutText(d, kActivityIdKey, marker.activity_id);
  PutText(d, kActivityTypeKey, marker.activity_type);
  PutText(d, kAttemptKey, std::to_string(marker.attempt));
  PutText(d, kElapsedKey, std::to_string(marker.elapsed_us));
  switch (marker.result.status_case()) {
    case v1::ActivityResolution::kCompleted:
      PutText(d, kOutcomeKey, "completed");
      (*d)[kResultKey] = marker.result.completed();
      break;
    case v1::ActivityResolution::kFailed:
      PutText(d, kOutcomeKey, "failed");
      *r->mutable_failure() = marker.result.failed();
      break;
    case v1::ActivityResolution::kCancelled:
      PutText(d, kOutcomeKey, "cancelled");
      *r->mutable_failure() = marker.result.cancelled();
      break;
    case v1::ActivityResolution::STATUS_NOT_SET: break;
  }
  return c;
}

std::optional<LocalActivityMarker> LocalActivityMarkerOf(const v1::HistoryEvent& event) {
  if (!event.has_marker_recorded()) return std::nullopt;
  const auto& m = event.marker_recorded();
  return ParseLocalActivityMarker(m.marker_name(), m.details(),
                                  m.has_failure() ? &m.failure() : nullptr);
}

std::optional<LocalActivityMarker> LocalActivityMarkerOf(const v1::Command& command) {
  if (!command.has_record_marker()) return std::nullopt;
  const auto& m = command.record_marker();
  return ParseLocalActivityMarker(m.marker_name(), m.details(),
                                  m.has_failure() ? &m.failure() : nullptr);
}

bool IsLocalActivityMarker(const v1::HistoryEvent& event) {
  return event.has_marker_recorded() &&
         event.marker_recorded().marker_name() == kLocalActivityMarkerName;
}

bool IsLocalActivityMarker(const v1::Command& command) {
  return command.has_record_marker() &&
         command.record_marker().marker_name() == kLocalActivityMarkerName;
}

}  // namespace durable::history
