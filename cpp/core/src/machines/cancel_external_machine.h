// CancelExternalMachine: one cancellation requested of another workflow
// (RequestCancelExternalWorkflowExecution, by seq; with child_workflow_only it cancels a child).
//
// Transition table:
//
//   state      | event                                                      | next            | job
//   -----------+------------------------------------------------------------+-----------------+-------------------------------
//   Created    | Initiate (RequestCancelExternalWorkflowExecutionInitiated) | Initiated       |
//   Initiated  | Deliver (ExternalWorkflowExecutionCancelRequested)         | CancelRequested | ResolveRequestCancelExternalWorkflow
//   Initiated  | Fail (RequestCancelExternalWorkflowExecutionFailed)        | Failed          | ResolveRequestCancelExternalWorkflow failure
#pragma once

#include "durable/v1/commands.pb.h"
#include "machines/machine.h"

namespace durable::machines {

class CancelExternalMachine {
 public:
  enum class State { kCreated, kInitiated, kCancelRequested, kFailed };
  enum class Event { kInitiate, kDeliver, kFail };

  explicit CancelExternalMachine(int32_t seq) : seq_(seq) {}

  Status Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs);
  State state() const { return state_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  int32_t seq_;
  State state_ = State::kCreated;
};

}  // namespace durable::machines
