#include "machines/workflow_machines.h"

#include <set>

#include "history/events.h"

namespace durable::machines {

using C = v1::Command;
using E = v1::HistoryEvent;
using history::DescribeCommand;
using history::DescribeEvent;

std::string WorkflowMachines::Who() const {
  return "workflow '" + workflow_id_ + "' run '" + run_id_ + "'";
}

bool WorkflowMachines::Matches(const v1::Command& c, const v1::HistoryEvent& e) const {
  switch (c.variant_case()) {
    case C::kScheduleActivity:
      return e.has_activity_task_scheduled() &&
             e.activity_task_scheduled().seq() == c.schedule_activity().seq() &&
             e.activity_task_scheduled().activity_type() == c.schedule_activity().activity_type();
    case C::kRequestCancelActivity: {
      if (!e.has_activity_task_cancel_requested()) return false;
      auto it = activities_.find(c.request_cancel_activity().seq());
      return it != activities_.end() &&
             it->second.scheduled_event_id() == e.activity_task_cancel_requested().scheduled_event_id();
    }
    case C::kStartTimer:
      return e.has_timer_started() && e.timer_started().seq() == c.start_timer().seq();
    case C::kCancelTimer:
      return e.has_timer_canceled() &&
             e.timer_canceled().timer_id() == std::to_string(c.cancel_timer().seq());
    case C::kCompleteWorkflowExecution: return e.has_workflow_execution_completed();
    case C::kFailWorkflowExecution: return e.has_workflow_execution_failed();
    case C::kCancelWorkflowExecution: return e.has_workflow_execution_canceled();
    case C::kContinueAsNewWorkflowExecution: return e.has_workflow_execution_continued_as_new();
    case C::kRecordMarker: {
      if (!e.has_marker_recorded() ||
          e.marker_recorded().marker_name() != c.record_marker().marker_name()) {
        return false;
      }
      if (history::IsLocalActivityMarker(c)) {
        auto mc = history::LocalActivityMarkerOf(c);
        auto me = history::LocalActivityMarkerOf(e);
        return mc && me && mc->seq == me->seq && mc->activity_type == me->activity_type;
      }
      return history::PatchIdOf(e) == history::PatchIdOf(c);
    }
    case C::kStartChildWorkflowExecution: {
      if (!e.has_start_child_workflow_execution_initiated()) return false;
      const auto& a = e.start_child_workflow_execution_initiated();
      const auto& s = c.start_child_workflow_execution();
      return a.seq() == s.seq() && a.workflow_type() == s.workflow_type() &&
             a.workflow_id() == s.workflow_id();
    }
    case C::kSignalExternalWorkflowExecution:
      return e.has_signal_external_workflow_execution_initiated() &&
             e.signal_external_workflow_execution_initiated().seq() ==
                 c.signal_external_workflow_execution().seq();
    case C::kRequestCancelExternalWorkflowExecution:
      return e.has_request_cancel_external_workflow_execution_initiated() &&
             e.request_cancel_external_workflow_execution_initiated().seq() ==
                 c.request_cancel_external_workflow_execution().seq();
    case C::kAcceptUpdate:
      return e.has_workflow_execution_update_accepted() &&
             e.workflow_execution_update_accepted().update_id() == c.accept_update().update_id();
    case C::kCompleteUpdate:
      return e.has_workflow_execution_update_completed() &&
             e.workflow_execution_update_completed().update_id() == c.complete_update().update_id();
    // Upserts are matched by kind only (as in Temporal): their values may change between
    // versions of the code without breaking replay.
    case C::kUpsertWorkflowSearchAttributes: return e.has_upsert_workflow_search_attributes();
    case C::kModifyWorkflowProperties: return e.has_workflow_properties_modified();
    default: return false;
  }
}

Status WorkflowMachines::Apply(const v1::Command& c, const v1::HistoryEvent& e) {
  Jobs none;  // matching a command never resolves anything
  auto reused = [&](int32_t seq) {
    return Status::InvalidArgument(Who() + " issued " + DescribeCommand(c) + " but seq " +
                                   std::to_string(seq) + " is already used by another command " +
                                   "of that kind");
  };
  auto missing = [&](const std::string& key) {
    return Status::Nondeterminism("nondeterminism: " + Who() + " issued " + DescribeCommand(c) +
                                  " for " + key + " which it never started");
  };
  switch (c.variant_case()) {
    case C::kScheduleActivity: {
      int32_t seq = c.schedule_activity().seq();
      auto [it, fresh] = activities_.try_emplace(seq, c.schedule_activity());
      if (!fresh) return reused(seq);
      activity_by_scheduled_id_[e.event_id()] = seq;
      return it->second.Handle(ActivityMachine::Event::kSchedule, e, &none);
    }
    case C::kRequestCancelActivity: {
      auto it = activities_.find(c.request_cancel_activity().seq());
      if (it == activities_.end()) return missing("an activity");
      return it->second.Handle(ActivityMachine::Event::kRequestCancel, e, &none);
    }
    case C::kStartTimer: {
      int32_t seq = c.start_timer().seq();
      auto [it, fresh] = timers_.try_emplace(seq, c.start_timer());
      if (!fresh) return reused(seq);
      timer_by_timer_id_[e.timer_started().timer_id()] = seq;
      return it->second.Handle(TimerMachine::Event::kStart, e, &none);
    }
    case C::kCancelTimer: {
      auto it = timers_.find(c.cancel_timer().seq());
      if (it == timers_.end()) return missing("a timer");
      return it->second.Handle(TimerMachine::Event::kCancel, e, &none);
    }
    case C::kCompleteWorkflowExecution:
    case C::kFailWorkflowExecution:
    case C::kCancelWorkflowExecution:
    case C::kContinueAsNewWorkflowExecution:
      if (!close_) close_.emplace();
      return close_->Handle(CompleteWorkflowMachine::Event::kRecord, e);
    case C::kRecordMarker: {
      if (auto la = history::LocalActivityMarkerOf(c)) {
        auto it = local_activities_.find(la->seq);
        if (it == local_activities_.end()) return missing("a local activity");
        return it->second.Handle(LocalActivityMachine::Event::kRecord, nullptr, &e, &none);
      }
      std::string patch = history::PatchIdOf(c);
      if (patch.empty()) return Status::OK();  // an SDK marker: matched by name, no state
      auto it = patches_.try_emplace(patch, patch).first;
      return it->second.Handle(PatchMarkerMachine::Event::kRecord, e);
    }
    case C::kStartChildWorkflowExecution: {
      int32_t seq = c.start_child_workflow_execution().seq();
      auto [it, fresh] = children_.try_emplace(seq, c.start_child_workflow_execution());
      if (!fresh) return reused(seq);
      child_by_initiated_id_[e.event_id()] = seq;
      return it->second.Handle(ChildWorkflowMachine::Event::kInitiate, e, &none);
    }
    case C::kSignalExternalWorkflowExecution: {
      int32_t seq = c.signal_external_workflow_execution().seq();
      auto [it, fresh] = signals_.try_emplace(seq, seq);
      if (!fresh) return reused(seq);
      signal_by_initiated_id_[e.event_id()] = seq;
      return it->second.Handle(SignalExternalMachine::Event::kInitiate, e, &none);
    }
    case C::kRequestCancelExternalWorkflowExecution: {
      int32_t seq = c.request_cancel_external_workflow_execution().seq();
      auto [it, fresh] = cancels_.try_emplace(seq, seq);
      if (!fresh) return reused(seq);
      cancel_by_initiated_id_[e.event_id()] = seq;
      return it->second.Handle(CancelExternalMachine::Event::kInitiate, e, &none);
    }
    case C::kAcceptUpdate: {
      const std::string& id = c.accept_update().update_id();
      auto it = updates_.try_emplace(id, id).first;
      return it->second.Handle(UpdateMachine::Event::kAccept, e);
    }
    case C::kCompleteUpdate: {
      auto it = updates_.find(c.complete_update().update_id());
      if (it == updates_.end()) return missing("an update");
      return it->second.Handle(UpdateMachine::Event::kComplete, e);
    }
    case C::kUpsertWorkflowSearchAttributes:
    case C::kModifyWorkflowProperties: return Status::OK();  // no state: nothing resolves them
    default: return Status::InvalidArgument(Who() + " issued an empty command");
  }
}

Status WorkflowMachines::MatchCommands(const std::vector<v1::Command>& commands,
                                       const std::vector<const v1::HistoryEvent*>& recorded,
                                       int64_t completed_event_id, bool replaying) {
  BeginTask(recorded, completed_event_id, replaying);
  DURABLE_RETURN_IF_ERROR(MatchNext(commands));
  return EndTask();
}

void WorkflowMachines::BeginTask(std::vector<const v1::HistoryEvent*> recorded,
                                 int64_t completed_event_id, bool replaying) {
  task_.recorded = std::move(recorded);
  task_.next = 0;
  task_.completed_event_id = completed_event_id;
  task_.replaying = replaying;
}

Status WorkflowMachines::MatchError(const std::string& what) const {
  if (task_.replaying) return Status::Nondeterminism("nondeterminism: " + Who() + " " + what);
  return Status::Internal("workflow task completion not recorded as sent: " + Who() + " " + what);
}

Status WorkflowMachines::MatchNext(const std::vector<v1::Command>& commands) {
  const auto& recorded = task_.recorded;
  size_t& j = task_.next;
  const std::string in_history = task_.replaying ? "history has " : "the engine recorded ";
  const std::string of_task =
      "the workflow task completed at event " + std::to_string(task_.completed_event_id);
  for (const v1::Command& c : commands) {
    if (c.has_schedule_local_activity()) {
      if (!task_.replaying) continue;  // applied when the live command was accepted
      const auto& sla = c.schedule_local_activity();
      const v1::HistoryEvent* marker = nullptr;
      std::optional<history::LocalActivityMarker> la;
      for (size_t k = j; k < recorded.size() && !marker; ++k) {
        la = history::LocalActivityMarkerOf(*recorded[k]);
        if (la && la->seq == sla.seq()) marker = recorded[k];
      }
      if (!marker) {
        return MatchError("issued " + DescribeCommand(c) + " but history has no " +
                          "'core_local_activity' marker with seq " + std::to_string(sla.seq()) +
                          " for " + of_task);
      }
      if (la->activity_type != sla.activity_type()) {
        return MatchError("issued " + DescribeCommand(c) + " but history has " +
                          DescribeEvent(*marker) + " at event " +
                          std::to_string(marker->event_id()));
      }
      auto [it, fresh] = local_activities_.try_emplace(sla.seq(), sla);
      if (!fresh) {
        return Status::InvalidArgument(Who() + " issued " + DescribeCommand(c) + " but seq " +
                                       std::to_string(sla.seq()) +
                                       " is already used by another local activity");
      }
      Jobs none;
      DURABLE_RETURN_IF_ERROR(
          it->second.Handle(LocalActivityMachine::Event::kSchedule, nullptr, nullptr, &none));
      continue;
    }
    if (c.has_request_cancel_local_activity()) {
      if (!task_.replaying) continue;
      int32_t seq = c.request_cancel_local_activity().seq();
      auto it = local_activities_.find(seq);
      if (it == local_activities_.end()) {
        return MatchError("issued " + DescribeCommand(c) + " for a local activity which it " +
                          "never scheduled");
      }
      Jobs none;
      DURABLE_RETURN_IF_ERROR(
          it->second.Handle(LocalActivityMachine::Event::kRequestCancel, nullptr, nullptr, &none));
      continue;
    }
    if (history::IsUnrecordedCommand(c)) continue;
    // A recorded patch marker that this command does not match was deprecated or removed.
    while (j < recorded.size() && !history::PatchIdOf(*recorded[j]).empty() &&
           !Matches(c, *recorded[j])) {
      ++j;
    }
    if (j == recorded.size()) {
      return MatchError("issued " + DescribeCommand(c) + " but " + in_history +
                        "no further command event for " + of_task);
    }
    const v1::HistoryEvent& e = *recorded[j];
    if (!Matches(c, e)) {
      return MatchError("issued " + DescribeCommand(c) + " but " + in_history + DescribeEvent(e) +
                        " at event " + std::to_string(e.event_id()));
    }
    Status applied = Apply(c, e);
    if (!applied.ok()) {
      if (task_.replaying || applied.code() != StatusCode::kNondeterminism) return applied;
      return Status::Internal("workflow task completion not recorded as sent: " + applied.message());
    }
    ++j;
  }
  return Status::OK();
}

Status WorkflowMachines::EndTask() {
  const auto& recorded = task_.recorded;
  for (size_t j = task_.next; j < recorded.size(); ++j) {
    const v1::HistoryEvent& e = *recorded[j];
    if (!history::PatchIdOf(e).empty()) continue;
    const std::string at = DescribeEvent(e) + " at event " + std::to_string(e.event_id()) +
                           " (recorded for the workflow task completed at event " +
                           std::to_string(task_.completed_event_id) + ")";
    if (auto la = history::LocalActivityMarkerOf(e)) {
      if (local_activities_.count(la->seq) == 0) {
        return MatchError("issued no ScheduleLocalActivity(seq=" + std::to_string(la->seq) +
                          ") for the local activity marker " + at);
      }
    }
    return MatchError("issued no command matching " + at);
  }
  task_ = TaskMatch();
  return Status::OK();
}

Status WorkflowMachines::ResolveRecordedLocalActivities(Jobs* jobs) {
  if (!task_.replaying) return Status::OK();
  while (task_.next < task_.recorded.size()) {
    const v1::HistoryEvent& e = *task_.recorded[task_.next];
    auto la = history::LocalActivityMarkerOf(e);
    if (!la) break;
    auto it = local_activities_.find(la->seq);
    if (it == local_activities_.end() || !it->second.pending()) break;
    LocalActivityMachine& m = it->second;
    DURABLE_RETURN_IF_ERROR(m.Handle(LocalActivityMachine::Event::kResolve, &la->result, &e, jobs));
    history::LocalActivityMarker generated = *la;
    generated.activity_id = m.activity_id();
    generated.activity_type = m.command().activity_type();
    DURABLE_RETURN_IF_ERROR(MatchNext({history::MakeLocalActivityMarker(generated)}));
  }
  return Status::OK();
}

Status WorkflowMachines::ScheduleLocalActivity(const v1::ScheduleLocalActivityCommand& command) {
  auto [it, fresh] = local_activities_.try_emplace(command.seq(), command);
  if (!fresh) {
    return Status::InvalidArgument(Who() + " issued ScheduleLocalActivity(seq=" +
                                   std::to_string(command.seq()) +
                                   ") but that seq is already used by another local activity");
  }
  Jobs none;
  return it->second.Handle(LocalActivityMachine::Event::kSchedule, nullptr, nullptr, &none);
}

Status WorkflowMachines::RequestCancelLocalActivity(int32_t seq, bool* pending) {
  auto it = local_activities_.find(seq);
  if (it == local_activities_.end()) {
    return Status::InvalidArgument(Who() + " issued RequestCancelLocalActivity(seq=" +
                                   std::to_string(seq) + ") but no local activity has that seq");
  }
  *pending = it->second.pending();
  Jobs none;
  return it->second.Handle(LocalActivityMachine::Event::kRequestCancel, nullptr, nullptr, &none);
}

Result<v1::Command> WorkflowMachines::ResolveLocalActivity(int32_t seq,
                                                           const v1::ActivityResolution& resolution,
                                                           int32_t attempt, int64_t elapsed_us,
                                                           Jobs* jobs) {
  auto it = local_activities_.find(seq);
  if (it == local_activities_.end() || !it->second.pending()) {
    return Status::FailedPrecondition(
        "ResolveLocalActivity of " + Who() + ": no local activity with seq " +
        std::to_string(seq) + " is running" +
        (it == local_activities_.end() ? "" : " (it was already resolved)"));
  }
  if (resolution.status_case() == v1::ActivityResolution::STATUS_NOT_SET) {
    return Status::InvalidArgument("ResolveLocalActivity of " + Who() + ": the resolution of " +
                                   "local activity seq " + std::to_string(seq) + " is empty");
  }
  if (attempt < 0 || elapsed_us < 0) {
    return Status::InvalidArgument("ResolveLocalActivity of " + Who() + ": local activity seq " +
                                   std::to_string(seq) + " has attempt " +
                                   std::to_string(attempt) + " and elapsed_us " +
                                   std::to_string(elapsed_us) + " (must not be negative)");
  }
  LocalActivityMachine& m = it->second;
  history::LocalActivityMarker marker;
  marker.seq = seq;
  marker.activity_id = m.activity_id();
  marker.activity_type = m.command().activity_type();
  marker.attempt = attempt == 0 ? 1 : attempt;
  marker.elapsed_us = elapsed_us;
  marker.result = m.WrapResolution(resolution);
  DURABLE_RETURN_IF_ERROR(m.Handle(LocalActivityMachine::Event::kResolve, &marker.result, nullptr, jobs));
  return history::MakeLocalActivityMarker(marker);
}

Status WorkflowMachines::ValidateNewCommands(const std::vector<v1::Command>& commands) const {
  std::set<int32_t> activities, timers, children, signals, cancels, locals;
  std::set<std::string> accepted;
  auto bad = [&](const v1::Command& c, const std::string& why) {
    return Status::InvalidArgument(Who() + " issued " + DescribeCommand(c) + ": " + why);
  };
  auto fresh = [&](const auto& machines, std::set<int32_t>& seen, int32_t seq) {
    return machines.count(seq) == 0 && seen.insert(seq).second;
  };
  auto known = [&](const auto& machines, const std::set<int32_t>& seen, int32_t seq) {
    return machines.count(seq) > 0 || seen.count(seq) > 0;
  };
  const std::string reused = "seq already used by an earlier command of that kind";
  for (const v1::Command& c : commands) {
    switch (c.variant_case()) {
      case C::VARIANT_NOT_SET: return bad(c, "no command set");
      case C::kScheduleActivity:
        if (!fresh(activities_, activities, c.schedule_activity().seq())) return bad(c, reused);
        break;
      case C::kRequestCancelActivity:
        if (!known(activities_, activities, c.request_cancel_activity().seq())) {
          return bad(c, "no activity was scheduled with that seq");
        }
        break;
      case C::kStartTimer:
        if (!fresh(timers_, timers, c.start_timer().seq())) return bad(c, reused);
        break;
      case C::kCancelTimer:
        if (!known(timers_, timers, c.cancel_timer().seq())) {
          return bad(c, "no timer was started with that seq");
        }
        break;
      case C::kStartChildWorkflowExecution:
        if (!fresh(children_, children, c.start_child_workflow_execution().seq())) {
          return bad(c, reused);
        }
        break;
      case C::kSignalExternalWorkflowExecution:
        if (!fresh(signals_, signals, c.signal_external_workflow_execution().seq())) {
          return bad(c, reused);
        }
        break;
      case C::kRequestCancelExternalWorkflowExecution:
        if (!fresh(cancels_, cancels, c.request_cancel_external_workflow_execution().seq())) {
          return bad(c, reused);
        }
        break;
      case C::kScheduleLocalActivity:
        if (!fresh(local_activities_, locals, c.schedule_local_activity().seq())) {
          return bad(c, reused);
        }
        break;
      case C::kRequestCancelLocalActivity:
        if (!known(local_activities_, locals, c.request_cancel_local_activity().seq())) {
          return bad(c, "no local activity was scheduled with that seq");
        }
        break;
      case C::kRecordMarker:
        if (history::IsLocalActivityMarker(c)) {
          return bad(c, "marker name 'core_local_activity' is reserved for the core's local "
                        "activity markers");
        }
        break;
      case C::kAcceptUpdate: accepted.insert(c.accept_update().update_id()); break;
      case C::kCompleteUpdate:
        if (updates_.count(c.complete_update().update_id()) == 0 &&
            accepted.count(c.complete_update().update_id()) == 0) {
          return bad(c, "the update was not accepted");
        }
        break;
      default: break;
    }
  }
  return Status::OK();
}

Status WorkflowMachines::Unknown(const v1::HistoryEvent& e, const char* what, int64_t id) const {
  return Status::Nondeterminism("nondeterminism: " + Who() + ": history has " + DescribeEvent(e) +
                                " at event " + std::to_string(e.event_id()) + " for " + what +
                                " event " + std::to_string(id) + ", which no command of the " +
                                "workflow produced");
}

Status WorkflowMachines::ApplyEvent(const v1::HistoryEvent& e, Jobs* jobs) {
  using AE = ActivityMachine::Event;
  using CE = ChildWorkflowMachine::Event;
  auto activity = [&](int64_t scheduled_id, AE ev) -> Status {
    auto it = activity_by_scheduled_id_.find(scheduled_id);
    if (it == activity_by_scheduled_id_.end()) return Unknown(e, "scheduled", scheduled_id);
    return activities_.at(it->second).Handle(ev, e, jobs);
  };
  auto child = [&](int64_t initiated_id, CE ev) -> Status {
    auto it = child_by_initiated_id_.find(initiated_id);
    if (it == child_by_initiated_id_.end()) return Unknown(e, "initiated", initiated_id);
    return children_.at(it->second).Handle(ev, e, jobs);
  };
  auto signal = [&](int64_t initiated_id, SignalExternalMachine::Event ev) -> Status {
    auto it = signal_by_initiated_id_.find(initiated_id);
    if (it == signal_by_initiated_id_.end()) return Unknown(e, "initiated", initiated_id);
    return signals_.at(it->second).Handle(ev, e, jobs);
  };
  auto cancel = [&](int64_t initiated_id, CancelExternalMachine::Event ev) -> Status {
    auto it = cancel_by_initiated_id_.find(initiated_id);
    if (it == cancel_by_initiated_id_.end()) return Unknown(e, "initiated", initiated_id);
    return cancels_.at(it->second).Handle(ev, e, jobs);
  };
  switch (e.attributes_case()) {
    case E::kActivityTaskStarted:
      return activity(e.activity_task_started().scheduled_event_id(), AE::kStart);
    case E::kActivityTaskCompleted:
      return activity(e.activity_task_completed().scheduled_event_id(), AE::kComplete);
    case E::kActivityTaskFailed:
      return activity(e.activity_task_failed().scheduled_event_id(), AE::kFail);
    case E::kActivityTaskTimedOut:
      return activity(e.activity_task_timed_out().scheduled_event_id(), AE::kTimeOut);
    case E::kActivityTaskCanceled:
      return activity(e.activity_task_canceled().scheduled_event_id(), AE::kCancel);
    case E::kTimerFired: {
      auto it = timer_by_timer_id_.find(e.timer_fired().timer_id());
      if (it == timer_by_timer_id_.end()) return Unknown(e, "started", e.timer_fired().started_event_id());
      return timers_.at(it->second).Handle(TimerMachine::Event::kFire, e, jobs);
    }
    case E::kStartChildWorkflowExecutionFailed:
      return child(e.start_child_workflow_execution_failed().initiated_event_id(), CE::kStartFail);
    case E::kChildWorkflowExecutionStarted:
      return child(e.child_workflow_execution_started().initiated_event_id(), CE::kStart);
    case E::kChildWorkflowExecutionCompleted:
      return child(e.child_workflow_execution_completed().initiated_event_id(), CE::kComplete);
    case E::kChildWorkflowExecutionFailed:
      return child(e.child_workflow_execution_failed().initiated_event_id(), CE::kFail);
    case E::kChildWorkflowExecutionCanceled:
      return child(e.child_workflow_execution_canceled().initiated_event_id(), CE::kCancel);
    case E::kChildWorkflowExecutionTimedOut:
      return child(e.child_workflow_execution_timed_out().initiated_event_id(), CE::kTimeOut);
    case E::kChildWorkflowExecutionTerminated:
      return child(e.child_workflow_execution_terminated().initiated_event_id(), CE::kTerminate);
    case E::kExternalWorkflowExecutionSignaled:
      return signal(e.external_workflow_execution_signaled().initiated_event_id(),
                    SignalExternalMachine::Event::kDeliver);
    case E::kSignalExternalWorkflowExecutionFailed:
      return signal(e.signal_external_workflow_execution_failed().initiated_event_id(),
                    SignalExternalMachine::Event::kFail);
    case E::kExternalWorkflowExecutionCancelRequested:
      return cancel(e.external_workflow_execution_cancel_requested().initiated_event_id(),
                    CancelExternalMachine::Event::kDeliver);
    case E::kRequestCancelExternalWorkflowExecutionFailed:
      return cancel(e.request_cancel_external_workflow_execution_failed().initiated_event_id(),
                    CancelExternalMachine::Event::kFail);
    default: return Status::OK();
  }
}

}  // namespace durable::machines
