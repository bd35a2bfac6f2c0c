// The frame every timer transition runs in, written once so that its error handling cannot
// drift between kinds: lock the target's stripe, delete the timer row, load the run, act if
// it is open, commit — or retry. The kinds' actions are in timers.cc, activity.cc,
// workflow_task.cc and outbox.cc.
//
// The retry rule: a run that is not found or is closed drops the timer (nothing left to
// do); anything else that fails — reading the run, the action, writing the batch — writes
// nothing and re-arms the timer in memory, so it fires again after kTimerRetryDelayUs (its
// durable row is still on disk: a reopen would fire it too). The action runs at most once
// per successful commit, so its effect happens exactly once.
#include "engine/engine_impl.h"

namespace durable {

void EngineImpl::RetryTimerLater(const v1::TimerRow& row, const std::string& key) {
  if (closing_) return;  // a durable row stays on disk and fires on the next open
  timers_->AddAfterRealDelay(row, key, kTimerRetryDelayUs);
}

void EngineImpl::RunTimerTransition(const v1::TimerRow& row, const std::string& key,
                                    const TimerTarget& target, const TimerAction& act) {
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(target.workflow_id));
  Txn txn(Now());
  if (!key.empty()) txn.batch.Delete(ColumnFamily::kTimers, key);
  std::string run = target.run_id;
  Status st;
  if (run.empty()) {
    v1::CurrentRun cur;
    st = LoadCurrent(target.workflow_id, &cur);
    run = cur.run_id();
  }
  v1::ExecutionState ms;
  if (st.ok()) st = LoadState(target.workflow_id, run, &ms);
  if (st.code() == StatusCode::kNotFound || (st.ok() && !IsOpen(ms))) {
    if (target.on_gone) target.on_gone();
    if (!key.empty() && !Commit(txn, {}).ok()) RetryTimerLater(row, key);
    return;
  }
  if (!st.ok()) return RetryTimerLater(row, key);  // e.g. a read error: try again later
  TimerFire fire{txn, ms, false, std::nullopt};
  st = act(fire);
  if (st.ok() && fire.changed) {
    st = Commit(txn, {&ms, fire.new_run ? &fire.new_run.value() : nullptr});
  } else if (st.ok() && !key.empty()) {
    st = Commit(txn, {});  // the timer no longer matches the run: only its row goes
  }
  if (!st.ok()) RetryTimerLater(row, key);
}

}  // namespace durable
