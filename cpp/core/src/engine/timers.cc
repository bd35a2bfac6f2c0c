// What each timer does when it fires. Every fire is a transition that deletes the timer's
// row in the same batch; a timer that no longer matches mutable state only deletes its row.
#include "engine/engine_impl.h"

namespace durable {

void EngineImpl::FireTimer(const v1::TimerRow& row, const std::string& key) {
  if (closing_) return;
  if (auto* m = metrics()) {
    m->TimerLag(options_.namespace_name, std::max<int64_t>(0, Now() - row.fire_time_us()) / 1e6);
  }
  switch (row.kind()) {
    case v1::TIMER_KIND_USER: return OnUserTimer(row, key);
    case v1::TIMER_KIND_ACTIVITY_RETRY: return OnActivityRetry(row, key);
    case v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_START:
    case v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_CLOSE:
    case v1::TIMER_KIND_ACTIVITY_START_TO_CLOSE:
    case v1::TIMER_KIND_ACTIVITY_HEARTBEAT: return OnActivityTimer(row, key);
    case v1::TIMER_KIND_WORKFLOW_TASK_TIMEOUT: return OnWorkflowTaskTimeout(row);
    case v1::TIMER_KIND_WORKFLOW_TASK_BACKOFF: return OnWorkflowTaskBackoff(row, key);
    case v1::TIMER_KIND_WORKFLOW_RUN_TIMEOUT:
    case v1::TIMER_KIND_WORKFLOW_EXECUTION_TIMEOUT: return OnRunTimeout(row, key);
    case v1::TIMER_KIND_WORKFLOW_START_DELAY: return OnStartDelay(row, key);
    case v1::TIMER_KIND_OUTBOX: return OnOutbox(row, key);
    case v1::TIMER_KIND_SCHEDULE: return OnScheduleTimer(row, key);
    default: {
      if (key.empty()) return;
      Txn txn(Now());
      txn.batch.Delete(ColumnFamily::kTimers, key);
      (void)Commit(txn, {});
    }
  }
}

void EngineImpl::RetryOutboxLater(const v1::TimerRow& row, const std::string& key) {
  if (closing_) return;
  v1::TimerRow again = row;
  again.set_fire_time_us(Now() + 1'000'000);
  timers_->Add(std::move(again), key);  // same row on disk; retried in memory
}

void EngineImpl::OnUserTimer(const v1::TimerRow& row, const std::string& key) {
  const std::string& wf = row.workflow_id();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  Txn txn(Now());
  txn.batch.Delete(ColumnFamily::kTimers, key);
  v1::ExecutionState ms;
  Status st = LoadState(wf, row.run_id(), &ms);
  if (st.ok() && IsOpen(ms)) {
    auto it = ms.timers().find(row.timer_id());
    if (it != ms.timers().end() && it->second.fire_time_us() == row.fire_time_us()) {
      v1::HistoryEvent ev;
      ev.mutable_timer_fired()->set_timer_id(row.timer_id());
      ev.mutable_timer_fired()->set_started_event_id(it->second.started_event_id());
      ms.mutable_timers()->erase(row.timer_id());
      AddOrBufferEvent(txn, ms, std::move(ev));
      if (!Commit(txn, {&ms}).ok()) RetryOutboxLater(row, key);
      return;
    }
  }
  if ((st.ok() || st.code() == StatusCode::kNotFound) && !Commit(txn, {}).ok()) {
    RetryOutboxLater(row, key);
  }
}

void EngineImpl::OnRunTimeout(const v1::TimerRow& row, const std::string& key) {
  const std::string& wf = row.workflow_id();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  Txn txn(Now());
  txn.batch.Delete(ColumnFamily::kTimers, key);
  v1::ExecutionState ms;
  Status st = LoadState(wf, row.run_id(), &ms);
  if (st.ok() && IsOpen(ms)) {
    txn.wft_released = RunKey(wf, row.run_id());
    FlushBuffered(txn, ms);
    std::optional<v1::ExecutionState> new_run;
    if (row.kind() == v1::TIMER_KIND_WORKFLOW_RUN_TIMEOUT) {
      v1::Failure f;
      f.set_message("workflow run timed out");
      f.set_source("engine");
      st = FailOrRetryRun(txn, ms, f, true, 0, &new_run);
    } else {
      v1::HistoryEvent ev;
      ev.mutable_workflow_execution_timed_out()->set_retry_state(v1::RETRY_STATE_TIMEOUT);
      CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT, std::move(ev));
    }
    if (st.ok()) st = Commit(txn, {&ms, new_run ? &new_run.value() : nullptr});
    if (!st.ok()) RetryOutboxLater(row, key);
    return;
  }
  if ((st.ok() || st.code() == StatusCode::kNotFound) && !Commit(txn, {}).ok()) {
    RetryOutboxLater(row, key);
  }
}

void EngineImpl::OnStartDelay(const v1::TimerRow& row, const std::string& key) {
  const std::string& wf = row.workflow_id();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  Txn txn(Now());
  txn.batch.Delete(ColumnFamily::kTimers, key);
  v1::ExecutionState ms;
  Status st = LoadState(wf, row.run_id(), &ms);
  if (st.ok() && IsOpen(ms)) {
    ScheduleWorkflowTask(txn, ms);
    if (!Commit(txn, {&ms}).ok()) RetryOutboxLater(row, key);
    return;
  }
  if ((st.ok() || st.code() == StatusCode::kNotFound) && !Commit(txn, {}).ok()) {
    RetryOutboxLater(row, key);
  }
}

bool EngineImpl::CanSkipTime() {
  if (active_transitions_.load() > 0) return false;
  if (!matching_.Idle()) return false;
  std::lock_guard<std::mutex> l(mem_mu_);
  for (const auto& [k, rt] : runtime_) {
    if (rt.wft || !rt.activities.empty()) return false;
  }
  return active_transitions_.load() == 0;
}

}  // namespace durable
