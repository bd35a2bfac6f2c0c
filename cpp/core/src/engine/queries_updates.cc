// Queries and updates: legacy queries (in memory, answered by a worker through a query task)
// and workflow updates (in memory until the workflow accepts or rejects them; speculative
// workflow tasks). Accept/complete/reject commands are applied in commands.cc.
#include "engine/engine_impl.h"

namespace durable {

// ---------------------------------------------------------------------------------------
// Queries (in memory)

Status EngineImpl::QueryWorkflow(const v1::QueryWorkflowRequest& req, v1::QueryWorkflowResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.execution().workflow_id();
  if (req.query_type().empty()) return Status::InvalidArgument("query_type is empty (workflow '" + wf + "')");
  DURABLE_RETURN_IF_ERROR(ValidateId(req.query_type(), "query_type", options_.limits.max_id_length, wf));
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

Status EngineImpl::ValidateUpdate(const std::string& wf, const v1::UpdateRequest& r) {
  if (wf.empty()) return Status::InvalidArgument("update: workflow_id is empty");
  if (r.update_id().empty()) return Status::InvalidArgument("update: update_id is empty (workflow '" + wf + "')");
  if (r.name().empty()) return Status::InvalidArgument("update: name is empty (workflow '" + wf + "')");
  DURABLE_RETURN_IF_ERROR(ValidateId(r.update_id(), "update_id", options_.limits.max_id_length, wf));
  DURABLE_RETURN_IF_ERROR(ValidateId(r.name(), "update name", options_.limits.max_id_length, wf));
  return ValidatePayloads(r.input(), "update '" + r.name() + "' input", wf);
}

Status EngineImpl::UpdateWorkflowExecution(const v1::UpdateWorkflowExecutionRequest& req,
                                           v1::UpdateWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const std::string& wf = req.workflow_execution().workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidateUpdate(wf, req.request()));
  const int stage = req.wait_stage() == v1::UPDATE_WAIT_STAGE_ACCEPTED ? 1 : 2;
  std::string run;
  std::shared_ptr<UpdateWaiter> w;
  {
    TransitionScope ts(active_transitions_);
    std::lock_guard<std::mutex> lock(Stripe(wf));
    DURABLE_RETURN_IF_ERROR(ResolveRun(wf, req.workflow_execution().run_id(), &run));
    v1::ExecutionState ms;
    DURABLE_RETURN_IF_ERROR(LoadState(wf, run, &ms));
    DURABLE_RETURN_IF_ERROR(AdmitUpdateLocked(ms, req.request(), stage, &w, resp));
    if (!w) return Status::OK();
  }
  return WaitUpdate(wf, run, w, stage,
                    req.timeout_us() > 0 ? req.timeout_us() : options_.default_poll_timeout_us, resp);
}

Status EngineImpl::AdmitUpdateLocked(const v1::ExecutionState& ms, const v1::UpdateRequest& r,
                                     int stage, std::shared_ptr<UpdateWaiter>* out,
                                     v1::UpdateWorkflowExecutionResponse* resp) {
  const std::string& wf = ms.workflow_id();
  const std::string& run = ms.run_id();
  resp->set_run_id(run);
  auto u = ms.updates().find(r.update_id());
  const std::string rk = RunKey(wf, run);
  std::shared_ptr<UpdateWaiter> w;
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
  *out = std::move(w);
  return Status::OK();
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
