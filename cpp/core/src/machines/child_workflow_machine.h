// ChildWorkflowMachine: one child workflow started by the workflow (StartChildWorkflowExecution,
// by seq).
//
// Transition table:
//
//   state       | event                                              | next        | job
//   ------------+----------------------------------------------------+-------------+-----------------
//   Created     | Initiate (StartChildWorkflowExecutionInitiated)    | Initiated   |
//   Initiated   | StartFail (StartChildWorkflowExecutionFailed)      | StartFailed | ResolveChildWorkflowExecutionStart failed_cause
//   Initiated   | Start (ChildWorkflowExecutionStarted)              | Started     | ResolveChildWorkflowExecutionStart succeeded_run_id
//   Started     | Complete (ChildWorkflowExecutionCompleted)         | Closed      | ResolveChildWorkflowExecution completed
//   Started     | Fail (ChildWorkflowExecutionFailed)                | Closed      | ResolveChildWorkflowExecution failed
//   Started     | Cancel (ChildWorkflowExecutionCanceled)            | Closed      | ResolveChildWorkflowExecution cancelled
//   Started     | TimeOut (ChildWorkflowExecutionTimedOut)           | Closed      | ResolveChildWorkflowExecution failed
//   Started     | Terminate (ChildWorkflowExecutionTerminated)       | Closed      | ResolveChildWorkflowExecution failed
//
// As in Temporal, every unsuccessful outcome reaches the workflow as a failure with
// child_workflow_failure_info whose cause says what happened (the child's failure, a
// CanceledFailure, a TimeoutFailure or a TerminatedFailure).
// Cancelling a child is RequestCancelExternal with child_workflow_only (CancelExternalMachine).
#pragma once

#include <string>

#include "durable/v1/commands.pb.h"
#include "machines/machine.h"

namespace durable::machines {

class ChildWorkflowMachine {
 public:
  enum class State { kCreated, kInitiated, kStartFailed, kStarted, kClosed };
  enum class Event { kInitiate, kStartFail, kStart, kComplete, kFail, kCancel, kTimeOut, kTerminate };

  explicit ChildWorkflowMachine(const v1::StartChildWorkflowExecutionCommand& command)
      : seq_(command.seq()), workflow_id_(command.workflow_id()), workflow_type_(command.workflow_type()) {}

  Status Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs);

  State state() const { return state_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  v1::Failure Wrap(v1::Failure cause, v1::RetryState retry_state) const;
  void ResolveWith(v1::ChildWorkflowResult result, Jobs* jobs) const;

  int32_t seq_;
  std::string workflow_id_;
  std::string workflow_type_;
  std::string run_id_;  // of the started child
  State state_ = State::kCreated;
  int64_t initiated_event_id_ = 0;
  int64_t started_event_id_ = 0;
};

}  // namespace durable::machines
