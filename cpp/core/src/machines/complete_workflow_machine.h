// CompleteWorkflowMachine: the command that closes the run — CompleteWorkflowExecution,
// FailWorkflowExecution, CancelWorkflowExecution or ContinueAsNewWorkflowExecution. At most one
// per run.
//
// Transition table:
//
//   state    | event                                                    | next
//   ---------+----------------------------------------------------------+--------
//   Created  | Record (WorkflowExecution{Completed,Failed,Canceled,     | Closed
//            |         ContinuedAsNew})                                 |
#pragma once

#include "machines/machine.h"

namespace durable::machines {

class CompleteWorkflowMachine {
 public:
  enum class State { kCreated, kClosed };
  enum class Event { kRecord };

  Status Handle(Event event, const v1::HistoryEvent& recorded);
  State state() const { return state_; }

 private:
  State state_ = State::kCreated;
};

}  // namespace durable::machines
