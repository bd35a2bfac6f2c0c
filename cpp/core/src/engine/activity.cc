// Activity tasks: poll/dispatch (the attempt's start persisted by an unsynced write; its
// timeout timers in memory, rebuilt on open), heartbeat (details persisted), completion /
// failure / cancellation, retries by the retry policy and timeouts (schedule-to-start,
// start-to-close, heartbeat, schedule-to-close).
#include <algorithm>
#include <cmath>

#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

namespace {
const char* TimeoutName(v1::TimeoutType t) {
  switch (t) {
    case v1::TIMEOUT_TYPE_START_TO_CLOSE: return "StartToClose";
    case v1::TIMEOUT_TYPE_SCHEDULE_TO_START: return "ScheduleToStart";
    case v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: return "ScheduleToClose";
    case v1::TIMEOUT_TYPE_HEARTBEAT: return "Heartbeat";
    default: return "Unspecified";
  }
}
}  // namespace

Status ValidateActivityPoll(const v1::PollActivityTaskQueueRequest& req) {
  if (req.task_queue().empty()) return Status::InvalidArgument("poll: task_queue is empty");
  const double rate = req.max_tasks_per_second();
  if (!(rate >= 0) || std::isinf(rate)) {  // negative, NaN or infinite
    return Status::InvalidArgument("poll of activity task queue '" + req.task_queue() +
                                   "': max_tasks_per_second must be a finite number >= 0, got " +
                                   std::to_string(rate));
  }
  return Status::OK();
}

Status EngineImpl::PollActivityTaskQueue(const v1::PollActivityTaskQueueRequest& req,
                                         v1::PollActivityTaskQueueResponse* resp) {
  DURABLE_ENTER();
  DURABLE_RETURN_IF_ERROR(ValidateActivityPoll(req));
  const double rate = req.max_tasks_per_second();
  const int64_t timeout_us = req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
  while (!closing_) {
    auto t = matching_.Poll(Matching::Kind::kActivity, req.task_queue(), req.identity(), deadline,
                            rate);
    if (!t) return Status::OK();
    Status st;
    if (AnswerActivityPoll(std::move(*t), req, resp, &st)) return st;
  }
  return Status::OK();
}

bool EngineImpl::AnswerActivityPoll(QueuedTask t, const v1::PollActivityTaskQueueRequest& req,
                                    v1::PollActivityTaskQueueResponse* resp, Status* status) {
  bool dispatched = false;
  resp->Clear();
  Status st = DispatchActivityTask(t, req.identity(), resp, &dispatched);
  matching_.DoneDispatching();
  if (!st.ok()) {
    if (!dispatched) matching_.Push(Matching::Kind::kActivity, req.task_queue(), std::move(t), true);
    *status = st;
    return true;
  }
  if (dispatched) {
    *status = Status::OK();
    return true;
  }
  matching_.RefundRateToken(Matching::Kind::kActivity, req.task_queue());  // a stale task
  resp->Clear();
  return false;
}

Status EngineImpl::DispatchActivityTask(QueuedTask task, const std::string& identity,
                                        v1::PollActivityTaskQueueResponse* resp, bool* dispatched) {
  const v1::TaskRow& row = task.row;
  const std::string& wf = row.workflow_id();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  Status st = LoadState(wf, row.run_id(), &ms);
  if (st.code() == StatusCode::kNotFound) return Status::OK();
  DURABLE_RETURN_IF_ERROR(st);
  if (!IsOpen(ms)) return Status::OK();
  auto it = ms.mutable_activities()->find(row.scheduled_event_id());
  if (it == ms.mutable_activities()->end()) return Status::OK();
  v1::ActivityInfo& ai = it->second;
  if (ai.task_seq() == 0 || task.store_key.empty() || keys::TaskSeq(task.store_key) != ai.task_seq()) {
    return Status::OK();
  }
  // Already started (here, or before a restart: its timeouts end it, then a retry is queued).
  if (ai.started_dispatch_id() != 0) return Status::OK();
  const int64_t now = Now();
  const int64_t dispatch_id = NextDispatchId();
  ai.set_started_dispatch_id(dispatch_id);
  ai.set_last_started_time_us(now);
  ai.set_last_worker_identity(identity);
  // The attempt's start is persisted WITHOUT a WAL sync: the dispatch path stays cheap (one
  // small write, no fsync, no history event: ActivityTaskStarted is written with the
  // outcome). A killed process loses no unsynced write (it is in the OS page cache), so after
  // a SIGKILL the attempt is still started on open and ends by its timeouts, counting against
  // maximum_attempts. Only a machine crash can lose it; the attempt is then dispatched again
  // at the same attempt number, as if it had never started.
  Txn txn(now);
  SaveState(txn, ms);
  st = store_->Write(txn.batch, /*sync=*/false);
  if (!st.ok()) {
    return Status(st.code(), "start of the activity task (scheduled event " +
                                 std::to_string(ai.scheduled_event_id()) + ") of " +
                                 ExecName(wf, row.run_id()) + " not written: " + st.message());
  }
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    runtime_[RunKey(wf, row.run_id())].activities[ai.scheduled_event_id()] =
        ActivityDispatch{dispatch_id};
  }
  *dispatched = true;
  ReportScheduleToStart(task, row.task_queue(), "activity");
  AddAttemptTimers(wf, row.run_id(), ai);
  const auto& s = ai.scheduled();
  v1::TaskToken tok;
  tok.mutable_workflow_execution()->set_workflow_id(wf);
  tok.mutable_workflow_execution()->set_run_id(row.run_id());
  tok.set_scheduled_event_id(ai.scheduled_event_id());
  tok.set_attempt(ai.attempt());
  tok.set_dispatch_id(dispatch_id);
  resp->set_task_token(EncodeToken(tok));
  resp->mutable_workflow_execution()->set_workflow_id(wf);
  resp->mutable_workflow_execution()->set_run_id(row.run_id());
  resp->set_workflow_type(ms.started().workflow_type());
  resp->set_activity_id(s.activity_id());
  resp->set_activity_type(s.activity_type());
  resp->set_task_queue(s.task_queue());
  *resp->mutable_input() = s.input();
  *resp->mutable_header() = s.header();
  resp->set_attempt(ai.attempt());
  resp->set_scheduled_time_us(ai.scheduled_time_us());
  resp->set_current_attempt_scheduled_time_us(ai.current_attempt_scheduled_time_us());
  resp->set_started_time_us(now);
  resp->set_schedule_to_close_timeout_us(s.schedule_to_close_timeout_us());
  resp->set_start_to_close_timeout_us(s.start_to_close_timeout_us());
  resp->set_heartbeat_timeout_us(s.heartbeat_timeout_us());
  *resp->mutable_heartbeat_details() = ai.heartbeat_details();
  return Status::OK();
}

Status EngineImpl::LoadActivityByToken(const v1::TaskToken& tok, v1::ExecutionState* ms,
                                       v1::ActivityInfo** ai) {
  const std::string& wf = tok.workflow_execution().workflow_id();
  const std::string& run = tok.workflow_execution().run_id();
  const std::string what = "activity task (scheduled event " + std::to_string(tok.scheduled_event_id()) +
                           ", attempt " + std::to_string(tok.attempt()) + ") of " + ExecName(wf, run);
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, ms));
  if (!IsOpen(*ms)) return Status::NotFound(what + " not found: the run is closed");
  auto it = ms->mutable_activities()->find(tok.scheduled_event_id());
  if (it == ms->mutable_activities()->end()) {
    return Status::NotFound(what + " not found: the activity is no longer pending");
  }
  if (it->second.attempt() != tok.attempt()) {
    return Status::NotFound(what + " not found: the token is stale (the activity is at attempt " +
                            std::to_string(it->second.attempt()) + ")");
  }
  // The token of the running attempt's dispatch stays valid across a restart of the engine
  // (as in Temporal: async completion from another process); a token of an earlier dispatch
  // of this attempt (its start was lost in a machine crash) is refused.
  if (tok.dispatch_id() != 0 && it->second.started_dispatch_id() != tok.dispatch_id()) {
    return Status::NotFound(what + " not found: the token is stale (the task was dispatched again)");
  }
  *ai = &it->second;
  return Status::OK();
}

namespace {
// The running attempt's heartbeat deadline: its last heartbeat (or its start) + the timeout.
int64_t HeartbeatDeadline(const v1::ActivityInfo& ai) {
  return std::max(ai.last_started_time_us(), ai.last_heartbeat_time_us()) +
         ai.scheduled().heartbeat_timeout_us();
}

v1::HistoryEvent ActivityStartedEvent(const v1::ActivityInfo& ai, const std::string& identity) {
  v1::HistoryEvent ev;
  auto* a = ev.mutable_activity_task_started();
  a->set_scheduled_event_id(ai.scheduled_event_id());
  a->set_identity(identity);
  a->set_attempt(ai.attempt());
  if (ai.has_last_failure()) *a->mutable_last_failure() = ai.last_failure();
  return ev;
}
}  // namespace

void EngineImpl::ForgetActivityDispatch(Txn& txn, const std::string& rk, int64_t sched) {
  txn.after.push_back([this, rk, sched] {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it != runtime_.end()) it->second.activities.erase(sched);
  });
}

void EngineImpl::CloseActivity(Txn& txn, v1::ExecutionState& ms, const v1::ActivityInfo& ai,
                               const std::string& identity, v1::HistoryEvent outcome) {
  const int64_t sched = ai.scheduled_event_id();
  std::vector<v1::HistoryEvent> evs;
  evs.push_back(ActivityStartedEvent(ai, identity));
  // -1: the Started event just above (AddOrBufferEvents resolves it to its id).
  if (outcome.has_activity_task_completed()) {
    outcome.mutable_activity_task_completed()->set_started_event_id(-1);
  } else if (outcome.has_activity_task_canceled()) {
    outcome.mutable_activity_task_canceled()->set_started_event_id(-1);
  }
  evs.push_back(std::move(outcome));
  DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
  ms.mutable_activities()->erase(sched);  // `ai` is gone from here on
  AddOrBufferEvents(txn, ms, std::move(evs));
  ForgetActivityDispatch(txn, RunKey(ms.workflow_id(), ms.run_id()), sched);
}

Status EngineImpl::RespondActivityTaskCompleted(const v1::RespondActivityTaskCompletedRequest& req,
                                                v1::RespondActivityTaskCompletedResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  const std::string& wf = tok.workflow_execution().workflow_id();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  v1::ActivityInfo* ai = nullptr;
  DURABLE_RETURN_IF_ERROR(LoadActivityByToken(tok, &ms, &ai));
  Txn txn(Now());
  Status size = ValidatePayloads(req.result(), "result of activity '" + ai->scheduled().activity_id() +
                                                   "' (" + ai->scheduled().activity_type() + ")", wf);
  if (!size.ok()) {
    // Retrying would return the same result: the attempt fails, non-retryable (Temporal's
    // behaviour), and the workflow sees why.
    FailActivityAttempt(txn, ms, ai->scheduled_event_id(), LimitFailure(size.message()),
                        v1::TIMEOUT_TYPE_UNSPECIFIED, req.identity(), /*final_timeout=*/false);
    return Commit(txn, {&ms});
  }
  v1::HistoryEvent cev;
  auto* a = cev.mutable_activity_task_completed();
  a->set_scheduled_event_id(ai->scheduled_event_id());
  *a->mutable_result() = req.result();
  a->set_identity(req.identity());
  CloseActivity(txn, ms, *ai, req.identity(), std::move(cev));
  return Commit(txn, {&ms});
}

void EngineImpl::FailActivityAttempt(Txn& txn, v1::ExecutionState& ms, int64_t sched,
                                     const v1::Failure& failure, v1::TimeoutType timeout_type,
                                     const std::string& identity, bool final_timeout) {
  auto& ai = (*ms.mutable_activities())[sched];
  const std::string rk = RunKey(ms.workflow_id(), ms.run_id());
  const bool started = ai.started_dispatch_id() != 0;
  // A timeout has no caller: its Started event names the worker the attempt went to.
  const std::string who = identity.empty() && started ? ai.last_worker_identity() : identity;
  ForgetActivityDispatch(txn, rk, sched);
  const bool is_timeout = timeout_type != v1::TIMEOUT_TYPE_UNSPECIFIED;
  RetryDecision d;
  if (final_timeout) {
    d.state = v1::RETRY_STATE_TIMEOUT;
  } else if (ai.cancel_requested()) {
    d.state = v1::RETRY_STATE_CANCEL_REQUESTED;
  } else {
    d = DecideRetry(ai.scheduled().retry_policy(), ai.attempt(), is_timeout ? nullptr : &failure,
                    is_timeout, txn.now_us, ai.expiration_time_us());
  }
  if (d.retry) {
    DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
    ai.set_task_seq(0);
    ai.set_attempt(ai.attempt() + 1);
    ai.set_started_dispatch_id(0);
    *ai.mutable_last_failure() = failure;
    ai.set_current_attempt_scheduled_time_us(txn.now_us + d.delay_us);
    if (started) ai.set_last_worker_identity(who);
    if (d.delay_us <= 0) {
      PutActivityTaskRow(txn, ms, ai);
    } else {
      v1::TimerRow row;
      row.set_kind(v1::TIMER_KIND_ACTIVITY_RETRY);
      row.set_workflow_id(ms.workflow_id());
      row.set_run_id(ms.run_id());
      row.set_fire_time_us(txn.now_us + d.delay_us);
      row.set_scheduled_event_id(sched);
      row.set_attempt(ai.attempt());
      row.set_key(keys::timer::ActivityRetry(sched, ai.attempt()));
      AddDurableTimer(txn, std::move(row));
    }
    if (ai.scheduled().schedule_to_start_timeout_us() > 0) {
      v1::TimerRow row;
      row.set_kind(v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_START);
      row.set_workflow_id(ms.workflow_id());
      row.set_run_id(ms.run_id());
      row.set_fire_time_us(ai.current_attempt_scheduled_time_us() +
                           ai.scheduled().schedule_to_start_timeout_us());
      row.set_scheduled_event_id(sched);
      row.set_attempt(ai.attempt());
      row.set_key(keys::timer::ActivityScheduleToStart(sched, ai.attempt()));
      AddDurableTimer(txn, std::move(row));
    }
    return;
  }
  std::vector<v1::HistoryEvent> evs;
  if (started || !is_timeout) evs.push_back(ActivityStartedEvent(ai, who));
  v1::HistoryEvent ev;
  if (is_timeout) {
    auto* a = ev.mutable_activity_task_timed_out();
    a->set_scheduled_event_id(sched);
    a->set_started_event_id(evs.empty() ? 0 : -1);
    *a->mutable_failure() = failure;
    a->set_retry_state(d.state);
  } else {
    auto* a = ev.mutable_activity_task_failed();
    a->set_scheduled_event_id(sched);
    a->set_started_event_id(-1);
    *a->mutable_failure() = failure;
    a->set_retry_state(d.state);
    a->set_identity(identity);
  }
  evs.push_back(std::move(ev));
  DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
  ms.mutable_activities()->erase(sched);
  AddOrBufferEvents(txn, ms, std::move(evs));
}

Status EngineImpl::RespondActivityTaskFailed(const v1::RespondActivityTaskFailedRequest& req,
                                             v1::RespondActivityTaskFailedResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  const std::string& wf = tok.workflow_execution().workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.last_heartbeat_details(), "activity heartbeat details", wf));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  v1::ActivityInfo* ai = nullptr;
  DURABLE_RETURN_IF_ERROR(LoadActivityByToken(tok, &ms, &ai));
  if (req.has_last_heartbeat_details()) *ai->mutable_heartbeat_details() = req.last_heartbeat_details();
  Txn txn(Now());
  FailActivityAttempt(txn, ms, ai->scheduled_event_id(), req.failure(), v1::TIMEOUT_TYPE_UNSPECIFIED,
                      req.identity(), false);
  return Commit(txn, {&ms});
}

Status EngineImpl::RespondActivityTaskCanceled(const v1::RespondActivityTaskCanceledRequest& req,
                                               v1::RespondActivityTaskCanceledResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  const std::string& wf = tok.workflow_execution().workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.details(), "activity cancel details", wf));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  v1::ActivityInfo* ai = nullptr;
  DURABLE_RETURN_IF_ERROR(LoadActivityByToken(tok, &ms, &ai));
  Txn txn(Now());
  v1::HistoryEvent cev;
  auto* a = cev.mutable_activity_task_canceled();
  a->set_scheduled_event_id(ai->scheduled_event_id());
  *a->mutable_details() = req.details();
  a->set_latest_cancel_requested_event_id(ai->cancel_requested_event_id());
  a->set_identity(req.identity());
  CloseActivity(txn, ms, *ai, req.identity(), std::move(cev));
  return Commit(txn, {&ms});
}

Status EngineImpl::RecordActivityTaskHeartbeat(const v1::RecordActivityTaskHeartbeatRequest& req,
                                               v1::RecordActivityTaskHeartbeatResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  const std::string& wf = tok.workflow_execution().workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.details(), "activity heartbeat details", wf));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  v1::ActivityInfo* ai = nullptr;
  DURABLE_RETURN_IF_ERROR(LoadActivityByToken(tok, &ms, &ai));
  Txn txn(Now());
  if (req.has_details()) *ai->mutable_heartbeat_details() = req.details();
  ai->set_last_heartbeat_time_us(txn.now_us);
  const int64_t sched = ai->scheduled_event_id();
  const int64_t hb = ai->scheduled().heartbeat_timeout_us();
  const int32_t attempt = ai->attempt();
  resp->set_cancel_requested(ai->cancel_requested());
  const std::string run = ms.run_id();
  const int64_t now = txn.now_us;
  const int64_t dispatch_id = ai->started_dispatch_id();
  // The heartbeat deadline moves to now + hb (last_heartbeat_time_us, persisted above): a
  // timer at the new deadline; the earlier ones find the attempt heartbeaten and do nothing.
  txn.after.push_back([this, sched, hb, attempt, wf, run, now, dispatch_id] {
    if (hb <= 0 || dispatch_id == 0) return;
    v1::TimerRow t;
    t.set_kind(v1::TIMER_KIND_ACTIVITY_HEARTBEAT);
    t.set_workflow_id(wf);
    t.set_run_id(run);
    t.set_fire_time_us(now + hb);
    t.set_scheduled_event_id(sched);
    t.set_attempt(attempt);
    t.set_dispatch_id(dispatch_id);
    timers_->Add(std::move(t), "");
  });
  return Commit(txn, {&ms});
}

Status EngineImpl::GetActivityTaskToken(const v1::GetActivityTaskTokenRequest& req,
                                        v1::GetActivityTaskTokenResponse* resp) {
  DURABLE_ENTER();
  const auto& a = req.activity();
  if (a.activity_id().empty()) return Status::InvalidArgument("GetActivityTaskToken: activity_id is empty");
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(a.workflow_id(), a.run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(a.workflow_id(), run, &ms));
  for (const auto& [sched, ai] : ms.activities()) {
    if (ai.scheduled().activity_id() != a.activity_id()) continue;
    v1::TaskToken tok;
    tok.mutable_workflow_execution()->set_workflow_id(a.workflow_id());
    tok.mutable_workflow_execution()->set_run_id(run);
    tok.set_scheduled_event_id(sched);
    tok.set_attempt(ai.attempt());
    tok.set_dispatch_id(ai.started_dispatch_id());  // 0 when not started
    resp->set_task_token(EncodeToken(tok));
    return Status::OK();
  }
  return Status::NotFound("activity '" + a.activity_id() + "' of " + ExecName(a.workflow_id(), run) +
                          " is not pending");
}

// ---------------------------------------------------------------------------------------
// Timers of activities

void EngineImpl::AddAttemptTimers(const std::string& wf, const std::string& run,
                                  const v1::ActivityInfo& ai) {
  const auto& s = ai.scheduled();
  auto add = [&](v1::TimerKind kind, int64_t fire_time_us) {
    v1::TimerRow t;
    t.set_kind(kind);
    t.set_workflow_id(wf);
    t.set_run_id(run);
    t.set_fire_time_us(fire_time_us);
    t.set_scheduled_event_id(ai.scheduled_event_id());
    t.set_attempt(ai.attempt());
    t.set_dispatch_id(ai.started_dispatch_id());
    timers_->Add(std::move(t), "");
  };
  if (s.start_to_close_timeout_us() > 0) {
    add(v1::TIMER_KIND_ACTIVITY_START_TO_CLOSE, ai.last_started_time_us() + s.start_to_close_timeout_us());
  }
  if (s.heartbeat_timeout_us() > 0) add(v1::TIMER_KIND_ACTIVITY_HEARTBEAT, HeartbeatDeadline(ai));
}

void EngineImpl::OnActivityTimer(const v1::TimerRow& row, const std::string& key) {
  RunTimerTransition(row, key, RowRun(row), [this, &row](TimerFire& f) {
    auto it = f.ms.activities().find(row.scheduled_event_id());
    if (it == f.ms.activities().end()) return Status::OK();  // closed: only the row goes
    const v1::ActivityInfo* ai = &it->second;
    // The attempt a start-to-close / heartbeat timer guards: still running, same dispatch.
    const bool running = ai->attempt() == row.attempt() && ai->started_dispatch_id() != 0 &&
                         ai->started_dispatch_id() == row.dispatch_id();
    v1::TimeoutType type = v1::TIMEOUT_TYPE_UNSPECIFIED;
    bool final_timeout = false;
    bool relevant = false;
    switch (row.kind()) {
      case v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_START:
        type = v1::TIMEOUT_TYPE_SCHEDULE_TO_START;
        final_timeout = true;
        relevant = ai->attempt() == row.attempt() && ai->started_dispatch_id() == 0;
        break;
      case v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_CLOSE:
        type = v1::TIMEOUT_TYPE_SCHEDULE_TO_CLOSE;
        final_timeout = true;
        relevant = true;
        break;
      case v1::TIMER_KIND_ACTIVITY_START_TO_CLOSE:
        type = v1::TIMEOUT_TYPE_START_TO_CLOSE;
        relevant = running;
        break;
      case v1::TIMER_KIND_ACTIVITY_HEARTBEAT:
        type = v1::TIMEOUT_TYPE_HEARTBEAT;
        relevant = running && ai->scheduled().heartbeat_timeout_us() > 0 &&
                   f.txn.now_us >= HeartbeatDeadline(*ai);
        break;
      default:
        break;
    }
    if (!relevant) return Status::OK();
    v1::Failure failure;
    failure.set_message(std::string("activity '") + ai->scheduled().activity_id() +
                        "' timed out (" + TimeoutName(type) + ")");
    failure.set_source("engine");
    auto* tf = failure.mutable_timeout_failure_info();
    tf->set_timeout_type(type);
    *tf->mutable_last_heartbeat_details() = ai->heartbeat_details();
    FailActivityAttempt(f.txn, f.ms, row.scheduled_event_id(), failure, type, "", final_timeout);
    f.changed = true;
    return Status::OK();
  });
}

void EngineImpl::OnActivityRetry(const v1::TimerRow& row, const std::string& key) {
  RunTimerTransition(row, key, RowRun(row), [this, &row](TimerFire& f) {
    auto it = f.ms.mutable_activities()->find(row.scheduled_event_id());
    // Only the attempt this backoff was for, not yet queued.
    if (it == f.ms.mutable_activities()->end() || it->second.attempt() != row.attempt() ||
        it->second.task_seq() != 0) {
      return Status::OK();
    }
    PutActivityTaskRow(f.txn, f.ms, it->second);
    f.changed = true;
    return Status::OK();
  });
}

void EngineImpl::ArmFirstActivityAttempt(Txn& txn, v1::ExecutionState& ms, v1::ActivityInfo& ai) {
  const int64_t id = ai.scheduled_event_id();
  ai.set_scheduled_time_us(txn.now_us);
  ai.set_attempt(1);
  ai.set_current_attempt_scheduled_time_us(txn.now_us);
  if (ai.scheduled().schedule_to_close_timeout_us() > 0) {
    ai.set_expiration_time_us(txn.now_us + ai.scheduled().schedule_to_close_timeout_us());
  }
  PutActivityTaskRow(txn, ms, ai);
  if (ai.scheduled().schedule_to_start_timeout_us() > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_START);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(txn.now_us + ai.scheduled().schedule_to_start_timeout_us());
    row.set_scheduled_event_id(id);
    row.set_attempt(1);
    row.set_key(keys::timer::ActivityScheduleToStart(id, 1));
    AddDurableTimer(txn, std::move(row));
  }
  if (ai.expiration_time_us() > 0) {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_CLOSE);
    row.set_workflow_id(ms.workflow_id());
    row.set_run_id(ms.run_id());
    row.set_fire_time_us(ai.expiration_time_us());
    row.set_scheduled_event_id(id);
    row.set_key(keys::timer::ActivityScheduleToClose(id));
    AddDurableTimer(txn, std::move(row));
  }
}

}  // namespace durable
