// Run lifecycle: creating a run (CreateRun), closing it with its final status (CloseRun),
// terminating it under its stripe (TerminateLocked), and failing or retrying it
// (FailOrRetryRun).
#include <algorithm>

#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

Status EngineImpl::CreateRun(Txn& txn, NewRunParams p, v1::ExecutionState* out) {
  v1::ExecutionState ms;
  ms.set_namespace_(kNamespace);
  ms.set_workflow_id(p.workflow_id);
  ms.set_run_id(p.run_id.empty() ? NewRunId() : p.run_id);
  auto& st = *ms.mutable_started();
  st = std::move(p.started);
  st.set_workflow_id(p.workflow_id);
  if (st.first_execution_run_id().empty()) st.set_first_execution_run_id(ms.run_id());
  if (st.attempt() <= 0) st.set_attempt(1);
  if (st.task_timeout_us() <= 0) st.set_task_timeout_us(options_.default_task_timeout_us);
  if (st.execution_timeout_us() > 0 && st.execution_expiration_time_us() == 0) {
    st.set_execution_expiration_time_us(txn.now_us + st.execution_timeout_us());
  }
  ms.set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  ms.set_start_time_us(txn.now_us);
  ms.set_execution_time_us(txn.now_us + std::max<int64_t>(0, p.first_task_delay_us));
  ms.set_next_event_id(1);
  ms.set_request_id(p.request_id);
  *ms.mutable_signal_request_ids() = p.signal_request_ids;

  v1::HistoryEvent started;
  *started.mutable_workflow_execution_started() = st;
  AppendEvent(txn, ms, std::move(started));
  if (p.with_signal) {
    v1::HistoryEvent sig;
    *sig.mutable_workflow_execution_signaled() = p.signal;
    AppendEvent(txn, ms, std::move(sig));
  }
  if (p.first_task_delay_us > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_START_DELAY);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(txn.now_us + p.first_task_delay_us);
    row.set_key(keys::timer::StartDelay());
    AddDurableTimer(txn, std::move(row));
  } else {
    ScheduleWorkflowTask(txn, ms);
  }
  AddRunTimeoutTimers(txn, ms, p.first_task_delay_us);
  v1::CurrentRun cur;
  cur.set_run_id(ms.run_id());
  cur.set_status(v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
  cur.set_request_id(p.request_id);
  cur.set_start_time_us(txn.now_us);
  txn.batch.Put(ColumnFamily::kCurrent, keys::Current(kNamespace, ms.workflow_id()),
                cur.SerializeAsString());
  *ms.mutable_search_attributes() = st.search_attributes();
  *ms.mutable_memo() = st.memo();
  MarkVisibilityChanged(txn, ms);
  ReportStartAfter(txn, ms);
  *out = std::move(ms);
  return Status::OK();
}

void EngineImpl::AddRunTimeoutTimers(Txn& txn, const v1::ExecutionState& ms,
                                     int64_t first_task_delay_us) {
  const auto& st = ms.started();
  if (st.run_timeout_us() > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_RUN_TIMEOUT);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(txn.now_us + std::max<int64_t>(0, first_task_delay_us) +
                         st.run_timeout_us());
    row.set_key(keys::timer::RunTimeout());
    AddDurableTimer(txn, std::move(row));
  }
  if (st.execution_expiration_time_us() > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_EXECUTION_TIMEOUT);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(st.execution_expiration_time_us());
    row.set_key(keys::timer::ExecutionTimeout());
    AddDurableTimer(txn, std::move(row));
  }
}

void EngineImpl::CloseRun(Txn& txn, v1::ExecutionState& ms, v1::WorkflowExecutionStatus status,
                          v1::HistoryEvent close_event) {
  int64_t close_id = AppendEvent(txn, ms, close_event);
  close_event.set_event_id(close_id);
  close_event.set_event_time_us(txn.now_us);
  ms.set_status(status);
  ms.set_close_time_us(txn.now_us);
  ms.set_close_event_id(close_id);
  ReportCloseAfter(txn, ms);
  // Drop pending work: tasks, timers.
  auto* wt = ms.mutable_workflow_task();
  if (wt->pending()) DeleteTaskRow(txn, wt->task_queue(), v1::TASK_KIND_WORKFLOW, wt->task_seq());
  wt->Clear();
  for (auto& [id, ai] : *ms.mutable_activities()) {
    DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
  }
  ms.clear_activities();
  for (auto& [id, ti] : *ms.mutable_timers()) {
    v1::TimerRow row;
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(ti.fire_time_us());
    row.set_key(keys::timer::User(ti.timer_id()));
    DeleteDurableTimer(txn, row);
  }
  ms.clear_timers();
  ms.clear_buffered_events();
  // Parent close policy on open children.
  for (auto& [init, ch] : ms.children()) {
    if (ch.parent_close_policy() == v1::PARENT_CLOSE_POLICY_ABANDON) continue;
    v1::OutboxItem item;
    item.set_kind(v1::OUTBOX_KIND_PARENT_CLOSE_POLICY);
    item.set_initiated_event_id(init);
    item.mutable_target()->set_workflow_id(ch.workflow_id());
    item.mutable_target()->set_run_id(ch.run_id());
    item.set_parent_close_policy(ch.parent_close_policy() == v1::PARENT_CLOSE_POLICY_UNSPECIFIED
                                     ? v1::PARENT_CLOSE_POLICY_TERMINATE
                                     : ch.parent_close_policy());
    AddOutbox(txn, ms, std::move(item));
  }
  ms.clear_children();
  // Tell the parent, unless this chain goes on in a new run.
  bool continues = status == v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW ||
                   (close_event.has_workflow_execution_failed() &&
                    !close_event.workflow_execution_failed().new_execution_run_id().empty()) ||
                   (close_event.has_workflow_execution_timed_out() &&
                    !close_event.workflow_execution_timed_out().new_execution_run_id().empty());
  if (ms.started().has_parent() && !ms.started().parent().workflow_id().empty() && !continues) {
    v1::OutboxItem item;
    item.set_kind(v1::OUTBOX_KIND_CHILD_CLOSED);
    item.set_initiated_event_id(ms.started().parent().initiated_event_id());
    item.mutable_target()->set_workflow_id(ms.started().parent().workflow_id());
    item.mutable_target()->set_run_id(ms.started().parent().run_id());
    *item.mutable_child_close_event() = close_event;
    AddOutbox(txn, ms, std::move(item));
  }
  // Current pointer and visibility.
  v1::CurrentRun cur;
  cur.set_run_id(ms.run_id());
  cur.set_status(status);
  cur.set_request_id(ms.request_id());
  cur.set_start_time_us(ms.start_time_us());
  txn.batch.Put(ColumnFamily::kCurrent, keys::Current(kNamespace, ms.workflow_id()),
                cur.SerializeAsString());
  MarkVisibilityChanged(txn, ms);
  NotifyScheduleOfClose(txn, ms);
  // In memory, after the write: in-flight tokens become stale, update waiters fail.
  std::string rk = RunKey(ms.workflow_id(), ms.run_id());
  std::string name = ExecName(ms.workflow_id(), ms.run_id());
  std::string sname = StatusName(status);
  txn.after.push_back([this, rk, name, sname] {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it == runtime_.end()) return;
    for (auto& [id, w] : it->second.updates) {
      if (w->stage < 2) {
        w->error = Status::FailedPrecondition("update '" + id + "' of " + name +
                                              " did not complete: the run closed (" + sname + ")");
      }
    }
    runtime_.erase(it);
    update_cv_.notify_all();
  });
}

void EngineImpl::TerminateLocked(Txn& txn, v1::ExecutionState& ms, const std::string& reason,
                                 const v1::Payloads* details, const std::string& identity) {
  FlushBuffered(txn, ms);
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_execution_terminated();
  a->set_reason(reason);
  if (details != nullptr) *a->mutable_details() = *details;
  a->set_identity(identity);
  CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_TERMINATED, std::move(ev));
}

Status EngineImpl::FailOrRetryRun(Txn& txn, v1::ExecutionState& ms, const v1::Failure& failure,
                                  bool timed_out, int64_t wft_completed_id,
                                  std::optional<v1::ExecutionState>* new_run) {
  RetryDecision d;
  d.state = v1::RETRY_STATE_RETRY_POLICY_NOT_SET;
  if (ms.started().has_retry_policy()) {
    d = DecideRetry(WithRetryDefaults(ms.started().retry_policy()), ms.started().attempt(),
                    timed_out ? nullptr : &failure, timed_out, txn.now_us,
                    ms.started().execution_expiration_time_us());
  }
  std::string new_run_id;
  if (d.retry) new_run_id = NewRunId();
  v1::HistoryEvent ev;
  if (timed_out) {
    auto* a = ev.mutable_workflow_execution_timed_out();
    a->set_retry_state(d.state);
    a->set_new_execution_run_id(new_run_id);
  } else {
    auto* a = ev.mutable_workflow_execution_failed();
    *a->mutable_failure() = failure;
    a->set_retry_state(d.state);
    a->set_workflow_task_completed_event_id(wft_completed_id);
    a->set_new_execution_run_id(new_run_id);
  }
  CloseRun(txn, ms,
           timed_out ? v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT : v1::WORKFLOW_EXECUTION_STATUS_FAILED,
           std::move(ev));
  // Legacy cron: the next run, which gets this failure as its last failure.
  if (!d.retry) return ContinueCron(txn, ms, new_run, nullptr, &failure);
  NewRunParams p;
  p.workflow_id = ms.workflow_id();
  p.run_id = new_run_id;
  p.started = ms.started();
  p.started.set_attempt(ms.started().attempt() + 1);
  p.started.set_continued_execution_run_id(ms.run_id());
  p.started.set_identity("");
  if (!timed_out) *p.started.mutable_continued_failure() = failure;
  p.request_id = ms.request_id();
  p.first_task_delay_us = d.delay_us;
  new_run->emplace();
  return CreateRun(txn, std::move(p), &new_run->value());
}

}  // namespace durable
