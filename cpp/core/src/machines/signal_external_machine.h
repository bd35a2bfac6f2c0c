// SignalExternalMachine: one signal sent to another workflow (SignalExternalWorkflowExecution,
// by seq).
//
// Transition table:
//
//   state      | event                                                  | next      | job
//   -----------+--------------------------------------------------------+-----------+-------------------------------
//   Created    | Initiate (SignalExternalWorkflowExecutionInitiated)    | Initiated |
//   Initiated  | Deliver (ExternalWorkflowExecutionSignaled)            | Signaled  | ResolveSignalExternalWorkflow
//   Initiated  | Fail (SignalExternalWorkflowExecutionFailed)           | Failed    | ResolveSignalExternalWorkflow failure
#pragma once

#include "durable/v1/commands.pb.h"
#include "machines/machine.h"

namespace durable::machines {

class SignalExternalMachine {
 public:
  enum class State { kCreated, kInitiated, kSignaled, kFailed };
  enum class Event { kInitiate, kDeliver, kFail };

  explicit SignalExternalMachine(int32_t seq) : seq_(seq) {}

  Status Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs);
  State state() const { return state_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  int32_t seq_;
  State state_ = State::kCreated;
};

}  // namespace durable::machines
