// Workflow tasks: poll/dispatch (nothing written), completion (one batch: started,
// completed, one event per command (commands.cc), flushed buffered events), failure,
// timeout, backoff. Queries and updates: queries_updates.cc.
#include <algorithm>

#include "engine/engine_impl.h"
#include "store/keys.h"

namespace durable {

namespace {
v1::HistoryEvent SyntheticEvent(int64_t id, int64_t now) {
  v1::HistoryEvent ev;
  ev.set_event_id(id);
  ev.set_event_time_us(now);
  return ev;
}

bool IsTerminalCommand(const v1::Command& c) {
  return c.has_complete_workflow_execution() || c.has_fail_workflow_execution() ||
         c.has_cancel_workflow_execution() || c.has_continue_as_new_workflow_execution();
}
}  // namespace

void EngineImpl::ClearWftDispatch(const std::string& run_key, int64_t dispatch_id) {
  std::lock_guard<std::mutex> l(mem_mu_);
  auto it = runtime_.find(run_key);
  if (it != runtime_.end() && it->second.wft && it->second.wft->dispatch_id == dispatch_id) {
    it->second.wft.reset();
  }
}

void EngineImpl::QueueSpeculativeLocked(RunRuntime& rt, const v1::TaskRow& row) {
  if (rt.wft || rt.speculative_queued) return;
  bool waiting = false;
  for (auto& [id, w] : rt.updates) waiting |= (w->stage == 0);
  if (!waiting) return;
  rt.speculative_queued = true;
  QueuedTask t;
  t.row = row;
  t.speculative = true;
  matching_.Push(Matching::Kind::kWorkflow, row.task_queue(), std::move(t));
}

// ---------------------------------------------------------------------------------------
// Poll and dispatch

Status EngineImpl::PollWorkflowTaskQueue(const v1::PollWorkflowTaskQueueRequest& req,
                                         v1::PollWorkflowTaskQueueResponse* resp) {
  DURABLE_ENTER();
  if (req.task_queue().empty()) return Status::InvalidArgument("poll: task_queue is empty");
  const int64_t timeout_us = req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
  while (!closing_) {
    auto t = matching_.Poll(Matching::Kind::kWorkflow, req.task_queue(), req.identity(), deadline);
    if (!t) return Status::OK();
    Status st;
    if (AnswerWorkflowPoll(std::move(*t), req, resp, &st)) return st;
  }
  return Status::OK();
}

bool EngineImpl::AnswerWorkflowPoll(QueuedTask t, const v1::PollWorkflowTaskQueueRequest& req,
                                    v1::PollWorkflowTaskQueueResponse* resp, Status* status) {
  resp->Clear();
  if (t.query) {
    Status st = DispatchQuery(std::move(t), resp);
    if (!st.ok()) return false;  // the query's caller gave up; keep waiting
    *status = st;
    return true;
  }
  bool dispatched = false;
  Status st = DispatchWorkflowTask(t, req.identity(), resp, &dispatched);
  matching_.DoneDispatching();
  if (!st.ok()) {
    if (!dispatched) matching_.Push(Matching::Kind::kWorkflow, req.task_queue(), std::move(t), true);
    *status = st;
    return true;
  }
  if (dispatched) {
    *status = Status::OK();
    return true;
  }
  resp->Clear();
  return false;
}

Status EngineImpl::DispatchWorkflowTask(QueuedTask task, const std::string& identity,
                                        v1::PollWorkflowTaskQueueResponse* resp,
                                        bool* dispatched) {
  const v1::TaskRow& row = task.row;
  const std::string& wf = row.workflow_id();
  std::unique_lock<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  Status st = LoadState(wf, row.run_id(), &ms);
  if (st.code() == StatusCode::kNotFound) return Status::OK();  // stale
  DURABLE_RETURN_IF_ERROR(st);
  const std::string rk = RunKey(wf, row.run_id());
  const int64_t now = Now();
  WftDispatch d;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto& rt = runtime_[rk];
    if (task.speculative) rt.speculative_queued = false;
    bool valid = IsOpen(ms) && !rt.wft;
    if (valid && task.speculative) {
      bool waiting = false;
      for (auto& [id, w] : rt.updates) waiting |= (w->stage == 0);
      valid = waiting && !ms.workflow_task().pending();
    } else if (valid) {
      valid = ms.workflow_task().pending() && ms.workflow_task().task_seq() > 0 &&
              !task.store_key.empty() &&
              keys::TaskSeq(task.store_key) == ms.workflow_task().task_seq();
    }
    if (!valid) {
      if (!rt.wft && rt.activities.empty() && rt.updates.empty() && !rt.speculative_queued) {
        runtime_.erase(rk);
      }
      return Status::OK();
    }
    d.dispatch_id = NextDispatchId();
    d.speculative = task.speculative;
    d.identity = identity;
    d.started_time_us = now;
    d.task_queue = ms.started().task_queue();
    d.attempt = task.speculative ? 1 : ms.workflow_task().attempt();
    d.suggest_continue_as_new = ContinueAsNewSuggested(ms);
    d.history_size_bytes = ms.history_size_bytes();
    if (task.speculative || ms.workflow_task().scheduled_event_id() == 0) {
      d.scheduled_written = false;
      d.scheduled_event_id = ms.next_event_id();
      d.started_event_id = ms.next_event_id() + 1;
    } else {
      d.scheduled_event_id = ms.workflow_task().scheduled_event_id();
      d.started_event_id = ms.next_event_id();
    }
    rt.wft = d;
    ReportScheduleToStart(task, row.task_queue(), "workflow");
    for (const auto& id : rt.update_order) {
      auto it = rt.updates.find(id);
      if (it != rt.updates.end() && it->second->stage == 0) *resp->add_updates() = it->second->request;
    }
  }
  *dispatched = true;
  v1::TimerRow timeout;
  timeout.set_kind(v1::TIMER_KIND_WORKFLOW_TASK_TIMEOUT);
  timeout.set_workflow_id(wf);
  timeout.set_run_id(row.run_id());
  timeout.set_fire_time_us(now + ms.started().task_timeout_us());
  timeout.set_dispatch_id(d.dispatch_id);
  timers_->Add(std::move(timeout), "");
  lock.unlock();  // history up to the reserved id is immutable

  v1::TaskToken tok;
  tok.mutable_workflow_execution()->set_workflow_id(wf);
  tok.mutable_workflow_execution()->set_run_id(row.run_id());
  tok.set_scheduled_event_id(d.scheduled_event_id);
  tok.set_attempt(d.attempt);
  tok.set_started_event_id(d.started_event_id);
  tok.set_dispatch_id(d.dispatch_id);
  resp->set_task_token(EncodeToken(tok));
  resp->mutable_workflow_execution()->set_workflow_id(wf);
  resp->mutable_workflow_execution()->set_run_id(row.run_id());
  resp->set_workflow_type(ms.started().workflow_type());
  int64_t from = 1;
  if (!identity.empty() && ms.sticky_identity() == identity && ms.previous_started_event_id() > 0) {
    from = ms.previous_started_event_id() + 1;
  }
  DURABLE_RETURN_IF_ERROR(ReadHistory(ms, from, ms.next_event_id(), resp->mutable_history()));
  if (!d.scheduled_written) {
    auto ev = SyntheticEvent(d.scheduled_event_id, now);
    auto* a = ev.mutable_workflow_task_scheduled();
    a->set_task_queue(d.task_queue);
    a->set_start_to_close_timeout_us(ms.started().task_timeout_us());
    a->set_attempt(d.attempt);
    *resp->mutable_history()->add_events() = std::move(ev);
  }
  auto ev = SyntheticEvent(d.started_event_id, now);
  ev.mutable_workflow_task_started()->set_scheduled_event_id(d.scheduled_event_id);
  ev.mutable_workflow_task_started()->set_identity(identity);
  ev.mutable_workflow_task_started()->set_suggest_continue_as_new(d.suggest_continue_as_new);
  ev.mutable_workflow_task_started()->set_history_size_bytes(d.history_size_bytes);
  *resp->mutable_history()->add_events() = std::move(ev);
  resp->set_previous_started_event_id(ms.previous_started_event_id());
  resp->set_started_event_id(d.started_event_id);
  resp->set_attempt(d.attempt);
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Completion

Status EngineImpl::RespondWorkflowTaskCompleted(const v1::RespondWorkflowTaskCompletedRequest& req,
                                                v1::RespondWorkflowTaskCompletedResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  if (!tok.query_id().empty()) {
    return Status::InvalidArgument("a query task token was passed to RespondWorkflowTaskCompleted; "
                                   "answer queries with RespondQueryTaskCompleted");
  }
  const std::string wf = tok.workflow_execution().workflow_id();
  const std::string run = tok.workflow_execution().run_id();
  const std::string name = ExecName(wf, run);
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  const std::string rk = RunKey(wf, run);
  WftDispatch d;
  CommandContext cc;  // what the commands share (applied in commands.cc)
  cc.wf = wf;
  cc.run = run;
  cc.name = name;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it == runtime_.end() || !it->second.wft || it->second.wft->dispatch_id != tok.dispatch_id()) {
      return Status::NotFound("workflow task of " + name +
                              " not found: the task token is stale (the task timed out, failed, "
                              "or was completed already)");
    }
    d = *it->second.wft;
    for (auto& [id, w] : it->second.updates) {
      if (w->stage == 0) cc.admitted[id] = w->request;
    }
  }
  if (!IsOpen(ms)) return Status::NotFound("workflow task of " + name + " not found: the run is closed");
  const std::string identity = req.identity().empty() ? d.identity : req.identity();
  cc.identity = identity;
  // Only rejections on a speculative task with nothing buffered: no trace in history.
  bool only_rejects = true;
  for (const auto& c : req.commands()) {
    if (!c.has_reject_update() && !c.has_respond_to_query()) only_rejects = false;
  }
  for (int ci = 0; ci < req.commands_size(); ++ci) {
    const auto& c = req.commands(ci);
    if (c.has_reject_update() && !cc.admitted.count(c.reject_update().update_id())) {
      return FailTaskOnBadCommand(
          ms, d, "bad_update_workflow_execution_message",
          Status::InvalidArgument("RejectUpdate: update '" + c.reject_update().update_id() +
                                  "' is not waiting (command " + std::to_string(ci) +
                                  " of the task of " + name + ")"),
          identity);
    }
  }
  auto apply_notes = [this, rk](const std::vector<UpdateNote>& ns) {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it == runtime_.end()) return;
    auto& rt = it->second;
    for (const auto& n : ns) {
      auto w = rt.updates.find(n.id);
      if (w == rt.updates.end()) continue;
      if (n.kind == 1) {
        w->second->stage = std::max(w->second->stage, 1);
      } else {
        w->second->stage = 2;
        w->second->outcome = n.outcome;
        rt.updates.erase(w);
        rt.update_order.erase(std::remove(rt.update_order.begin(), rt.update_order.end(), n.id),
                              rt.update_order.end());
      }
    }
    update_cv_.notify_all();
  };
  v1::TaskRow spec_row;
  spec_row.set_kind(v1::TASK_KIND_WORKFLOW);
  spec_row.set_namespace_(kNamespace);
  spec_row.set_workflow_id(wf);
  spec_row.set_run_id(run);
  spec_row.set_task_queue(ms.started().task_queue());
  if (d.speculative && only_rejects && ms.buffered_events_size() == 0) {
    for (const auto& c : req.commands()) {
      if (!c.has_reject_update()) continue;
      UpdateNote n{3, c.reject_update().update_id(), {}};
      *n.outcome.mutable_failure() = c.reject_update().failure();
      cc.notes.push_back(std::move(n));
    }
    ClearWftDispatch(rk, d.dispatch_id);
    apply_notes(cc.notes);
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it != runtime_.end()) QueueSpeculativeLocked(it->second, spec_row);
    timers_->Poke();
    return Status::OK();
  }

  std::string cause;
  Status limit = CheckPendingLimits(ms, req.commands(), name, &cause);
  if (!limit.ok()) {
    v1::Failure failure;
    failure.set_message(limit.message());
    failure.set_source("engine");
    DURABLE_RETURN_IF_ERROR(FailWorkflowTaskLocked(ms, d, cause, failure, identity));
    return limit;  // recorded as WorkflowTaskFailed; the worker drops its instance
  }

  // The task's commands; replaced by one FailWorkflowExecution when a payload is over the
  // limit (the workflow would send it again on every retry).
  const google::protobuf::RepeatedPtrField<v1::Command>* commands = &req.commands();
  google::protobuf::RepeatedPtrField<v1::Command> oversized_failure;
  const CommandContext cc_start = cc;
  std::optional<Txn> txn_slot;
  for (;;) {
    txn_slot.emplace(Now());
    Txn& txn = *txn_slot;
    txn.wft_released = rk;
    int64_t sched_id = d.scheduled_event_id;
    if (!d.scheduled_written) {
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_task_scheduled();
      a->set_task_queue(d.task_queue);
      a->set_start_to_close_timeout_us(ms.started().task_timeout_us());
      a->set_attempt(d.attempt);
      sched_id = AppendEvent(txn, ms, std::move(ev));
    }
    v1::HistoryEvent started_ev;
    started_ev.set_event_time_us(d.started_time_us);
    started_ev.mutable_workflow_task_started()->set_scheduled_event_id(sched_id);
    started_ev.mutable_workflow_task_started()->set_identity(d.identity);
    started_ev.mutable_workflow_task_started()->set_suggest_continue_as_new(d.suggest_continue_as_new);
    started_ev.mutable_workflow_task_started()->set_history_size_bytes(d.history_size_bytes);
    const int64_t started_id = AppendEvent(txn, ms, std::move(started_ev));
    // The finished task: drop its row.
    auto* wt = ms.mutable_workflow_task();
    if (wt->pending()) DeleteTaskRow(txn, wt->task_queue(), v1::TASK_KIND_WORKFLOW, wt->task_seq());
    wt->Clear();
    ms.set_previous_started_event_id(started_id);
    ms.set_sticky_identity(identity);

    bool has_terminal = false;
    for (const auto& c : *commands) has_terminal |= IsTerminalCommand(c);
    if (has_terminal && ms.buffered_events_size() > 0) {
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_task_failed();
      a->set_scheduled_event_id(sched_id);
      a->set_started_event_id(started_id);
      a->set_cause("unhandled_command");
      a->mutable_failure()->set_message("new events arrived while the workflow task was running; "
                                        "the workflow must see them before it closes");
      a->mutable_failure()->set_source("engine");
      a->set_identity(identity);
      AppendEvent(txn, ms, std::move(ev));
      ms.set_sticky_identity("");
      FlushBuffered(txn, ms);
      ScheduleWorkflowTask(txn, ms);
    } else {
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_task_completed();
      a->set_scheduled_event_id(sched_id);
      a->set_started_event_id(started_id);
      a->set_identity(identity);
      cc.completed_id = AppendEvent(txn, ms, std::move(ev));
      for (const auto& [id, ai] : ms.activities()) cc.activity_by_seq[ai.scheduled().seq()] = id;
      for (const auto& [id, ai] : ms.activities()) cc.activity_ids[ai.scheduled().activity_id()] = &ai;
      Status applied;
      for (int ci = 0; ci < commands->size() && !cc.closed && applied.ok(); ++ci) {
        cc.cmd_ctx = " (command " + std::to_string(ci) + " of the task of " + name + ")";
        applied = ApplyCommand(txn, ms, commands->Get(ci), cc);
      }
      if (!applied.ok() && !cc.bad_cause.empty()) {
        // Nothing of this task is written: fail it from the stored state.
        DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
        return FailTaskOnBadCommand(ms, d, cc.bad_cause, applied, identity);
      }
      if (!applied.ok()) {
        if (!cc.oversized || commands == &oversized_failure) return applied;
        // Start again from the stored state with the failure as the task's only command.
        const std::string message = *cc.oversized;
        DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
        cc = cc_start;
        oversized_failure.Clear();
        *oversized_failure.Add()->mutable_fail_workflow_execution()->mutable_failure() =
            LimitFailure(message);
        commands = &oversized_failure;
        continue;
      }
      if (!cc.closed && FlushBuffered(txn, ms)) ScheduleWorkflowTask(txn, ms);
    }
    break;
  }
  Txn& txn = *txn_slot;

  const int64_t dispatch_id = d.dispatch_id;
  // First: when the same completion closes the run, its update outcomes must reach their
  // waiters before the close fails the waiters still open.
  txn.after.insert(txn.after.begin(), [this, rk, dispatch_id, notes = cc.notes, apply_notes, spec_row] {
    ClearWftDispatch(rk, dispatch_id);
    apply_notes(notes);
  });
  const bool can_speculate = IsOpen(ms) && !ms.workflow_task().pending();
  DURABLE_RETURN_IF_ERROR(Commit(txn, {&ms, cc.new_run ? &cc.new_run.value() : nullptr}));
  if (can_speculate) {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it != runtime_.end()) QueueSpeculativeLocked(it->second, spec_row);
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Failure, timeout, backoff

Status EngineImpl::RespondWorkflowTaskFailed(const v1::RespondWorkflowTaskFailedRequest& req,
                                             v1::RespondWorkflowTaskFailedResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  const std::string wf = tok.workflow_execution().workflow_id();
  const std::string run = tok.workflow_execution().run_id();
  const std::string name = ExecName(wf, run);
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  const std::string rk = RunKey(wf, run);
  WftDispatch d;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it == runtime_.end() || !it->second.wft || it->second.wft->dispatch_id != tok.dispatch_id()) {
      return Status::NotFound("workflow task of " + name +
                              " not found: the task token is stale (the task timed out, failed, "
                              "or was completed already)");
    }
    d = *it->second.wft;
  }
  if (!IsOpen(ms)) return Status::NotFound("workflow task of " + name + " not found: the run is closed");
  const std::string identity = req.identity().empty() ? d.identity : req.identity();
  return FailWorkflowTaskLocked(ms, d, req.cause().empty() ? "workflow_error" : req.cause(),
                                req.failure(), identity);
}

Status EngineImpl::FailTaskOnBadCommand(v1::ExecutionState& ms, const WftDispatch& d,
                                        const std::string& cause, const Status& rejected,
                                        const std::string& identity) {
  v1::Failure failure;
  failure.set_message(rejected.message());
  failure.set_source("engine");
  failure.mutable_server_failure_info()->set_non_retryable(false);  // the task is retried
  DURABLE_RETURN_IF_ERROR(FailWorkflowTaskLocked(ms, d, cause, failure, identity));
  Warn("workflow task failed (" + cause + "): " + rejected.message() +
       "; it is retried after backoff until the workflow sends valid commands");
  return Status::OK();
}

Status EngineImpl::FailWorkflowTaskLocked(v1::ExecutionState& ms, const WftDispatch& d,
                                          const std::string& cause, const v1::Failure& failure,
                                          const std::string& identity) {
  const std::string wf = ms.workflow_id();
  const std::string run = ms.run_id();
  const std::string rk = RunKey(wf, run);
  Txn txn(Now());
  txn.wft_released = rk;
  if (d.attempt <= 1) {
    int64_t sched_id = d.scheduled_event_id;
    if (!d.scheduled_written) {
      v1::HistoryEvent ev;
      auto* a = ev.mutable_workflow_task_scheduled();
      a->set_task_queue(d.task_queue);
      a->set_start_to_close_timeout_us(ms.started().task_timeout_us());
      a->set_attempt(d.attempt);
      sched_id = AppendEvent(txn, ms, std::move(ev));
    }
    v1::HistoryEvent sev;
    sev.set_event_time_us(d.started_time_us);
    sev.mutable_workflow_task_started()->set_scheduled_event_id(sched_id);
    sev.mutable_workflow_task_started()->set_identity(d.identity);
    const int64_t started_id = AppendEvent(txn, ms, std::move(sev));
    v1::HistoryEvent fev;
    auto* a = fev.mutable_workflow_task_failed();
    a->set_scheduled_event_id(sched_id);
    a->set_started_event_id(started_id);
    a->set_cause(cause);
    *a->mutable_failure() = failure;
    a->set_identity(identity);
    AppendEvent(txn, ms, std::move(fev));
  }
  FlushBuffered(txn, ms);
  auto* wt = ms.mutable_workflow_task();
  if (wt->pending()) DeleteTaskRow(txn, wt->task_queue(), v1::TASK_KIND_WORKFLOW, wt->task_seq());
  const int32_t next_attempt = d.attempt + 1;
  wt->set_pending(true);
  wt->set_attempt(next_attempt);
  wt->set_scheduled_event_id(0);  // transient: written when a later attempt completes
  wt->set_scheduled_time_us(txn.now_us);
  wt->set_task_seq(0);
  wt->set_task_queue(ms.started().task_queue());
  ms.set_sticky_identity("");
  const int64_t backoff_us = std::min<int64_t>(static_cast<int64_t>(d.attempt - 1) * 1'000'000, 10'000'000);
  if (backoff_us <= 0) {
    PutWorkflowTaskRow(txn, ms);
  } else {
    v1::TimerRow row;
    row.set_kind(v1::TIMER_KIND_WORKFLOW_TASK_BACKOFF);
    row.set_workflow_id(wf);
    row.set_run_id(run);
    row.set_fire_time_us(txn.now_us + backoff_us);
    row.set_attempt(next_attempt);
    row.set_key(keys::timer::WorkflowTaskBackoff(next_attempt));
    // Under time skipping, a task that keeps failing waits its later backoffs in real time:
    // skipped, they would make its retries a busy loop (docs/testing.md).
    const bool real = next_attempt > kSkippedWorkflowTaskRetries + 1 && timers_->time_skipping();
    AddDurableTimer(txn, std::move(row), real ? TimerPace::kRealTime : TimerPace::kWorkflowTime);
  }
  const int64_t dispatch_id = d.dispatch_id;
  txn.after.push_back([this, rk, dispatch_id] { ClearWftDispatch(rk, dispatch_id); });
  return Commit(txn, {&ms});
}

void EngineImpl::OnWorkflowTaskTimeout(const v1::TimerRow& row, const std::string& key) {
  const std::string rk = RunKey(row.workflow_id(), row.run_id());
  TimerTarget target = RowRun(row);
  // The run is gone: forget the dispatch (else time skipping would wait for it forever).
  target.on_gone = [this, rk, dispatch_id = row.dispatch_id()] { ClearWftDispatch(rk, dispatch_id); };
  RunTimerTransition(row, key, target, [this, &row, &rk](TimerFire& f) {
    WftDispatch d;
    {
      std::lock_guard<std::mutex> l(mem_mu_);
      auto it = runtime_.find(rk);
      // The task this timeout guards was completed or failed already: nothing to do.
      if (it == runtime_.end() || !it->second.wft || it->second.wft->dispatch_id != row.dispatch_id()) {
        return Status::OK();
      }
      d = *it->second.wft;
    }
    Txn& txn = f.txn;
    v1::ExecutionState& ms = f.ms;
    txn.wft_released = rk;
    FlushBuffered(txn, ms);
    ms.set_sticky_identity("");
    auto* wt = ms.mutable_workflow_task();
    QueuedTask requeue;
    bool push_existing = false;
    if (d.speculative || !wt->pending()) {
      // A speculative task that timed out becomes a normal (transient) task.
      wt->set_pending(true);
      wt->set_attempt(1);
      wt->set_scheduled_event_id(0);
      wt->set_scheduled_time_us(txn.now_us);
      wt->set_task_queue(ms.started().task_queue());
      PutWorkflowTaskRow(txn, ms);
    } else {
      wt->set_attempt(wt->attempt() + 1);
      requeue.row.set_kind(v1::TASK_KIND_WORKFLOW);
      requeue.row.set_namespace_(kNamespace);
      requeue.row.set_workflow_id(row.workflow_id());
      requeue.row.set_run_id(row.run_id());
      requeue.row.set_scheduled_event_id(wt->scheduled_event_id());
      requeue.row.set_attempt(wt->attempt());
      requeue.row.set_task_queue(wt->task_queue());
      requeue.store_key = keys::Task(kNamespace, wt->task_queue(), v1::TASK_KIND_WORKFLOW, wt->task_seq());
      push_existing = true;
    }
    const int64_t dispatch_id = d.dispatch_id;
    txn.after.push_back([this, rk, dispatch_id, push_existing, requeue]() mutable {
      ClearWftDispatch(rk, dispatch_id);
      if (push_existing) {
        std::string q = requeue.row.task_queue();
        matching_.Push(Matching::Kind::kWorkflow, q, std::move(requeue));
      }
    });
    f.changed = true;
    return Status::OK();
  });
}

void EngineImpl::OnWorkflowTaskBackoff(const v1::TimerRow& row, const std::string& key) {
  RunTimerTransition(row, key, RowRun(row), [this, &row](TimerFire& f) {
    const auto& wt = f.ms.workflow_task();
    // Only the attempt this backoff was for, not yet queued.
    if (!wt.pending() || wt.task_seq() != 0 || wt.attempt() != row.attempt()) return Status::OK();
    PutWorkflowTaskRow(f.txn, f.ms);
    f.changed = true;
    return Status::OK();
  });
}

}  // namespace durable
