// Workflow tasks: poll/dispatch (nothing written), completion (one batch: started,
// completed, one event per command, flushed buffered events), failure, timeout, backoff;
// legacy queries and updates (in memory; speculative workflow tasks).
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
    if (t->query) {
      resp->Clear();
      Status st = DispatchQuery(std::move(*t), resp);
      if (st.ok()) return st;
      continue;
    }
    bool dispatched = false;
    resp->Clear();
    Status st = DispatchWorkflowTask(*t, req.identity(), resp, &dispatched);
    matching_.DoneDispatching();
    if (!st.ok()) {
      if (!dispatched) matching_.Push(Matching::Kind::kWorkflow, req.task_queue(), std::move(*t), true);
      return st;
    }
    if (dispatched) return Status::OK();
    resp->Clear();
  }
  return Status::OK();
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
    if (task.speculative || ms.workflow_task().scheduled_event_id() == 0) {
      d.scheduled_written = false;
      d.scheduled_event_id = ms.next_event_id();
      d.started_event_id = ms.next_event_id() + 1;
    } else {
      d.scheduled_event_id = ms.workflow_task().scheduled_event_id();
      d.started_event_id = ms.next_event_id();
    }
    rt.wft = d;
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
  std::map<std::string, v1::UpdateRequest> admitted;  // updates waiting for accept/reject
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
      if (w->stage == 0) admitted[id] = w->request;
    }
  }
  if (!IsOpen(ms)) return Status::NotFound("workflow task of " + name + " not found: the run is closed");
  const std::string identity = req.identity().empty() ? d.identity : req.identity();
  const int64_t projected = ms.next_event_id() + req.commands_size() + 4 + ms.buffered_events_size();
  if (projected > options_.max_history_events) {
    return Status::ResourceExhausted("history of " + name + " would reach " +
                                     std::to_string(projected) + " events, more than the limit of " +
                                     std::to_string(options_.max_history_events));
  }

  // Only rejections on a speculative task with nothing buffered: no trace in history.
  bool only_rejects = true;
  for (const auto& c : req.commands()) {
    if (!c.has_reject_update() && !c.has_respond_to_query()) only_rejects = false;
  }
  struct UpdateNote {
    int kind;  // 1 accepted, 2 completed, 3 rejected
    std::string id;
    v1::UpdateOutcome outcome;
  };
  std::vector<UpdateNote> notes;
  for (const auto& c : req.commands()) {
    if (c.has_reject_update()) {
      if (!admitted.count(c.reject_update().update_id())) {
        return Status::InvalidArgument("RejectUpdate: update '" + c.reject_update().update_id() +
                                       "' is not waiting in " + name);
      }
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
      notes.push_back(std::move(n));
    }
    ClearWftDispatch(rk, d.dispatch_id);
    apply_notes(notes);
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it != runtime_.end()) QueueSpeculativeLocked(it->second, spec_row);
    timers_->Poke();
    return Status::OK();
  }

  Txn txn(Now());
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
  const int64_t started_id = AppendEvent(txn, ms, std::move(started_ev));
  // The finished task: drop its row.
  auto* wt = ms.mutable_workflow_task();
  if (wt->pending()) DeleteTaskRow(txn, wt->task_queue(), v1::TASK_KIND_WORKFLOW, wt->task_seq());
  wt->Clear();
  ms.set_previous_started_event_id(started_id);
  ms.set_sticky_identity(identity);

  bool has_terminal = false;
  for (const auto& c : req.commands()) has_terminal |= IsTerminalCommand(c);
  std::optional<v1::ExecutionState> new_run;
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
    const int64_t completed_id = AppendEvent(txn, ms, std::move(ev));
    bool closed = false;
    std::map<int32_t, int64_t> activity_by_seq;  // seq -> scheduled event id
    for (const auto& [id, ai] : ms.activities()) activity_by_seq[ai.scheduled().seq()] = id;
    std::map<std::string, const v1::ActivityInfo*> activity_ids;
    for (const auto& [id, ai] : ms.activities()) activity_ids[ai.scheduled().activity_id()] = &ai;
    std::map<std::string, int64_t> accepted_now;

    for (int ci = 0; ci < req.commands_size() && !closed; ++ci) {
      const v1::Command& c = req.commands(ci);
      const std::string cmd_ctx = " (command " + std::to_string(ci) + " of the task of " + name + ")";
      switch (c.variant_case()) {
        case v1::Command::kScheduleActivity: {
          const auto& s = c.schedule_activity();
          if (s.activity_type().empty()) return Status::InvalidArgument("ScheduleActivity: activity_type is empty" + cmd_ctx);
          if (activity_by_seq.count(s.seq())) {
            return Status::InvalidArgument("ScheduleActivity: seq " + std::to_string(s.seq()) +
                                           " is already used by a pending activity" + cmd_ctx);
          }
          v1::HistoryEvent ev;
          auto* a = ev.mutable_activity_task_scheduled();
          a->set_seq(s.seq());
          a->set_activity_id(s.activity_id().empty() ? std::to_string(s.seq()) : s.activity_id());
          a->set_activity_type(s.activity_type());
          a->set_task_queue(s.task_queue().empty() ? ms.started().task_queue() : s.task_queue());
          for (const std::string* v : {&a->activity_id(), &a->activity_type(), &a->task_queue()}) {
            if (static_cast<int64_t>(v->size()) > options_.max_id_length) {
              return Status::InvalidArgument("ScheduleActivity: '" + v->substr(0, 64) +
                                             "...' is longer than " +
                                             std::to_string(options_.max_id_length) + cmd_ctx);
            }
          }
          if (activity_ids.count(a->activity_id())) {
            return Status::InvalidArgument("ScheduleActivity: activity id '" + a->activity_id() +
                                           "' is already used by a pending activity" + cmd_ctx);
          }
          DURABLE_RETURN_IF_ERROR(ValidatePayloads(s.input(), "activity '" + a->activity_id() + "' input", wf));
          *a->mutable_input() = s.input();
          *a->mutable_header() = s.header();
          if (s.schedule_to_close_timeout_us() < 0 || s.schedule_to_start_timeout_us() < 0 ||
              s.start_to_close_timeout_us() < 0 || s.heartbeat_timeout_us() < 0) {
            return Status::InvalidArgument("ScheduleActivity: negative timeout" + cmd_ctx);
          }
          a->set_schedule_to_close_timeout_us(s.schedule_to_close_timeout_us());
          a->set_schedule_to_start_timeout_us(s.schedule_to_start_timeout_us());
          a->set_start_to_close_timeout_us(s.start_to_close_timeout_us() > 0
                                               ? s.start_to_close_timeout_us()
                                               : s.schedule_to_close_timeout_us());
          a->set_heartbeat_timeout_us(s.heartbeat_timeout_us());
          *a->mutable_retry_policy() = WithRetryDefaults(s.retry_policy());
          a->set_workflow_task_completed_event_id(completed_id);
          v1::ActivityInfo ai;
          ai.mutable_scheduled()->CopyFrom(*a);
          const int64_t id = AppendEvent(txn, ms, std::move(ev));
          ai.set_scheduled_event_id(id);
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
            row.set_workflow_id(wf);
            row.set_run_id(run);
            row.set_fire_time_us(txn.now_us + ai.scheduled().schedule_to_start_timeout_us());
            row.set_scheduled_event_id(id);
            row.set_attempt(1);
            row.set_key("act/" + std::to_string(id) + "/1/s2s");
            AddDurableTimer(txn, std::move(row));
          }
          if (ai.expiration_time_us() > 0) {
            v1::TimerRow row;
            row.set_kind(v1::TIMER_KIND_ACTIVITY_SCHEDULE_TO_CLOSE);
            row.set_workflow_id(wf);
            row.set_run_id(run);
            row.set_fire_time_us(ai.expiration_time_us());
            row.set_scheduled_event_id(id);
            row.set_key("act/" + std::to_string(id) + "/s2c");
            AddDurableTimer(txn, std::move(row));
          }
          activity_by_seq[s.seq()] = id;
          (*ms.mutable_activities())[id] = std::move(ai);
          activity_ids[(*ms.mutable_activities())[id].scheduled().activity_id()] = &(*ms.mutable_activities())[id];
          break;
        }
        case v1::Command::kRequestCancelActivity: {
          auto f = activity_by_seq.find(c.request_cancel_activity().seq());
          if (f == activity_by_seq.end() || !ms.activities().count(f->second)) {
            return Status::InvalidArgument("RequestCancelActivity: no pending activity with seq " +
                                           std::to_string(c.request_cancel_activity().seq()) + cmd_ctx);
          }
          const int64_t sched = f->second;
          auto& ai = (*ms.mutable_activities())[sched];
          v1::HistoryEvent ev;
          ev.mutable_activity_task_cancel_requested()->set_scheduled_event_id(sched);
          ev.mutable_activity_task_cancel_requested()->set_workflow_task_completed_event_id(completed_id);
          const int64_t cr = AppendEvent(txn, ms, std::move(ev));
          const bool running = ai.started_dispatch_id() != 0;
          if (!running) {
            v1::HistoryEvent cev;
            auto* a = cev.mutable_activity_task_canceled();
            a->set_scheduled_event_id(sched);
            a->set_latest_cancel_requested_event_id(cr);
            AppendEvent(txn, ms, std::move(cev));
            DeleteTaskRow(txn, ai.scheduled().task_queue(), v1::TASK_KIND_ACTIVITY, ai.task_seq());
            activity_ids.erase(ai.scheduled().activity_id());
            ms.mutable_activities()->erase(sched);
            activity_by_seq.erase(f);
          } else {
            ai.set_cancel_requested(true);
            ai.set_cancel_requested_event_id(cr);
          }
          break;
        }
        case v1::Command::kStartTimer: {
          const auto& s = c.start_timer();
          std::string timer_id = std::to_string(s.seq());
          if (ms.timers().count(timer_id)) {
            return Status::InvalidArgument("StartTimer: timer seq " + timer_id + " is already running" + cmd_ctx);
          }
          if (s.start_to_fire_timeout_us() < 0) return Status::InvalidArgument("StartTimer: negative duration" + cmd_ctx);
          v1::HistoryEvent ev;
          auto* a = ev.mutable_timer_started();
          a->set_seq(s.seq());
          a->set_timer_id(timer_id);
          a->set_start_to_fire_timeout_us(s.start_to_fire_timeout_us());
          a->set_workflow_task_completed_event_id(completed_id);
          const int64_t id = AppendEvent(txn, ms, std::move(ev));
          v1::TimerInfo ti;
          ti.set_timer_id(timer_id);
          ti.set_seq(s.seq());
          ti.set_started_event_id(id);
          ti.set_fire_time_us(txn.now_us + s.start_to_fire_timeout_us());
          v1::TimerRow row;
          row.set_kind(v1::TIMER_KIND_USER);
          row.set_workflow_id(wf);
          row.set_run_id(run);
          row.set_fire_time_us(ti.fire_time_us());
          row.set_timer_id(timer_id);
          row.set_key("user/" + timer_id);
          AddDurableTimer(txn, std::move(row));
          (*ms.mutable_timers())[timer_id] = std::move(ti);
          break;
        }
        case v1::Command::kCancelTimer: {
          std::string timer_id = std::to_string(c.cancel_timer().seq());
          auto it = ms.timers().find(timer_id);
          if (it == ms.timers().end()) {
            return Status::InvalidArgument("CancelTimer: no running timer with seq " + timer_id + cmd_ctx);
          }
          v1::HistoryEvent ev;
          auto* a = ev.mutable_timer_canceled();
          a->set_timer_id(timer_id);
          a->set_started_event_id(it->second.started_event_id());
          a->set_workflow_task_completed_event_id(completed_id);
          AppendEvent(txn, ms, std::move(ev));
          v1::TimerRow row;
          row.set_workflow_id(wf);
          row.set_run_id(run);
          row.set_fire_time_us(it->second.fire_time_us());
          row.set_key("user/" + timer_id);
          DeleteDurableTimer(txn, row);
          ms.mutable_timers()->erase(timer_id);
          break;
        }
        case v1::Command::kCompleteWorkflowExecution: {
          DURABLE_RETURN_IF_ERROR(ValidatePayloads(c.complete_workflow_execution().result(), "result", wf));
          v1::HistoryEvent ev;
          auto* a = ev.mutable_workflow_execution_completed();
          *a->mutable_result() = c.complete_workflow_execution().result();
          a->set_workflow_task_completed_event_id(completed_id);
          CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_COMPLETED, std::move(ev));
          closed = true;
          break;
        }
        case v1::Command::kFailWorkflowExecution: {
          DURABLE_RETURN_IF_ERROR(FailOrRetryRun(txn, ms, c.fail_workflow_execution().failure(),
                                                 false, completed_id, &new_run));
          closed = true;
          break;
        }
        case v1::Command::kCancelWorkflowExecution: {
          DURABLE_RETURN_IF_ERROR(ValidatePayloads(c.cancel_workflow_execution().details(), "cancel details", wf));
          v1::HistoryEvent ev;
          auto* a = ev.mutable_workflow_execution_canceled();
          *a->mutable_details() = c.cancel_workflow_execution().details();
          a->set_workflow_task_completed_event_id(completed_id);
          CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_CANCELED, std::move(ev));
          closed = true;
          break;
        }
        case v1::Command::kContinueAsNewWorkflowExecution: {
          const auto& s = c.continue_as_new_workflow_execution();
          DURABLE_RETURN_IF_ERROR(ValidatePayloads(s.input(), "continue-as-new input", wf));
          NewRunParams p;
          p.workflow_id = wf;
          p.run_id = NewRunId();
          p.started = ms.started();
          auto& st = p.started;
          if (!s.workflow_type().empty()) st.set_workflow_type(s.workflow_type());
          if (!s.task_queue().empty()) st.set_task_queue(s.task_queue());
          *st.mutable_input() = s.input();
          if (s.run_timeout_us() > 0) st.set_run_timeout_us(s.run_timeout_us());
          if (s.task_timeout_us() > 0) st.set_task_timeout_us(s.task_timeout_us());
          if (s.header_size() > 0) *st.mutable_header() = s.header();
          if (s.memo_size() > 0) *st.mutable_memo() = s.memo();
          if (s.has_retry_policy()) *st.mutable_retry_policy() = s.retry_policy();
          st.set_attempt(1);
          st.set_continued_execution_run_id(run);
          st.clear_continued_failure();
          st.clear_last_completion_result();
          st.set_identity(identity);
          p.request_id = ms.request_id();
          v1::HistoryEvent ev;
          auto* a = ev.mutable_workflow_execution_continued_as_new();
          a->set_new_execution_run_id(p.run_id);
          a->set_workflow_type(st.workflow_type());
          a->set_task_queue(st.task_queue());
          *a->mutable_input() = s.input();
          a->set_run_timeout_us(st.run_timeout_us());
          a->set_task_timeout_us(st.task_timeout_us());
          a->set_workflow_task_completed_event_id(completed_id);
          CloseRun(txn, ms, v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, std::move(ev));
          new_run.emplace();
          DURABLE_RETURN_IF_ERROR(CreateRun(txn, std::move(p), &new_run.value()));
          closed = true;
          break;
        }
        case v1::Command::kRecordMarker: {
          const auto& s = c.record_marker();
          if (s.marker_name().empty()) return Status::InvalidArgument("RecordMarker: marker_name is empty" + cmd_ctx);
          for (const auto& [k, v] : s.details()) {
            DURABLE_RETURN_IF_ERROR(ValidatePayloads(v, "marker '" + s.marker_name() + "' detail '" + k + "'", wf));
          }
          v1::HistoryEvent ev;
          auto* a = ev.mutable_marker_recorded();
          a->set_marker_name(s.marker_name());
          *a->mutable_details() = s.details();
          if (s.has_failure()) *a->mutable_failure() = s.failure();
          a->set_workflow_task_completed_event_id(completed_id);
          AppendEvent(txn, ms, std::move(ev));
          break;
        }
        case v1::Command::kStartChildWorkflowExecution: {
          const auto& s = c.start_child_workflow_execution();
          if (s.workflow_id().empty() || s.workflow_type().empty()) {
            return Status::InvalidArgument("StartChildWorkflowExecution: workflow_id and workflow_type are required" + cmd_ctx);
          }
          if (static_cast<int64_t>(s.workflow_id().size()) > options_.max_id_length ||
              static_cast<int64_t>(s.workflow_type().size()) > options_.max_id_length ||
              s.workflow_id().find('\0') != std::string::npos) {
            return Status::InvalidArgument("StartChildWorkflowExecution: invalid child workflow id or type" + cmd_ctx);
          }
          DURABLE_RETURN_IF_ERROR(ValidatePayloads(s.input(), "child '" + s.workflow_id() + "' input", wf));
          v1::HistoryEvent ev;
          auto* a = ev.mutable_start_child_workflow_execution_initiated();
          a->set_seq(s.seq());
          a->set_workflow_id(s.workflow_id());
          a->set_workflow_type(s.workflow_type());
          a->set_task_queue(s.task_queue().empty() ? ms.started().task_queue() : s.task_queue());
          *a->mutable_input() = s.input();
          a->set_execution_timeout_us(s.execution_timeout_us());
          a->set_run_timeout_us(s.run_timeout_us());
          a->set_task_timeout_us(s.task_timeout_us());
          a->set_parent_close_policy(s.parent_close_policy() == v1::PARENT_CLOSE_POLICY_UNSPECIFIED
                                         ? v1::PARENT_CLOSE_POLICY_TERMINATE
                                         : s.parent_close_policy());
          a->set_workflow_id_reuse_policy(s.workflow_id_reuse_policy());
          if (s.has_retry_policy()) *a->mutable_retry_policy() = s.retry_policy();
          *a->mutable_header() = s.header();
          *a->mutable_memo() = s.memo();
          a->set_workflow_task_completed_event_id(completed_id);
          v1::OutboxItem item;
          item.set_kind(v1::OUTBOX_KIND_START_CHILD);
          *item.mutable_start_child() = *a;
          const int64_t id = AppendEvent(txn, ms, std::move(ev));
          item.set_initiated_event_id(id);
          item.mutable_target()->set_workflow_id(s.workflow_id());
          v1::ChildInfo ch;
          ch.set_initiated_event_id(id);
          ch.set_seq(s.seq());
          ch.set_workflow_id(s.workflow_id());
          ch.set_workflow_type(s.workflow_type());
          ch.set_parent_close_policy(item.start_child().parent_close_policy());
          (*ms.mutable_children())[id] = std::move(ch);
          AddOutbox(txn, ms, std::move(item));
          break;
        }
        case v1::Command::kSignalExternalWorkflowExecution: {
          const auto& s = c.signal_external_workflow_execution();
          if (s.workflow_execution().workflow_id().empty() || s.signal_name().empty()) {
            return Status::InvalidArgument("SignalExternalWorkflowExecution: workflow_id and signal_name are required" + cmd_ctx);
          }
          DURABLE_RETURN_IF_ERROR(ValidatePayloads(s.input(), "signal '" + s.signal_name() + "' input", wf));
          v1::HistoryEvent ev;
          auto* a = ev.mutable_signal_external_workflow_execution_initiated();
          a->set_seq(s.seq());
          *a->mutable_workflow_execution() = s.workflow_execution();
          a->set_signal_name(s.signal_name());
          *a->mutable_input() = s.input();
          a->set_child_workflow_only(s.child_workflow_only());
          *a->mutable_header() = s.header();
          a->set_workflow_task_completed_event_id(completed_id);
          v1::OutboxItem item;
          item.set_kind(v1::OUTBOX_KIND_SIGNAL_EXTERNAL);
          *item.mutable_signal_external() = *a;
          *item.mutable_target() = s.workflow_execution();
          item.set_initiated_event_id(AppendEvent(txn, ms, std::move(ev)));
          AddOutbox(txn, ms, std::move(item));
          break;
        }
        case v1::Command::kRequestCancelExternalWorkflowExecution: {
          const auto& s = c.request_cancel_external_workflow_execution();
          if (s.workflow_execution().workflow_id().empty()) {
            return Status::InvalidArgument("RequestCancelExternalWorkflowExecution: workflow_id is required" + cmd_ctx);
          }
          v1::HistoryEvent ev;
          auto* a = ev.mutable_request_cancel_external_workflow_execution_initiated();
          a->set_seq(s.seq());
          *a->mutable_workflow_execution() = s.workflow_execution();
          a->set_child_workflow_only(s.child_workflow_only());
          a->set_reason(s.reason());
          a->set_workflow_task_completed_event_id(completed_id);
          v1::OutboxItem item;
          item.set_kind(v1::OUTBOX_KIND_CANCEL_EXTERNAL);
          *item.mutable_cancel_external() = *a;
          *item.mutable_target() = s.workflow_execution();
          item.set_initiated_event_id(AppendEvent(txn, ms, std::move(ev)));
          AddOutbox(txn, ms, std::move(item));
          break;
        }
        case v1::Command::kAcceptUpdate: {
          const std::string& id = c.accept_update().update_id();
          auto a_it = admitted.find(id);
          if (a_it == admitted.end()) {
            return Status::InvalidArgument("AcceptUpdate: update '" + id + "' is not waiting in " + name);
          }
          v1::HistoryEvent ev;
          auto* a = ev.mutable_workflow_execution_update_accepted();
          a->set_update_id(id);
          *a->mutable_request() = a_it->second;
          a->set_workflow_task_completed_event_id(completed_id);
          const int64_t eid = AppendEvent(txn, ms, std::move(ev));
          auto& rec = (*ms.mutable_updates())[id];
          rec.set_update_id(id);
          rec.set_accepted_event_id(eid);
          admitted.erase(a_it);
          notes.push_back({1, id, {}});
          break;
        }
        case v1::Command::kCompleteUpdate: {
          const std::string& id = c.complete_update().update_id();
          auto u = ms.mutable_updates()->find(id);
          if (u == ms.mutable_updates()->end() || u->second.completed()) {
            return Status::InvalidArgument("CompleteUpdate: update '" + id +
                                           "' was not accepted (or is completed already) in " + name);
          }
          if (c.complete_update().outcome().has_success()) {
            DURABLE_RETURN_IF_ERROR(ValidatePayloads(c.complete_update().outcome().success(), "update '" + id + "' result", wf));
          }
          v1::HistoryEvent ev;
          auto* a = ev.mutable_workflow_execution_update_completed();
          a->set_update_id(id);
          a->set_accepted_event_id(u->second.accepted_event_id());
          *a->mutable_outcome() = c.complete_update().outcome();
          a->set_workflow_task_completed_event_id(completed_id);
          AppendEvent(txn, ms, std::move(ev));
          u->second.set_completed(true);
          *u->second.mutable_outcome() = c.complete_update().outcome();
          notes.push_back({2, id, c.complete_update().outcome()});
          break;
        }
        case v1::Command::kRejectUpdate: {
          UpdateNote n{3, c.reject_update().update_id(), {}};
          *n.outcome.mutable_failure() = c.reject_update().failure();
          admitted.erase(n.id);
          notes.push_back(std::move(n));
          break;
        }
        case v1::Command::kRespondToQuery:
          break;  // legacy queries are answered with RespondQueryTaskCompleted
        case v1::Command::kScheduleLocalActivity:
        case v1::Command::kRequestCancelLocalActivity:
          return Status::InvalidArgument(
              "local activity commands are consumed by the worker's replay core, never sent to "
              "the engine" + cmd_ctx);
        case v1::Command::VARIANT_NOT_SET:
          return Status::InvalidArgument("empty command" + cmd_ctx);
      }
    }
    (void)accepted_now;
    if (!closed && FlushBuffered(txn, ms)) ScheduleWorkflowTask(txn, ms);
  }

  const int64_t dispatch_id = d.dispatch_id;
  // First: when the same completion closes the run, its update outcomes must reach their
  // waiters before the close fails the waiters still open.
  txn.after.insert(txn.after.begin(), [this, rk, dispatch_id, notes, apply_notes, spec_row] {
    ClearWftDispatch(rk, dispatch_id);
    apply_notes(notes);
  });
  const bool can_speculate = IsOpen(ms) && !ms.workflow_task().pending();
  DURABLE_RETURN_IF_ERROR(Commit(txn, {&ms, new_run ? &new_run.value() : nullptr}));
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
  Txn txn(Now());
  txn.wft_released = rk;
  const std::string identity = req.identity().empty() ? d.identity : req.identity();
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
    a->set_cause(req.cause().empty() ? "workflow_error" : req.cause());
    *a->mutable_failure() = req.failure();
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
    row.set_key("wftbackoff/" + std::to_string(next_attempt));
    AddDurableTimer(txn, std::move(row));
  }
  const int64_t dispatch_id = d.dispatch_id;
  txn.after.push_back([this, rk, dispatch_id] { ClearWftDispatch(rk, dispatch_id); });
  return Commit(txn, {&ms});
}

void EngineImpl::OnWorkflowTaskTimeout(const v1::TimerRow& row) {
  const std::string& wf = row.workflow_id();
  const std::string rk = RunKey(wf, row.run_id());
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  WftDispatch d;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(rk);
    if (it == runtime_.end() || !it->second.wft || it->second.wft->dispatch_id != row.dispatch_id()) return;
    d = *it->second.wft;
  }
  v1::ExecutionState ms;
  if (!LoadState(wf, row.run_id(), &ms).ok() || !IsOpen(ms)) {
    ClearWftDispatch(rk, d.dispatch_id);
    return;
  }
  Txn txn(Now());
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
    requeue.row.set_workflow_id(wf);
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
  Status st = Commit(txn, {&ms});
  if (!st.ok()) {
    v1::TimerRow again = row;
    again.set_fire_time_us(Now() + 1'000'000);
    timers_->Add(std::move(again), "");
  }
}

void EngineImpl::OnWorkflowTaskBackoff(const v1::TimerRow& row, const std::string& key) {
  const std::string& wf = row.workflow_id();
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  Txn txn(Now());
  txn.batch.Delete(ColumnFamily::kTimers, key);
  Status st = LoadState(wf, row.run_id(), &ms);
  if (st.ok() && IsOpen(ms) && ms.workflow_task().pending() && ms.workflow_task().task_seq() == 0 &&
      ms.workflow_task().attempt() == row.attempt()) {
    PutWorkflowTaskRow(txn, ms);
    st = Commit(txn, {&ms});
  } else if (st.ok() || st.code() == StatusCode::kNotFound) {
    st = Commit(txn, {});
  }
  if (!st.ok()) RetryOutboxLater(row, key);
}

// ---------------------------------------------------------------------------------------
// Queries (in memory)

Status EngineImpl::QueryWorkflow(const v1::QueryWorkflowRequest& req, v1::QueryWorkflowResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.execution().workflow_id();
  if (req.query_type().empty()) return Status::InvalidArgument("query_type is empty (workflow '" + wf + "')");
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  auto w = std::make_shared<QueryWaiter>();
  w->query_id = "query-" + std::to_string(next_query_id_.fetch_add(1));
  w->execution.set_workflow_id(wf);
  w->execution.set_run_id(run);
  w->task.set_query_id(w->query_id);
  w->task.set_query_type(req.query_type());
  *w->task.mutable_query_args() = req.query_args();
  *w->task.mutable_header() = req.header();
  const std::string queue = ms.started().task_queue();
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    queries_[w->query_id] = w;
  }
  QueuedTask t;
  t.row.set_workflow_id(wf);
  t.row.set_run_id(run);
  t.row.set_task_queue(queue);
  t.query = w;
  matching_.Push(Matching::Kind::kWorkflow, queue, std::move(t));
  const int64_t timeout_us = req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
  std::unique_lock<std::mutex> l(mem_mu_);
  query_cv_.wait_until(l, deadline, [&] { return w->done || closing_.load(); });
  queries_.erase(w->query_id);
  if (!w->done) {
    l.unlock();
    matching_.RemoveQuery(queue, w);
    if (closing_) return Status::Unavailable("the engine is closing");
    return Status::DeadlineExceeded("query '" + req.query_type() + "' on " + ExecName(wf, run) +
                                    " timed out after " + std::to_string(timeout_us / 1000) +
                                    " ms: no worker on task queue '" + queue + "' answered");
  }
  if (w->answer.has_failure()) {
    return Status::InvalidArgument("query '" + req.query_type() + "' on " + ExecName(wf, run) +
                                   " failed: " + w->answer.failure().message());
  }
  *resp->mutable_query_result() = w->answer.answer();
  return Status::OK();
}

Status EngineImpl::DispatchQuery(QueuedTask task, v1::PollWorkflowTaskQueueResponse* resp) {
  auto& w = task.query;
  v1::ExecutionState ms;
  Status st = LoadState(w->execution.workflow_id(), w->execution.run_id(), &ms);
  if (st.ok()) {
    st = ReadHistory(ms, 1, ms.next_event_id(), resp->mutable_history());
  }
  if (!st.ok()) {
    std::lock_guard<std::mutex> l(mem_mu_);
    w->answer.mutable_failure()->set_message(st.ToString());
    w->done = true;
    query_cv_.notify_all();
    return st;
  }
  v1::TaskToken tok;
  *tok.mutable_workflow_execution() = w->execution;
  tok.set_query_id(w->query_id);
  resp->set_task_token(EncodeToken(tok));
  *resp->mutable_workflow_execution() = w->execution;
  resp->set_workflow_type(ms.started().workflow_type());
  resp->set_previous_started_event_id(ms.previous_started_event_id());
  resp->set_started_event_id(ms.previous_started_event_id());
  resp->set_attempt(1);
  *resp->mutable_query() = w->task;
  return Status::OK();
}

Status EngineImpl::RespondQueryTaskCompleted(const v1::RespondQueryTaskCompletedRequest& req,
                                             v1::RespondQueryTaskCompletedResponse* resp) {
  DURABLE_ENTER();
  v1::TaskToken tok;
  DURABLE_RETURN_IF_ERROR(DecodeToken(req.task_token(), &tok));
  if (tok.query_id().empty()) {
    return Status::InvalidArgument("RespondQueryTaskCompleted needs a query task token (" +
                                   ExecName(tok.workflow_execution().workflow_id(),
                                            tok.workflow_execution().run_id()) + ")");
  }
  std::lock_guard<std::mutex> l(mem_mu_);
  auto it = queries_.find(tok.query_id());
  if (it == queries_.end()) {
    return Status::NotFound("query '" + tok.query_id() + "' of " +
                            ExecName(tok.workflow_execution().workflow_id(),
                                     tok.workflow_execution().run_id()) +
                            " not found: it timed out or was answered already");
  }
  it->second->answer = req;
  it->second->done = true;
  queries_.erase(it);
  query_cv_.notify_all();
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Updates (in memory until accepted; speculative workflow tasks)

Status EngineImpl::UpdateWorkflowExecution(const v1::UpdateWorkflowExecutionRequest& req,
                                           v1::UpdateWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  const auto& r = req.request();
  if (wf.empty()) return Status::InvalidArgument("update: workflow_id is empty");
  if (r.update_id().empty()) return Status::InvalidArgument("update: update_id is empty (workflow '" + wf + "')");
  if (r.name().empty()) return Status::InvalidArgument("update: name is empty (workflow '" + wf + "')");
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(r.input(), "update '" + r.name() + "' input", wf));
  const int stage = req.wait_stage() == v1::UPDATE_WAIT_STAGE_ACCEPTED ? 1 : 2;
  std::string run;
  std::shared_ptr<UpdateWaiter> w;
  {
    TransitionScope ts(active_transitions_);
    std::lock_guard<std::mutex> lock(Stripe(wf));
    DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.workflow_execution().run_id(), &run));
    v1::ExecutionState ms;
    DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
    resp->set_run_id(run);
    auto u = ms.updates().find(r.update_id());
    const std::string rk = RunKey(wf, run);
    std::lock_guard<std::mutex> l(mem_mu_);
    auto rt_it = runtime_.find(rk);
    if (rt_it != runtime_.end()) {
      auto f = rt_it->second.updates.find(r.update_id());
      if (f != rt_it->second.updates.end()) w = f->second;
    }
    if (!w && u != ms.updates().end()) {
      // Known from history (e.g. after a restart).
      if (u->second.completed()) {
        resp->set_stage(v1::UPDATE_WAIT_STAGE_COMPLETED);
        *resp->mutable_outcome() = u->second.outcome();
        return Status::OK();
      }
      if (stage == 1 || !IsOpen(ms)) {
        resp->set_stage(v1::UPDATE_WAIT_STAGE_ACCEPTED);
        return Status::OK();
      }
      w = std::make_shared<UpdateWaiter>();
      w->request = r;
      w->stage = 1;
      auto& rt = runtime_[rk];
      rt.updates[r.update_id()] = w;
      rt.update_order.push_back(r.update_id());
    }
    if (!w) {
      if (!IsOpen(ms)) {
        return Status::FailedPrecondition("cannot update " + ExecName(wf, run) + ": it is closed (" +
                                          StatusName(ms.status()) + ")");
      }
      w = std::make_shared<UpdateWaiter>();
      w->request = r;
      auto& rt = runtime_[rk];
      rt.updates[r.update_id()] = w;
      rt.update_order.push_back(r.update_id());
      if (!ms.workflow_task().pending()) {
        v1::TaskRow row;
        row.set_kind(v1::TASK_KIND_WORKFLOW);
        row.set_namespace_(kNamespace);
        row.set_workflow_id(wf);
        row.set_run_id(run);
        row.set_task_queue(ms.started().task_queue());
        QueueSpeculativeLocked(rt, row);
      }
    }
  }
  return WaitUpdate(wf, run, w, stage,
                    req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us, resp);
}

Status EngineImpl::WaitUpdate(const std::string& wf, const std::string& run,
                              const std::shared_ptr<UpdateWaiter>& w, int stage, int64_t timeout_us,
                              v1::UpdateWorkflowExecutionResponse* resp) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
  std::unique_lock<std::mutex> l(mem_mu_);
  update_cv_.wait_until(l, deadline, [&] {
    return w->stage >= stage || !w->error.ok() || closing_.load();
  });
  resp->set_run_id(run);
  if (w->stage >= stage) {
    resp->set_stage(w->stage >= 2 ? v1::UPDATE_WAIT_STAGE_COMPLETED : v1::UPDATE_WAIT_STAGE_ACCEPTED);
    if (w->stage >= 2) *resp->mutable_outcome() = w->outcome;
    return Status::OK();
  }
  if (!w->error.ok()) return w->error;
  if (closing_) return Status::Unavailable("the engine is closing");
  return Status::DeadlineExceeded("update '" + w->request.update_id() + "' of " + ExecName(wf, run) +
                                  " did not reach stage " + (stage == 1 ? "ACCEPTED" : "COMPLETED") +
                                  " within " + std::to_string(timeout_us / 1000) + " ms");
}

Status EngineImpl::PollWorkflowExecutionUpdate(const v1::PollWorkflowExecutionUpdateRequest& req,
                                               v1::UpdateWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.workflow_execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  resp->set_run_id(run);
  std::shared_ptr<UpdateWaiter> w;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto it = runtime_.find(RunKey(wf, run));
    if (it != runtime_.end()) {
      auto f = it->second.updates.find(req.update_id());
      if (f != it->second.updates.end()) w = f->second;
    }
  }
  if (!w) {
    auto u = ms.updates().find(req.update_id());
    if (u == ms.updates().end()) {
      return Status::NotFound("update '" + req.update_id() + "' of " + ExecName(wf, run) + " not found");
    }
    resp->set_stage(u->second.completed() ? v1::UPDATE_WAIT_STAGE_COMPLETED : v1::UPDATE_WAIT_STAGE_ACCEPTED);
    if (u->second.completed()) *resp->mutable_outcome() = u->second.outcome();
    return Status::OK();
  }
  return WaitUpdate(wf, run, w, 2,
                    req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us, resp);
}

}  // namespace durable
