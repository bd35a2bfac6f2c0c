// The client-facing calls: start, signal, cancel, terminate, describe, history, worker
// shutdown and time skipping (list and count are in visibility.cc).
#include <algorithm>
#include <chrono>

#include "engine/engine_impl.h"

namespace durable {


Status EngineImpl::StartWorkflowExecution(const v1::StartWorkflowExecutionRequest& req,
                                          v1::StartWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  DURABLE_RETURN_IF_ERROR(ValidateStart(req));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(req.workflow_id()));
  v1::ExecutionState run;
  return StartLocked(req, resp, &run);
}

Status EngineImpl::ValidateStart(const v1::StartWorkflowExecutionRequest& req) {
  const std::string& wf = req.workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidateId(wf, "workflow_id", options_.limits.max_id_length, ""));
  DURABLE_RETURN_IF_ERROR(ValidateId(req.workflow_type(), "workflow_type", options_.limits.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidateId(req.task_queue(), "task_queue", options_.limits.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.input(), "input", wf));
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.signal_input(), "signal input", wf));
  for (const auto& [k, v] : req.memo()) DURABLE_RETURN_IF_ERROR(ValidatePayload(v, "memo '" + k + "'", wf));
  for (const auto& [k, v] : req.header()) DURABLE_RETURN_IF_ERROR(ValidatePayload(v, "header '" + k + "'", wf));
  if (!req.signal_name().empty()) {
    DURABLE_RETURN_IF_ERROR(ValidateId(req.signal_name(), "signal_name", options_.limits.max_id_length, wf));
  }
  DURABLE_RETURN_IF_ERROR(
      ValidateSearchAttributes(kNamespace, req.search_attributes(), /*allow_remove=*/false, wf));
  if (req.execution_timeout_us() < 0 || req.run_timeout_us() < 0 || req.task_timeout_us() < 0 ||
      req.start_delay_us() < 0) {
    return Status::InvalidArgument("negative timeout or start delay for workflow '" + wf + "'");
  }
  return Status::OK();
}

// The start under the workflow's stripe lock (held by the caller). `run` is the run the
// call ended on: the new one, or the running one it used (conflict USE_EXISTING, a signal,
// or a retried request id).
Status EngineImpl::StartLocked(const v1::StartWorkflowExecutionRequest& req,
                               v1::StartWorkflowExecutionResponse* resp, v1::ExecutionState* run) {
  const std::string& wf = req.workflow_id();
  Txn txn(Now());
  v1::ExecutionState existing;
  bool have_existing = false, terminated = false;
  v1::CurrentRun cur;
  Status st = LoadCurrent(wf, &cur);
  if (st.ok()) {
    DURABLE_RETURN_IF_ERROR(LoadState(wf, cur.run_id(), &existing));
    have_existing = true;
  } else if (st.code() != StatusCode::kNotFound) {
    return st;
  }
  v1::WorkflowExecutionSignaledEventAttributes signal;
  signal.set_signal_name(req.signal_name());
  *signal.mutable_input() = req.signal_input();
  signal.set_identity(req.identity());
  *signal.mutable_header() = req.header();

  if (have_existing) {
    const bool same_request = !req.request_id().empty() && req.request_id() == existing.request_id();
    if (IsOpen(existing)) {
      if (same_request) {
        resp->set_run_id(existing.run_id());
        resp->set_started(true);
        *run = std::move(existing);
        return Status::OK();
      }
      auto conflict = req.id_conflict_policy();
      bool terminate = conflict == v1::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING ||
                       req.id_reuse_policy() == v1::WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING;
      if (!terminate && (conflict == v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
                         !req.signal_name().empty())) {
        if (!req.signal_name().empty()) {
          v1::HistoryEvent ev;
          *ev.mutable_workflow_execution_signaled() = signal;
          AddOrBufferEvent(txn, existing, std::move(ev));
          DURABLE_RETURN_IF_ERROR(Commit(txn, {&existing}));
        }
        resp->set_run_id(existing.run_id());
        resp->set_started(false);
        *run = std::move(existing);
        return Status::OK();
      }
      if (!terminate) {
        return Status::AlreadyExists("workflow '" + wf + "' is already running (run id " +
                                     existing.run_id() + ")");
      }
      TerminateLocked(txn, existing, "terminated by a new start of the same workflow id", nullptr,
                      req.identity());
      terminated = true;
    } else {
      if (same_request) {
        resp->set_run_id(existing.run_id());
        resp->set_started(true);
        *run = std::move(existing);
        return Status::OK();
      }
      auto reuse = req.id_reuse_policy();
      if (reuse == v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
        return Status::AlreadyExists("workflow '" + wf + "' already ran (run id " +
                                     existing.run_id() + ", " + StatusName(existing.status()) +
                                     ") and the id reuse policy REJECT_DUPLICATE refuses a new run");
      }
      if (reuse == v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
          (existing.status() == v1::WORKFLOW_EXECUTION_STATUS_COMPLETED ||
           existing.status() == v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)) {
        return Status::AlreadyExists(
            "workflow '" + wf + "' already completed (run id " + existing.run_id() +
            ") and the id reuse policy ALLOW_DUPLICATE_FAILED_ONLY refuses a new run");
      }
    }
  }

  NewRunParams p;
  p.workflow_id = wf;
  auto& s = p.started;
  s.set_workflow_type(req.workflow_type());
  s.set_task_queue(req.task_queue());
  *s.mutable_input() = req.input();
  s.set_execution_timeout_us(req.execution_timeout_us());
  s.set_run_timeout_us(req.run_timeout_us());
  s.set_task_timeout_us(req.task_timeout_us());
  if (req.has_retry_policy()) *s.mutable_retry_policy() = req.retry_policy();
  s.set_attempt(1);
  s.set_identity(req.identity());
  *s.mutable_header() = req.header();
  *s.mutable_memo() = req.memo();
  *s.mutable_search_attributes() = req.search_attributes();
  p.request_id = req.request_id();
  p.first_task_delay_us = req.start_delay_us();
  if (!req.cron_schedule().empty()) {
    auto delay = CronDelay(req.cron_schedule(), txn.now_us);
    if (!delay.ok()) {
      return Status::InvalidArgument("cron_schedule of workflow '" + wf + "': " +
                                     delay.status().message());
    }
    s.set_cron_schedule(req.cron_schedule());
    p.first_task_delay_us = std::max(p.first_task_delay_us, delay.value());
  }
  if (!req.signal_name().empty()) {
    p.with_signal = true;
    p.signal = signal;
  }
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(CreateRun(txn, std::move(p), &ms));
  DURABLE_RETURN_IF_ERROR(Commit(txn, {terminated ? &existing : nullptr, &ms}));
  resp->set_run_id(ms.run_id());
  resp->set_started(true);
  *run = std::move(ms);
  return Status::OK();
}

// Loads the run a client call addresses (empty run id = the current run), open or closed.
Status EngineImpl::LoadRun(const std::string& wf, const std::string& run_id,
                           v1::ExecutionState* ms) {
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, run_id, &run));
  return LoadState(wf, run, ms);
}

// A closed run is kFailedPrecondition "cannot <verb> workflow ...: it is closed (<status>)".
Status EngineImpl::RequireOpen(const v1::ExecutionState& ms, const std::string& wf,
                               const char* verb) {
  if (IsOpen(ms)) return Status::OK();
  return Status::FailedPrecondition(std::string("cannot ") + verb + " " +
                                    ExecName(wf, ms.run_id()) + ": it is closed (" +
                                    StatusName(ms.status()) + ")");
}

Status EngineImpl::LoadOpenRun(const std::string& wf, const std::string& run_id,
                               const char* verb, v1::ExecutionState* ms) {
  DURABLE_RETURN_IF_ERROR(LoadRun(wf, run_id, ms));
  return RequireOpen(*ms, wf, verb);
}

Status EngineImpl::SignalWorkflowExecution(const v1::SignalWorkflowExecutionRequest& req,
                                           v1::SignalWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("signal: workflow_id is empty");
  DURABLE_RETURN_IF_ERROR(ValidateId(req.signal_name(), "signal_name", options_.limits.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidatePayloads(req.input(), "signal '" + req.signal_name() + "' input", wf));
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadRun(wf, req.workflow_execution().run_id(), &ms));
  // A retry whose first try was delivered succeeds, even if the run has closed since (the
  // reply was lost, e.g. to a server crash, and the signal let the workflow finish).
  for (const auto& id : ms.signal_request_ids()) {
    if (!req.request_id().empty() && id == req.request_id()) return Status::OK();
  }
  DURABLE_RETURN_IF_ERROR(RequireOpen(ms, wf, "signal"));
  Txn txn(Now());
  SignalLocked(txn, ms, req.signal_name(), req.input(), req.header(), req.identity(),
               req.request_id());
  return Commit(txn, {&ms});
}

bool EngineImpl::SignalLocked(Txn& txn, v1::ExecutionState& ms, const std::string& name,
                              const v1::Payloads& input,
                              const google::protobuf::Map<std::string, v1::Payload>& header,
                              const std::string& identity, const std::string& request_id) {
  if (!request_id.empty()) {
    for (const auto& id : ms.signal_request_ids()) {
      if (id == request_id) return false;
    }
    // The most recent ones suffice: a client retries within its retry budget (a minute).
    constexpr int kKeptSignalRequestIds = 256;
    if (ms.signal_request_ids_size() >= kKeptSignalRequestIds) {
      ms.mutable_signal_request_ids()->DeleteSubrange(0, 1);
    }
    ms.add_signal_request_ids(request_id);
  }
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_execution_signaled();
  a->set_signal_name(name);
  *a->mutable_input() = input;
  a->set_identity(identity);
  *a->mutable_header() = header;
  AddOrBufferEvent(txn, ms, std::move(ev));
  return true;
}

Status EngineImpl::RequestCancelWorkflowExecution(
    const v1::RequestCancelWorkflowExecutionRequest& req,
    v1::RequestCancelWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("cancel: workflow_id is empty");
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadOpenRun(wf, req.workflow_execution().run_id(), "cancel", &ms));
  if (ms.cancel_requested()) return Status::OK();
  Txn txn(Now());
  RequestCancelLocked(txn, ms, req.reason(), req.identity());
  return Commit(txn, {&ms});
}

void EngineImpl::RequestCancelLocked(Txn& txn, v1::ExecutionState& ms, const std::string& reason,
                                     const std::string& identity) {
  if (ms.cancel_requested()) return;
  ms.set_cancel_requested(true);
  v1::HistoryEvent ev;
  auto* a = ev.mutable_workflow_execution_cancel_requested();
  a->set_cause(reason);
  a->set_identity(identity);
  AddOrBufferEvent(txn, ms, std::move(ev));
}

Status EngineImpl::TerminateWorkflowExecution(const v1::TerminateWorkflowExecutionRequest& req,
                                              v1::TerminateWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  if (wf.empty()) return Status::InvalidArgument("terminate: workflow_id is empty");
  TransitionScope ts(active_transitions_);
  std::lock_guard<std::mutex> lock(Stripe(wf));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadOpenRun(wf, req.workflow_execution().run_id(), "terminate", &ms));
  Txn txn(Now());
  TerminateLocked(txn, ms, req.reason(), req.has_details() ? &req.details() : nullptr,
                  req.identity());
  return Commit(txn, {&ms});
}

Status EngineImpl::DescribeWorkflowExecution(const v1::DescribeWorkflowExecutionRequest& req,
                                             v1::DescribeWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.execution().workflow_id();
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.execution().run_id(), &run));
  v1::ExecutionState ms;
  DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
  auto* info = resp->mutable_info();
  info->mutable_execution()->set_workflow_id(wf);
  info->mutable_execution()->set_run_id(run);
  info->set_workflow_type(ms.started().workflow_type());
  info->set_task_queue(ms.started().task_queue());
  info->set_status(ms.status());
  info->set_start_time_us(ms.start_time_us());
  info->set_close_time_us(ms.close_time_us());
  info->set_history_length(ms.next_event_id() - 1);
  if (ms.started().has_parent()) *info->mutable_parent() = ms.started().parent();
  *info->mutable_root_execution() = RootOf(ms);
  *info->mutable_memo() = ms.memo();
  *info->mutable_search_attributes() = ms.search_attributes();
  info->set_execution_time_us(ms.execution_time_us());
  for (const auto& [id, ai] : ms.activities()) {
    auto* pa = resp->add_pending_activities();
    pa->set_activity_id(ai.scheduled().activity_id());
    pa->set_activity_type(ai.scheduled().activity_type());
    pa->set_state(ai.cancel_requested()           ? "cancel_requested"
                  : ai.started_dispatch_id() != 0 ? "started"
                                                  : "scheduled");
    *pa->mutable_heartbeat_details() = ai.heartbeat_details();
    pa->set_last_heartbeat_time_us(ai.last_heartbeat_time_us());
    pa->set_last_started_time_us(ai.last_started_time_us());
    pa->set_attempt(ai.attempt());
    pa->set_maximum_attempts(ai.scheduled().retry_policy().maximum_attempts());
    pa->set_scheduled_time_us(ai.scheduled_time_us());
    pa->set_expiration_time_us(ai.expiration_time_us());
    if (ai.has_last_failure()) *pa->mutable_last_failure() = ai.last_failure();
    pa->set_last_worker_identity(ai.last_worker_identity());
  }
  for (const auto& [id, ch] : ms.children()) {
    auto* pc = resp->add_pending_children();
    pc->set_workflow_id(ch.workflow_id());
    pc->set_run_id(ch.run_id());
    pc->set_workflow_type(ch.workflow_type());
    pc->set_initiated_event_id(ch.initiated_event_id());
    pc->set_parent_close_policy(ch.parent_close_policy());
  }
  return Status::OK();
}

Status EngineImpl::GetWorkflowExecutionHistory(const v1::GetWorkflowExecutionHistoryRequest& req,
                                               v1::GetWorkflowExecutionHistoryResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.execution().workflow_id();
  std::string run;
  DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.execution().run_id(), &run));
  resp->set_run_id(run);
  const int64_t from = std::max<int64_t>(1, req.from_event_id());
  v1::ExecutionState ms;
  if (!req.wait_new_event()) {
    DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
    return ReadHistory(ms, from, ms.next_event_id(), resp->mutable_history());
  }
  const int64_t timeout_us = req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_us);
  const std::string rk = RunKey(wf, run);
  std::shared_ptr<RunWatch> watch;
  {
    std::lock_guard<std::mutex> l(mem_mu_);
    auto& w = watches_[rk];
    if (!w) w = std::make_shared<RunWatch>();
    w->waiters++;
    watch = w;
  }
  auto unregister = [&] {
    std::lock_guard<std::mutex> l(mem_mu_);
    if (--watch->waiters == 0) watches_.erase(rk);
  };
  Status result;
  while (true) {
    uint64_t version;
    {
      std::lock_guard<std::mutex> l(mem_mu_);
      version = watch->version;
    }
    Status st = LoadState(wf, run, &ms);
    if (!st.ok()) {
      result = st;
      break;
    }
    if (req.close_event_only()) {
      if (!IsOpen(ms)) {
        result = ReadHistory(ms, ms.close_event_id(), ms.close_event_id() + 1,
                             resp->mutable_history());
        break;
      }
    } else if (ms.next_event_id() - 1 >= from) {
      result = ReadHistory(ms, from, ms.next_event_id(), resp->mutable_history());
      break;
    }
    std::unique_lock<std::mutex> l(mem_mu_);
    bool timed_out = !watch->cv.wait_until(l, deadline, [&] {
      return watch->version != version || closing_.load();
    });
    if (closing_) {
      result = Status::Unavailable("the engine is closing");
      break;
    }
    if (timed_out) {
      result = Status::DeadlineExceeded(
          std::string("timed out after ") + std::to_string(timeout_us / 1000) + " ms waiting for " +
          ExecName(wf, run) + (req.close_event_only() ? " to close" : " to have new events"));
      break;
    }
  }
  unregister();
  return result;
}

Status EngineImpl::ShutdownWorker(const v1::ShutdownWorkerRequest& req,
                                  v1::ShutdownWorkerResponse* resp) {
  DURABLE_ENTER();
  matching_.ShutdownWorker(req.task_queue(), req.identity());
  return Status::OK();
}

Status EngineImpl::SetTimeSkipping(bool enabled) { return timers_->SetTimeSkipping(enabled); }

Status EngineImpl::SkipTime(int64_t duration_us) { return timers_->SkipTime(duration_us); }

Status EngineImpl::SkipTimeWhenIdle(int64_t duration_us) {
  return timers_->SkipTime(duration_us, /*wait_idle=*/true);
}

}  // namespace durable
