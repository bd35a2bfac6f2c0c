// The HTTP API's operator endpoints: `POST /invoke/{client}/{workflowId}/reset` (docs/reset.md:
// a reset type or an event id turned into one ResetWorkflowExecution, as `durable workflow
// reset`) and the batch operations under /batch/{namespace} (as `durable batch`).
#include <array>

#include "server/http_api.h"

namespace durable {

namespace {

constexpr std::array<const char*, 3> kResetTypes = {"FirstWorkflowTask", "LastWorkflowTask",
                                                    "LastContinuedAsNew"};
constexpr std::array<const char*, 2> kReapplyTypes = {"Signal", "None"};

// `field` of `body`, one of `choices`, or nullopt when absent.
template <size_t N>
std::optional<std::string> Choice(const Json& body, const std::string& field,
                                  const std::array<const char*, N>& choices) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  std::string names;
  for (const char* c : choices) {
    if (body[field].is_string() && body[field].get<std::string>() == c) return std::string(c);
    names += (names.empty() ? "" : ", ") + std::string(c);
  }
  throw ApiError(400, field + " must be one of " + names, field);
}

// A positive number (an integer when `integer`), or nullopt when absent.
std::optional<double> Positive(const Json& body, const std::string& field, bool integer) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  const Json& v = body[field];
  const bool ok = integer ? v.is_number_integer() : v.is_number();
  if (!ok || v.get<double>() <= 0) {
    throw ApiError(400, field + " must be a positive " + (integer ? "integer" : "number") +
                            ", got " + v.dump(), field);
  }
  return v.get<double>();
}

std::vector<v1::HistoryEvent> History(Service* engine, const std::string& workflow_id,
                                      const std::string& run_id) {
  v1::GetWorkflowExecutionHistoryRequest req;
  req.mutable_execution()->set_workflow_id(workflow_id);
  req.mutable_execution()->set_run_id(run_id);
  v1::GetWorkflowExecutionHistoryResponse resp;
  Check(engine->GetWorkflowExecutionHistory(req, &resp));
  return {resp.history().events().begin(), resp.history().events().end()};
}

// Ids of the events that end a started workflow task: the valid reset points.
std::vector<int64_t> TaskEnds(const std::vector<v1::HistoryEvent>& events) {
  std::vector<int64_t> ends;
  for (size_t i = 1; i < events.size(); ++i) {
    const auto kind = events[i].attributes_case();
    if (events[i - 1].has_workflow_task_started() &&
        (kind == v1::HistoryEvent::kWorkflowTaskCompleted ||
         kind == v1::HistoryEvent::kWorkflowTaskFailed ||
         kind == v1::HistoryEvent::kWorkflowTaskTimedOut)) {
      ends.push_back(events[i].event_id());
    }
  }
  return ends;
}

Json BatchDescription(const v1::DescribeBatchOperationResponse& d) {
  return {{"jobId", d.job_id()},
          {"operationType", EnumName(v1::BatchOperationType_Name(d.operation_type()),
                                     "BATCH_OPERATION_TYPE_")},
          {"state", EnumName(v1::BatchOperationState_Name(d.state()), "BATCH_OPERATION_STATE_")},
          {"totalOperationCount", d.total_operation_count()},
          {"completeOperationCount", d.complete_operation_count()},
          {"failureOperationCount", d.failure_operation_count()},
          {"query", d.visibility_query()},
          {"reason", d.reason()},
          {"identity", d.identity()},
          {"maxOperationsPerSecond", d.max_operations_per_second()},
          {"startTime", Timestamp(d.start_time_us())},
          {"closeTime", Timestamp(d.close_time_us())}};
}

}  // namespace

Json HttpApi::Reset(const WorkflowClientSpec& spec, const std::string& workflow_id,
                    const Json& body) const {
  const std::optional<std::string> reason = StrField(body, "reason");
  if (!reason) {
    throw ApiError(400, "reason is required (why, recorded in both runs' histories)", "reason");
  }
  const std::optional<std::string> reset_type = Choice(body, "resetType", kResetTypes);
  const std::optional<double> event_id = Positive(body, "eventId", /*integer=*/true);
  if (reset_type.has_value() == event_id.has_value()) {
    throw ApiError(400, "give one of resetType (FirstWorkflowTask, LastWorkflowTask, "
                        "LastContinuedAsNew) or eventId", event_id ? "eventId" : "resetType");
  }
  std::string run_id = StrField(body, "runId").value_or("");
  const std::string reapply = Choice(body, "reapplyType", kReapplyTypes).value_or("Signal");
  Service* engine = EngineOf(spec.ns);
  int64_t point = event_id ? static_cast<int64_t>(*event_id) : 0;
  if (!event_id) {
    std::vector<v1::HistoryEvent> events = History(engine, workflow_id, run_id);
    if (*reset_type == "LastContinuedAsNew") {
      run_id = events.empty() ? ""
                              : events[0].workflow_execution_started().continued_execution_run_id();
      if (run_id.empty()) {
        throw ApiError(400, "workflow " + workflow_id + ": its run did not continue another run "
                            "(resetType LastContinuedAsNew needs one)", "resetType");
      }
      events = History(engine, workflow_id, run_id);
    }
    const std::vector<int64_t> ends = TaskEnds(events);
    if (ends.empty()) {
      throw ApiError(400, "workflow " + workflow_id + ": no completed workflow task to reset to",
                     "resetType");
    }
    point = *reset_type == "FirstWorkflowTask" ? ends.front() : ends.back();
  }
  v1::ResetWorkflowExecutionRequest req;
  req.mutable_workflow_execution()->set_workflow_id(workflow_id);
  req.mutable_workflow_execution()->set_run_id(run_id);
  req.set_reason(*reason);
  req.set_workflow_task_finish_event_id(point);
  req.set_request_id(NewUuid());
  req.set_identity(kHttpApiIdentity);
  req.set_reset_reapply_type(reapply == "None" ? v1::RESET_REAPPLY_TYPE_NONE
                                               : v1::RESET_REAPPLY_TYPE_SIGNAL);
  v1::ResetWorkflowExecutionResponse resp;
  Status st = engine->ResetWorkflowExecution(req, &resp);
  if (st.code() == StatusCode::kInvalidArgument && event_id) {
    throw ApiError(400, st.message(), "eventId");  // the engine's word on the event
  }
  Check(st);
  return {{"workflowId", workflow_id}, {"runId", resp.run_id()}, {"eventId", point}};
}

Json HttpApi::StartBatch(const std::string& ns, const std::string& operation,
                         const std::string& signal_name, const Json& body) const {
  if (!body.contains("query") || !body["query"].is_string()) {
    throw ApiError(400, "query is required: a visibility query string (\"\" matches every "
                        "workflow)", "query");
  }
  v1::StartBatchOperationRequest req;
  req.set_visibility_query(body["query"].get<std::string>());
  req.set_reason(StrField(body, "reason")
                     .value_or(operation + " by " + kHttpApiIdentity + " (durable batch)"));
  req.set_max_operations_per_second(Positive(body, "rps", /*integer=*/false).value_or(0));
  req.set_job_id(StrField(body, "jobId").value_or(NewUuid()));
  if (operation == "terminate") {
    req.mutable_termination_operation()->set_identity(kHttpApiIdentity);
  } else if (operation == "cancel") {
    req.mutable_cancellation_operation()->set_identity(kHttpApiIdentity);
  } else {
    v1::BatchOperationSignal* sig = req.mutable_signal_operation();
    sig->set_signal(signal_name);
    sig->set_identity(kHttpApiIdentity);
    *sig->mutable_input() = EncodeArgs(ParamsField(body));
  }
  v1::StartBatchOperationResponse resp;
  Check(EngineOf(ns)->StartBatchOperation(req, &resp));
  return DescribeBatch(ns, req.job_id());
}

Json HttpApi::DescribeBatch(const std::string& ns, const std::string& job_id) const {
  v1::DescribeBatchOperationRequest req;
  req.set_job_id(job_id);
  v1::DescribeBatchOperationResponse resp;
  Check(EngineOf(ns)->DescribeBatchOperation(req, &resp));
  return BatchDescription(resp);
}

Json HttpApi::ListBatches(const std::string& ns) const {
  Service* engine = EngineOf(ns);
  Json rows = Json::array();
  std::string token;
  do {
    v1::ListBatchOperationsRequest req;
    req.set_next_page_token(token);
    v1::ListBatchOperationsResponse resp;
    Check(engine->ListBatchOperations(req, &resp));
    for (const v1::BatchOperationInfo& i : resp.operation_info()) {
      rows.push_back({{"jobId", i.job_id()},
                      {"state", EnumName(v1::BatchOperationState_Name(i.state()),
                                         "BATCH_OPERATION_STATE_")},
                      {"startTime", Timestamp(i.start_time_us())},
                      {"closeTime", Timestamp(i.close_time_us())}});
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return {{"operations", rows}};
}

Json HttpApi::StopBatch(const std::string& ns, const std::string& job_id,
                        const Json& body) const {
  v1::StopBatchOperationRequest req;
  req.set_job_id(job_id);
  req.set_reason(StrField(body, "reason").value_or(""));
  req.set_identity(kHttpApiIdentity);
  v1::StopBatchOperationResponse resp;
  Check(EngineOf(ns)->StopBatchOperation(req, &resp));
  return {{"jobId", job_id}, {"stopped", true}};
}

}  // namespace durable
