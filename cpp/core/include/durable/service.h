// Service: the one API of durable (proto/durable/v1/service.proto). Two implementations:
// the embedded engine (OpenEngine in engine.h) and, later, the gRPC client of durable-server.
// The Python bindings wrap this interface once and never know which one they hold.
//
// Thread-safe: every method may be called from many threads at once. Poll methods block
// the calling thread until a task arrives or their timeout passes (then they return OK with
// an empty response: no task_token).
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "durable/status.h"
#include "durable/v1/service.pb.h"

namespace durable {

class Service {
 public:
  virtual ~Service() = default;

  // Starts a run. kAlreadyExists when the id is running (conflict policy FAIL) or the reuse
  // policy refuses; kInvalidArgument for an empty id/type/queue or an oversized payload.
  virtual Status StartWorkflowExecution(const v1::StartWorkflowExecutionRequest& req,
                                        v1::StartWorkflowExecutionResponse* resp) = 0;
  // kNotFound for an unknown workflow; kFailedPrecondition when the run is closed.
  virtual Status SignalWorkflowExecution(const v1::SignalWorkflowExecutionRequest& req,
                                         v1::SignalWorkflowExecutionResponse* resp) = 0;
  virtual Status QueryWorkflow(const v1::QueryWorkflowRequest& req,
                               v1::QueryWorkflowResponse* resp) = 0;
  virtual Status UpdateWorkflowExecution(const v1::UpdateWorkflowExecutionRequest& req,
                                         v1::UpdateWorkflowExecutionResponse* resp) = 0;
  virtual Status PollWorkflowExecutionUpdate(const v1::PollWorkflowExecutionUpdateRequest& req,
                                             v1::UpdateWorkflowExecutionResponse* resp) = 0;
  // Update-with-start: the start (as StartWorkflowExecution; id_conflict_policy required)
  // and the update admitted to the run it ends on, in one step; then waits for the update's
  // stage (response update.stage UNSPECIFIED when update.timeout_us passes first).
  // kInvalidArgument without a conflict policy, with a signal, or with another workflow id.
  virtual Status UpdateWithStartWorkflowExecution(
      const v1::UpdateWithStartWorkflowExecutionRequest& req,
      v1::UpdateWithStartWorkflowExecutionResponse* resp) = 0;
  virtual Status RequestCancelWorkflowExecution(
      const v1::RequestCancelWorkflowExecutionRequest& req,
      v1::RequestCancelWorkflowExecutionResponse* resp) = 0;
  virtual Status TerminateWorkflowExecution(const v1::TerminateWorkflowExecutionRequest& req,
                                            v1::TerminateWorkflowExecutionResponse* resp) = 0;
  // A new run from the end of an earlier workflow task of a run (docs/reset.md); returns its
  // run id, and terminates the current run if it is open. kNotFound for an unknown workflow or
  // event; kInvalidArgument when the event does not end a workflow task; kFailedPrecondition
  // when the history before that point has a child workflow or an external signal/cancel
  // still pending, or the run is a child workflow.
  virtual Status ResetWorkflowExecution(const v1::ResetWorkflowExecutionRequest& req,
                                        v1::ResetWorkflowExecutionResponse* resp) = 0;
  virtual Status DescribeWorkflowExecution(const v1::DescribeWorkflowExecutionRequest& req,
                                           v1::DescribeWorkflowExecutionResponse* resp) = 0;
  // With wait_new_event, parks until the history grows past from_event_id (or the run
  // closes, with close_event_only); kDeadlineExceeded when timeout_us passes first.
  virtual Status GetWorkflowExecutionHistory(const v1::GetWorkflowExecutionHistoryRequest& req,
                                             v1::GetWorkflowExecutionHistoryResponse* resp) = 0;
  // Executions of a namespace matching `query` (Temporal's list filter language,
  // docs/visibility.md), in the query's ORDER BY (default: newest start first), one page at a
  // time; pass next_page_token back for the next page (empty: no more). kInvalidArgument for
  // a malformed query (naming the token and its position), an unknown attribute, a value of
  // the wrong type, or a token of another query.
  virtual Status ListWorkflowExecutions(const v1::ListWorkflowExecutionsRequest& req,
                                        v1::ListWorkflowExecutionsResponse* resp) = 0;
  // How many executions match `query`; with GROUP BY ExecutionStatus also one group per status
  // present. Errors as ListWorkflowExecutions.
  virtual Status CountWorkflowExecutions(const v1::CountWorkflowExecutionsRequest& req,
                                         v1::CountWorkflowExecutionsResponse* resp) = 0;
  // Registers custom search attributes of a namespace (durably; idempotent for the same type).
  // kAlreadyExists when a name is built in or registered with another type; kInvalidArgument
  // for a bad name or type; kResourceExhausted past 256 attributes.
  virtual Status AddSearchAttributes(const v1::AddSearchAttributesRequest& req,
                                     v1::AddSearchAttributesResponse* resp) = 0;
  // The namespace's custom attributes and the built-in ones, with their types.
  virtual Status ListSearchAttributes(const v1::ListSearchAttributesRequest& req,
                                      v1::ListSearchAttributesResponse* resp) = 0;

  // Schedules (docs/schedules.md). kAlreadyExists for an existing id; kInvalidArgument for a
  // bad spec (unknown time zone, range outside its field, malformed cron), an action without
  // workflow id / type / queue, or unregistered search attributes.
  virtual Status CreateSchedule(const v1::CreateScheduleRequest& req,
                                v1::CreateScheduleResponse* resp) = 0;
  // The schedule, its info (recent actions with their runs' status, running runs) and its next
  // action times. kNotFound for an unknown id (as for every schedule call below).
  virtual Status DescribeSchedule(const v1::DescribeScheduleRequest& req,
                                  v1::DescribeScheduleResponse* resp) = 0;
  // Replaces the schedule (info kept); the new spec applies from now on. Errors as Create.
  virtual Status UpdateSchedule(const v1::UpdateScheduleRequest& req,
                                v1::UpdateScheduleResponse* resp) = 0;
  // Pause / unpause (with a note), trigger now, backfill periods. kInvalidArgument for pause
  // and unpause at once or a backfill that ends before it starts.
  virtual Status PatchSchedule(const v1::PatchScheduleRequest& req,
                               v1::PatchScheduleResponse* resp) = 0;
  // Deletes the schedule; runs it started go on.
  virtual Status DeleteSchedule(const v1::DeleteScheduleRequest& req,
                                v1::DeleteScheduleResponse* resp) = 0;
  // The namespace's schedules by id, a page at a time.
  virtual Status ListSchedules(const v1::ListSchedulesRequest& req,
                               v1::ListSchedulesResponse* resp) = 0;

  // Batch operations (docs/batch.md): terminate, cancel or signal every execution matching a
  // visibility query, at most max_operations_per_second, driven by the engine (durable:
  // resumes after a restart, never acts twice on one execution). kInvalidArgument for an
  // empty job id / reason, no operation, a malformed query or a negative rate;
  // kAlreadyExists for a job id in use.
  virtual Status StartBatchOperation(const v1::StartBatchOperationRequest& req,
                                     v1::StartBatchOperationResponse* resp) = 0;
  // State and progress (total / complete / failure counts). kNotFound for an unknown job id
  // (as for Stop).
  virtual Status DescribeBatchOperation(const v1::DescribeBatchOperationRequest& req,
                                        v1::DescribeBatchOperationResponse* resp) = 0;
  // The namespace's batch operations by job id, a page at a time.
  virtual Status ListBatchOperations(const v1::ListBatchOperationsRequest& req,
                                     v1::ListBatchOperationsResponse* resp) = 0;
  // Stops a running batch (state FAILED); what it did stays done. OK if already closed.
  virtual Status StopBatchOperation(const v1::StopBatchOperationRequest& req,
                                    v1::StopBatchOperationResponse* resp) = 0;

  virtual Status PollWorkflowTaskQueue(const v1::PollWorkflowTaskQueueRequest& req,
                                       v1::PollWorkflowTaskQueueResponse* resp) = 0;
  // kNotFound for a stale token (the task timed out or was completed already).
  virtual Status RespondWorkflowTaskCompleted(const v1::RespondWorkflowTaskCompletedRequest& req,
                                              v1::RespondWorkflowTaskCompletedResponse* resp) = 0;
  virtual Status RespondWorkflowTaskFailed(const v1::RespondWorkflowTaskFailedRequest& req,
                                           v1::RespondWorkflowTaskFailedResponse* resp) = 0;
  virtual Status RespondQueryTaskCompleted(const v1::RespondQueryTaskCompletedRequest& req,
                                           v1::RespondQueryTaskCompletedResponse* resp) = 0;

  virtual Status PollActivityTaskQueue(const v1::PollActivityTaskQueueRequest& req,
                                       v1::PollActivityTaskQueueResponse* resp) = 0;
  virtual Status RecordActivityTaskHeartbeat(const v1::RecordActivityTaskHeartbeatRequest& req,
                                             v1::RecordActivityTaskHeartbeatResponse* resp) = 0;
  virtual Status RespondActivityTaskCompleted(const v1::RespondActivityTaskCompletedRequest& req,
                                              v1::RespondActivityTaskCompletedResponse* resp) = 0;
  virtual Status RespondActivityTaskFailed(const v1::RespondActivityTaskFailedRequest& req,
                                           v1::RespondActivityTaskFailedResponse* resp) = 0;
  virtual Status RespondActivityTaskCanceled(const v1::RespondActivityTaskCanceledRequest& req,
                                             v1::RespondActivityTaskCanceledResponse* resp) = 0;
  virtual Status GetActivityTaskToken(const v1::GetActivityTaskTokenRequest& req,
                                      v1::GetActivityTaskTokenResponse* resp) = 0;
  virtual Status ShutdownWorker(const v1::ShutdownWorkerRequest& req,
                                v1::ShutdownWorkerResponse* resp) = 0;

  // Asynchronous forms of the two task polls, for durable-server: they return at once and
  // call `done` exactly once, later and possibly on another thread, with what the blocking
  // form would return (`resp` filled when a task came). `req` is copied; `resp` must stay
  // valid until `done` runs. The defaults run the blocking form on the calling thread; the
  // engine parks such a poll as a record, not a thread. Once `*abandoned` (optional) turns
  // true — the caller went away — no task is handed to the poll any more.
  using Done = std::function<void(Status)>;
  using Abandoned = std::shared_ptr<const std::atomic<bool>>;
  virtual void PollWorkflowTaskQueueAsync(const v1::PollWorkflowTaskQueueRequest& req,
                                          v1::PollWorkflowTaskQueueResponse* resp, Done done,
                                          Abandoned abandoned = nullptr) {
    done(PollWorkflowTaskQueue(req, resp));
  }
  virtual void PollActivityTaskQueueAsync(const v1::PollActivityTaskQueueRequest& req,
                                          v1::PollActivityTaskQueueResponse* resp, Done done,
                                          Abandoned abandoned = nullptr) {
    done(PollActivityTaskQueue(req, resp));
  }
};

}  // namespace durable
