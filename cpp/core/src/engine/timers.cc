// What each timer does when it fires: FireTimer names the handler of each kind; each
// handler is its kind's action run in the one timer frame (timer_frame.cc), which deletes
// the timer's row in the same batch. A timer that no longer matches mutable state only
// deletes its row.
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
    case v1::TIMER_KIND_WORKFLOW_TASK_TIMEOUT: return OnWorkflowTaskTimeout(row, key);
    case v1::TIMER_KIND_WORKFLOW_TASK_BACKOFF: return OnWorkflowTaskBackoff(row, key);
    case v1::TIMER_KIND_WORKFLOW_RUN_TIMEOUT:
    case v1::TIMER_KIND_WORKFLOW_EXECUTION_TIMEOUT: return OnRunTimeout(row, key);
    case v1::TIMER_KIND_WORKFLOW_START_DELAY: return OnStartDelay(row, key);
    case v1::TIMER_KIND_OUTBOX: return OnOutbox(row, key);
    case v1::TIMER_KIND_SCHEDULE: return OnScheduleTimer(row, key);
    case v1::TIMER_KIND_BATCH: return OnBatchTimer(row, key);
    default: {
      if (key.empty()) return;
      Txn txn(Now());
      txn.batch.Delete(ColumnFamily::kTimers, key);
      (void)Commit(txn, {});
    }
  }
}

void EngineImpl::OnUserTimer(const v1::TimerRow& row, const std::string& key) {
  RunTimerTransition(row, key, RowRun(row), [this, &row](TimerFire& f) {
    auto it = f.ms.timers().find(row.timer_id());
    // Cancelled, or a newer timer with this id: only the row goes.
    if (it == f.ms.timers().end() || it->second.fire_time_us() != row.fire_time_us()) {
      return Status::OK();
    }
    v1::HistoryEvent ev;
    ev.mutable_timer_fired()->set_timer_id(row.timer_id());
    ev.mutable_timer_fired()->set_started_event_id(it->second.started_event_id());
    f.ms.mutable_timers()->erase(row.timer_id());
    AddOrBufferEvent(f.txn, f.ms, std::move(ev));
    f.changed = true;
    return Status::OK();
  });
}

void EngineImpl::OnRunTimeout(const v1::TimerRow& row, const std::string& key) {
  RunTimerTransition(row, key, RowRun(row), [this, &row](TimerFire& f) {
    f.txn.wft_released = RunKey(row.workflow_id(), row.run_id());
    FlushBuffered(f.txn, f.ms);
    f.changed = true;
    if (row.kind() == v1::TIMER_KIND_WORKFLOW_RUN_TIMEOUT) {
      v1::Failure failure;
      failure.set_message("workflow run timed out");
      failure.set_source("engine");
      return FailOrRetryRun(f.txn, f.ms, failure, true, 0, &f.new_run);
    }
    v1::HistoryEvent ev;
    ev.mutable_workflow_execution_timed_out()->set_retry_state(v1::RETRY_STATE_TIMEOUT);
    CloseRun(f.txn, f.ms, v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT, std::move(ev));
    return Status::OK();
  });
}

void EngineImpl::OnStartDelay(const v1::TimerRow& row, const std::string& key) {
  RunTimerTransition(row, key, RowRun(row), [this](TimerFire& f) {
    ScheduleWorkflowTask(f.txn, f.ms);
    f.changed = true;
    return Status::OK();
  });
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
