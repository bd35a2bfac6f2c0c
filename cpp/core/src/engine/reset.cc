// Reset (Temporal's ResetWorkflowExecution): a new run of a workflow from the end of an earlier
// workflow task of one of its runs, the fix after a bad deploy. In one transition:
//  * the new run's history is the base run's events 1..S, where S is the WorkflowTaskStarted
//    of the chosen task (the event before workflow_task_finish_event_id), then
//    WorkflowTaskFailed (cause "reset", the reason, base and new run ids), then the signals the
//    base run received after S (unless reapply type NONE), then WorkflowTaskScheduled; the
//    workflow code (the fixed one) replays the prefix and goes on from there;
//  * its mutable state is rebuilt from the prefix (RebuildResetState): activities pending at S
//    are scheduled again (attempt 1), timers started before S are armed at their first fire
//    time (at once when that time has passed);
//  * the current run, if open, is terminated with a reason naming the new run, and the new run
//    becomes current.
// Not supported (kFailedPrecondition, said in docs/reset.md): resetting a child workflow, and
// reset points where a child workflow or an external signal/cancel is still pending.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

namespace {

bool EndsWorkflowTask(const v1::HistoryEvent& e) {
  return e.has_workflow_task_completed() || e.has_workflow_task_failed() ||
         e.has_workflow_task_timed_out();
}

}  // namespace

Status EngineImpl::RebuildResetState(Txn& txn, const v1::History& prefix, v1::ExecutionState& ms) {
  const std::string name = ExecName(ms.workflow_id(), ms.run_id());
  std::set<int64_t> children;   // initiated event ids of children still pending
  std::set<int64_t> externals;  // initiated event ids of external signals/cancels pending
  *ms.mutable_search_attributes() = ms.started().search_attributes();
  *ms.mutable_memo() = ms.started().memo();
  for (const auto& e : prefix.events()) {
    const int64_t id = e.event_id();
    switch (e.attributes_case()) {
      case v1::HistoryEvent::kWorkflowTaskCompleted:
        ms.set_previous_started_event_id(e.workflow_task_completed().started_event_id());
        break;
      case v1::HistoryEvent::kActivityTaskScheduled: {
        v1::ActivityInfo ai;
        *ai.mutable_scheduled() = e.activity_task_scheduled();
        ai.set_scheduled_event_id(id);
        (*ms.mutable_activities())[id] = std::move(ai);
        break;
      }
      case v1::HistoryEvent::kActivityTaskCancelRequested: {
        auto it = ms.mutable_activities()->find(e.activity_task_cancel_requested().scheduled_event_id());
        if (it != ms.mutable_activities()->end()) {
          it->second.set_cancel_requested(true);
          it->second.set_cancel_requested_event_id(id);
        }
        break;
      }
      case v1::HistoryEvent::kActivityTaskCompleted:
        ms.mutable_activities()->erase(e.activity_task_completed().scheduled_event_id());
        break;
      case v1::HistoryEvent::kActivityTaskFailed:
        ms.mutable_activities()->erase(e.activity_task_failed().scheduled_event_id());
        break;
      case v1::HistoryEvent::kActivityTaskTimedOut:
        ms.mutable_activities()->erase(e.activity_task_timed_out().scheduled_event_id());
        break;
      case v1::HistoryEvent::kActivityTaskCanceled:
        ms.mutable_activities()->erase(e.activity_task_canceled().scheduled_event_id());
        break;
      case v1::HistoryEvent::kTimerStarted: {
        const auto& a = e.timer_started();
        v1::TimerInfo ti;
        ti.set_timer_id(a.timer_id());
        ti.set_seq(a.seq());
        ti.set_started_event_id(id);
        ti.set_fire_time_us(e.event_time_us() + a.start_to_fire_timeout_us());
        (*ms.mutable_timers())[a.timer_id()] = std::move(ti);
        break;
      }
      case v1::HistoryEvent::kTimerFired:
        ms.mutable_timers()->erase(e.timer_fired().timer_id());
        break;
      case v1::HistoryEvent::kTimerCanceled:
        ms.mutable_timers()->erase(e.timer_canceled().timer_id());
        break;
      case v1::HistoryEvent::kWorkflowExecutionCancelRequested:
        ms.set_cancel_requested(true);
        break;
      case v1::HistoryEvent::kWorkflowExecutionUpdateAccepted: {
        auto& rec = (*ms.mutable_updates())[e.workflow_execution_update_accepted().update_id()];
        rec.set_update_id(e.workflow_execution_update_accepted().update_id());
        rec.set_accepted_event_id(id);
        break;
      }
      case v1::HistoryEvent::kWorkflowExecutionUpdateCompleted: {
        auto& rec = (*ms.mutable_updates())[e.workflow_execution_update_completed().update_id()];
        rec.set_completed(true);
        *rec.mutable_outcome() = e.workflow_execution_update_completed().outcome();
        break;
      }
      case v1::HistoryEvent::kUpsertWorkflowSearchAttributes:
        MergeSearchAttributes(e.upsert_workflow_search_attributes().search_attributes(),
                              ms.mutable_search_attributes());
        break;
      case v1::HistoryEvent::kWorkflowPropertiesModified:
        for (const auto& [k, v] : e.workflow_properties_modified().upserted_memo()) {
          if (v.data().empty() && v.metadata().empty()) {
            ms.mutable_memo()->erase(k);
          } else {
            (*ms.mutable_memo())[k] = v;
          }
        }
        break;
      case v1::HistoryEvent::kStartChildWorkflowExecutionInitiated:
        children.insert(id);
        break;
      case v1::HistoryEvent::kStartChildWorkflowExecutionFailed:
        children.erase(e.start_child_workflow_execution_failed().initiated_event_id());
        break;
      case v1::HistoryEvent::kChildWorkflowExecutionCompleted:
        children.erase(e.child_workflow_execution_completed().initiated_event_id());
        break;
      case v1::HistoryEvent::kChildWorkflowExecutionFailed:
        children.erase(e.child_workflow_execution_failed().initiated_event_id());
        break;
      case v1::HistoryEvent::kChildWorkflowExecutionCanceled:
        children.erase(e.child_workflow_execution_canceled().initiated_event_id());
        break;
      case v1::HistoryEvent::kChildWorkflowExecutionTimedOut:
        children.erase(e.child_workflow_execution_timed_out().initiated_event_id());
        break;
      case v1::HistoryEvent::kChildWorkflowExecutionTerminated:
        children.erase(e.child_workflow_execution_terminated().initiated_event_id());
        break;
      case v1::HistoryEvent::kSignalExternalWorkflowExecutionInitiated:
      case v1::HistoryEvent::kRequestCancelExternalWorkflowExecutionInitiated:
        externals.insert(id);
        break;
      case v1::HistoryEvent::kSignalExternalWorkflowExecutionFailed:
        externals.erase(e.signal_external_workflow_execution_failed().initiated_event_id());
        break;
      case v1::HistoryEvent::kExternalWorkflowExecutionSignaled:
        externals.erase(e.external_workflow_execution_signaled().initiated_event_id());
        break;
      case v1::HistoryEvent::kRequestCancelExternalWorkflowExecutionFailed:
        externals.erase(e.request_cancel_external_workflow_execution_failed().initiated_event_id());
        break;
      case v1::HistoryEvent::kExternalWorkflowExecutionCancelRequested:
        externals.erase(e.external_workflow_execution_cancel_requested().initiated_event_id());
        break;
      default:
        break;
    }
  }
  if (!children.empty()) {
    return Status::FailedPrecondition(
        "reset of " + name + ": the child workflow initiated at event " +
        std::to_string(*children.begin()) +
        " is still pending at the reset point; reset to a point before it or after it closed");
  }
  if (!externals.empty()) {
    return Status::FailedPrecondition(
        "reset of " + name + ": the external signal/cancel initiated at event " +
        std::to_string(*externals.begin()) +
        " is still pending at the reset point; reset to a point before it or after it resolved");
  }
  for (auto& [sched, ai] : *ms.mutable_activities()) {
    const bool cancel = ai.cancel_requested();
    const int64_t cancel_id = ai.cancel_requested_event_id();
    ArmFirstActivityAttempt(txn, ms, ai);
    ai.set_cancel_requested(cancel);
    ai.set_cancel_requested_event_id(cancel_id);
  }
  for (const auto& [timer_id, ti] : ms.timers()) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_USER);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(ti.fire_time_us());
    row.set_timer_id(timer_id);
    row.set_key(keys::timer::User(timer_id));
    AddDurableTimer(txn, std::move(row));
  }
  return Status::OK();
}

Status EngineImpl::ResetWorkflowExecution(const v1::ResetWorkflowExecutionRequest& req,
                                          v1::ResetWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("reset: workflow_id is empty");
  const int64_t finish_id = req.workflow_task_finish_event_id();
  if (finish_id <= 0) {
    return Status::InvalidArgument("reset of workflow '" + wf +
                                   "': workflow_task_finish_event_id must be positive (got " +
                                   std::to_string(finish_id) + ")");
  }
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::CurrentRun cur;
  DURABLE_RETURN_IF_ERROR(LoadCurrent(wf, &cur));
  v1::ExecutionState current;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, cur.run_id(), &current));
  if (!req.request_id().empty() && current.reset_request_id() == req.request_id()) {
    resp->set_run_id(current.run_id());  // a retried reset: its run exists already
    return Status::OK();
  }
  const std::string base_run =
      req.workflow_execution().run_id().empty() ? cur.run_id() : req.workflow_execution().run_id();
  v1::ExecutionState base;
  if (base_run == current.run_id()) {
    base = current;
  } else {
    DURABLE_RETURN_IF_ERROR(LoadState(wf, base_run, &base));
  }
  const std::string name = ExecName(wf, base_run);
  if (base.started().has_parent() && !base.started().parent().workflow_id().empty()) {
    return Status::FailedPrecondition("reset of " + name + ": it is a child workflow (of '" +
                                      base.started().parent().workflow_id() +
                                      "'); resetting child workflows is not supported");
  }
  v1::History history;
  DURABLE_RETURN_IF_ERROR(ReadHistory(base, 1, base.next_event_id(), &history));
  const int n = history.events_size();
  if (finish_id > n) {
    return Status::NotFound("reset of " + name + ": no event " + std::to_string(finish_id) +
                            " (the history has " + std::to_string(n) + " events)");
  }
  const v1::HistoryEvent& finish = history.events(static_cast<int>(finish_id - 1));
  const v1::HistoryEvent& started_ev = history.events(static_cast<int>(finish_id >= 2 ? finish_id - 2 : 0));
  if (finish_id < 2 || !EndsWorkflowTask(finish) || !started_ev.has_workflow_task_started()) {
    return Status::InvalidArgument(
        "reset of " + name + ": event " + std::to_string(finish_id) +
        " does not end a started workflow task (give the id of a WorkflowTaskCompleted, "
        "WorkflowTaskFailed or WorkflowTaskTimedOut that follows its WorkflowTaskStarted)");
  }
  const int64_t prefix_end = finish_id - 1;  // the WorkflowTaskStarted

  Txn txn(Now());
  // Signals after the reset point, in the order received (history, then still buffered).
  std::vector<v1::WorkflowExecutionSignaledEventAttributes> signals;
  if (req.reset_reapply_type() != v1::RESET_REAPPLY_TYPE_NONE) {
    for (int i = static_cast<int>(prefix_end); i < n; ++i) {
      if (history.events(i).has_workflow_execution_signaled()) {
        signals.push_back(history.events(i).workflow_execution_signaled());
      }
    }
    for (const auto& e : base.buffered_events()) {
      if (e.has_workflow_execution_signaled()) signals.push_back(e.workflow_execution_signaled());
    }
  }

  // The new run: the prefix, copied as it was (ids and times).
  v1::ExecutionState ms;
  ms.set_namespace_(kNamespace);
  ms.set_workflow_id(wf);
  ms.set_run_id(NewRunId());
  *ms.mutable_started() = history.events(0).workflow_execution_started();
  ms.set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  ms.set_start_time_us(txn.now_us);
  ms.set_execution_time_us(txn.now_us);
  ms.set_next_event_id(1);
  ms.set_request_id(base.request_id());
  ms.set_reset_request_id(req.request_id());
  if (!signals.empty()) *ms.mutable_signal_request_ids() = base.signal_request_ids();
  v1::History prefix;
  for (int i = 0; i < prefix_end; ++i) {
    *prefix.add_events() = history.events(i);
    AppendEvent(txn, ms, history.events(i));
  }
  DURABLE_RETURN_IF_ERROR(RebuildResetState(txn, prefix, ms));
  v1::HistoryEvent failed;
  auto* fa = failed.mutable_workflow_task_failed();
  fa->set_scheduled_event_id(started_ev.workflow_task_started().scheduled_event_id());
  fa->set_started_event_id(prefix_end);
  fa->set_cause("reset");
  fa->mutable_failure()->set_message(req.reason().empty() ? "reset" : req.reason());
  fa->set_identity(req.identity());
  fa->set_base_run_id(base_run);
  fa->set_new_run_id(ms.run_id());
  AppendEvent(txn, ms, std::move(failed));
  for (auto& s : signals) {
    v1::HistoryEvent ev;
    *ev.mutable_workflow_execution_signaled() = std::move(s);
    AppendEvent(txn, ms, std::move(ev));
  }
  ScheduleWorkflowTask(txn, ms);
  AddRunTimeoutTimers(txn, ms, 0);

  // The open current run ends, naming the new run.
  const bool terminate = IsOpen(current);
  if (terminate) {
    TerminateLocked(txn, current,
                    "reset to new run " + ms.run_id() + " from event " + std::to_string(finish_id) +
                        " of run " + base_run + (req.reason().empty() ? "" : ": " + req.reason()),
                    nullptr, req.identity());
  }
  // After the close (which points `current` at the closed run): the new run is current.
  v1::CurrentRun now_cur;
  now_cur.set_run_id(ms.run_id());
  now_cur.set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  now_cur.set_request_id(ms.request_id());
  now_cur.set_start_time_us(txn.now_us);
  txn.batch.Put(ColumnFamily::kCurrent, keys::Current(kNamespace, wf), now_cur.SerializeAsString());
  MarkVisibilityChanged(txn, ms);
  ReportStartAfter(txn, ms);  // the new run counts as started (metrics)
  resp->set_run_id(ms.run_id());
  return Commit(txn, {terminate ? &current : nullptr, &ms});
}

}  // namespace durable
