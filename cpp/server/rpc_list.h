// The RPCs of service.proto that map one-to-one onto durable::Service methods with
// `Name##Request` -> `Name##Response`, as X-macro lists: the server's handlers and the remote
// transport's methods are generated from them, so a new RPC is one line here.
//   DURABLE_SHORT_RPCS: answered promptly (they may sync the WAL).
//   DURABLE_WAITING_RPCS: may wait long on the server (a worker's answer, a result); their
//   client-side deadline follows the request's timeout_us. Task polls and
//   PollWorkflowExecutionUpdate (whose response type differs) are written out where used;
//   the remote transport writes out each waiting RPC (its timeout field differs).
#pragma once

#define DURABLE_SHORT_RPCS(X)          \
  X(StartWorkflowExecution)            \
  X(SignalWorkflowExecution)           \
  X(RequestCancelWorkflowExecution)    \
  X(TerminateWorkflowExecution)        \
  X(ResetWorkflowExecution)            \
  X(DescribeWorkflowExecution)         \
  X(ListWorkflowExecutions)            \
  X(CountWorkflowExecutions)           \
  X(AddSearchAttributes)               \
  X(ListSearchAttributes)              \
  X(CreateSchedule)                    \
  X(DescribeSchedule)                  \
  X(UpdateSchedule)                    \
  X(PatchSchedule)                     \
  X(DeleteSchedule)                    \
  X(ListSchedules)                     \
  X(StartBatchOperation)               \
  X(DescribeBatchOperation)            \
  X(ListBatchOperations)               \
  X(StopBatchOperation)                \
  X(RespondWorkflowTaskCompleted)      \
  X(RespondWorkflowTaskFailed)         \
  X(RespondQueryTaskCompleted)         \
  X(RecordActivityTaskHeartbeat)       \
  X(RespondActivityTaskCompleted)      \
  X(RespondActivityTaskFailed)         \
  X(RespondActivityTaskCanceled)       \
  X(GetActivityTaskToken)              \
  X(ShutdownWorker)

#define DURABLE_WAITING_RPCS(X) \
  X(QueryWorkflow)              \
  X(UpdateWorkflowExecution)    \
  X(UpdateWithStartWorkflowExecution) \
  X(GetWorkflowExecutionHistory)
