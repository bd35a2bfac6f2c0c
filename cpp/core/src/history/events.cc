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
    case C::kRecordMarker: {
      std::string patch = PatchIdOf(command);
      if (!patch.empty()) return name + "(name='core_patch', patch_id=" + Quote(patch) + ")";
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
    case E::kWorkflowExecutionUpdateCompleted: return true;
    default: return false;
  }
}

bool IsUnrecordedCommand(const v1::Command& command) {
  return command.variant_case() == C::kRejectUpdate || command.variant_case() == C::kRespondToQuery;
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

}  // namespace durable::history
