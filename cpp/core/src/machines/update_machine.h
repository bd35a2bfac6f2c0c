// UpdateMachine: one workflow update the workflow accepted (by update id). Updates reach the
// workflow as DoUpdate jobs (made by the replayer: from AddPendingUpdates for the live task,
// from the recorded WorkflowExecutionUpdateAccepted when replaying); a rejected update
// (RejectUpdate) leaves no trace in history and has no machine.
//
// Transition table:
//
//   state     | event                                                   | next
//   ----------+---------------------------------------------------------+-----------
//   Created   | Accept (AcceptUpdate + WorkflowExecutionUpdateAccepted) | Accepted
//   Accepted  | Complete (CompleteUpdate + WorkflowExecutionUpdateCompleted) | Completed
#pragma once

#include <string>

#include "machines/machine.h"

namespace durable::machines {

class UpdateMachine {
 public:
  enum class State { kCreated, kAccepted, kCompleted };
  enum class Event { kAccept, kComplete };

  explicit UpdateMachine(std::string update_id) : update_id_(std::move(update_id)) {}

  Status Handle(Event event, const v1::HistoryEvent& recorded);
  State state() const { return state_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  std::string update_id_;
  State state_ = State::kCreated;
};

}  // namespace durable::machines
