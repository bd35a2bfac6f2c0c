// What the engine tells visibility: the record of a run (built from its mutable state and
// rewritten in the batch of each transition that changes it: start, close, search attribute
// and memo upserts), search attribute validation, and the list / count / search attribute
// calls, answered by visibility::VisibilityStore.
#include "engine/engine_impl.h"

namespace durable {

v1::VisibilityRecord VisibilityRecordOf(const v1::ExecutionState& ms) {
  v1::VisibilityRecord r;
  r.set_namespace_(ms.namespace_());
  r.set_workflow_id(ms.workflow_id());
  r.set_run_id(ms.run_id());
  r.set_workflow_type(ms.started().workflow_type());
  r.set_task_queue(ms.started().task_queue());
  r.set_status(ms.status());
  r.set_start_time_us(ms.start_time_us());
  r.set_close_time_us(IsOpen(ms) ? 0 : ms.close_time_us());
  r.set_history_length(IsOpen(ms) ? 0 : ms.close_event_id());
  r.set_execution_time_us(ms.execution_time_us());
  if (ms.started().has_parent()) {
    r.set_parent_workflow_id(ms.started().parent().workflow_id());
    r.set_parent_run_id(ms.started().parent().run_id());
  }
  const v1::WorkflowExecution root = RootOf(ms);
  r.set_root_workflow_id(root.workflow_id());
  r.set_root_run_id(root.run_id());
  *r.mutable_search_attributes() = ms.search_attributes();
  *r.mutable_memo() = ms.memo();
  return r;
}

void EngineImpl::MarkVisibilityChanged(Txn& txn, const v1::ExecutionState& ms) {
  txn.visibility_changed.insert(RunKey(ms.workflow_id(), ms.run_id()));
}

void EngineImpl::MergeSearchAttributes(const v1::SearchAttributes& upsert,
                                       v1::SearchAttributes* current) {
  auto* f = current->mutable_indexed_fields();
  for (const auto& [name, v] : upsert.indexed_fields()) {
    if (v.type() == v1::INDEXED_VALUE_TYPE_UNSPECIFIED) {
      f->erase(name);
    } else {
      (*f)[name] = v;
    }
  }
}

Status EngineImpl::ValidateSearchAttributes(const std::string& ns, const v1::SearchAttributes& attrs,
                                            bool allow_remove, const std::string& wf) {
  return visibility_->Validate(ns, attrs, allow_remove, " (workflow '" + wf + "')");
}

Status EngineImpl::ListWorkflowExecutions(const v1::ListWorkflowExecutionsRequest& req,
                                          v1::ListWorkflowExecutionsResponse* resp) {
  DURABLE_ENTER();
  return visibility_->List(req, resp);
}

Status EngineImpl::CountWorkflowExecutions(const v1::CountWorkflowExecutionsRequest& req,
                                           v1::CountWorkflowExecutionsResponse* resp) {
  DURABLE_ENTER();
  return visibility_->Count(req, resp);
}

Status EngineImpl::AddSearchAttributes(const v1::AddSearchAttributesRequest& req,
                                       v1::AddSearchAttributesResponse* resp) {
  DURABLE_ENTER();
  return visibility_->AddSearchAttributes(req);
}

Status EngineImpl::ListSearchAttributes(const v1::ListSearchAttributesRequest& req,
                                        v1::ListSearchAttributesResponse* resp) {
  DURABLE_ENTER();
  return visibility_->ListSearchAttributes(req, resp);
}

}  // namespace durable
