// Update-with-start (Temporal's ExecuteMultiOperation of a start and an update): the start
// and the admission of the update happen under one hold of the workflow's stripe lock, so no
// worker sees the new run without the update (its first workflow task carries it) and no
// other start slips in between. The start is one committed batch, as StartWorkflowExecution;
// an admitted update lives in memory until the workflow accepts it, as every update does.
#include "engine/engine_impl.h"

namespace durable {

Status EngineImpl::UpdateWithStartWorkflowExecution(
    const v1::UpdateWithStartWorkflowExecutionRequest& req,
    v1::UpdateWithStartWorkflowExecutionResponse* resp) {
  DURABLE_ENTER();
  const auto& start = req.start();
  const std::string& wf = start.workflow_id();
  DURABLE_RETURN_IF_ERROR(ValidateStart(start));
  if (start.id_conflict_policy() == v1::WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED) {
    return Status::InvalidArgument("update-with-start of workflow '" + wf +
                                   "': id_conflict_policy is required");
  }
  if (!start.signal_name().empty()) {
    return Status::InvalidArgument("update-with-start of workflow '" + wf +
                                   "': the start cannot carry a signal");
  }
  const auto& ureq = req.update();
  const auto& target = ureq.workflow_execution();
  if ((!target.workflow_id().empty() && target.workflow_id() != wf) || !target.run_id().empty()) {
    return Status::InvalidArgument("update-with-start of workflow '" + wf +
                                   "': the update must address the started workflow id, with no "
                                   "run id (got '" + target.workflow_id() + "', run '" +
                                   target.run_id() + "')");
  }
  DURABLE_RETURN_IF_ERROR(ValidateUpdate(wf, ureq.request()));
  const int stage = ureq.wait_stage() == v1::UPDATE_WAIT_STAGE_ACCEPTED ? 1 : 2;
  std::shared_ptr<UpdateWaiter> w;
  std::string run;
  {
    TransitionScope ts(active_transitions_);
    std::lock_guard<std::mutex> lock(Stripe(wf));
    v1::ExecutionState ms;
    DURABLE_RETURN_IF_ERROR(StartLocked(start, resp->mutable_start(), &ms));
    run = ms.run_id();
    DURABLE_RETURN_IF_ERROR(AdmitUpdateLocked(ms, ureq.request(), stage, &w, resp->mutable_update()));
    if (!w) return Status::OK();
  }
  const int64_t timeout_us =
      ureq.timeout_us() > 0 ? ureq.timeout_us() : options_.default_poll_timeout_us;
  Status st = WaitUpdate(wf, run, w, stage, timeout_us, resp->mutable_update());
  if (st.code() == StatusCode::kDeadlineExceeded) {
    // The start happened and the update is admitted: say so, and let the caller ask again.
    resp->mutable_update()->set_run_id(run);
    resp->mutable_update()->set_stage(v1::UPDATE_WAIT_STAGE_UNSPECIFIED);
    return Status::OK();
  }
  return st;
}

}  // namespace durable
