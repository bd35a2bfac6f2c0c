#include "machines/complete_workflow_machine.h"

namespace durable::machines {

Status CompleteWorkflowMachine::Handle(Event event, const v1::HistoryEvent& recorded) {
  switch (state_) {
    case State::kCreated:
      if (event == Event::kRecord) {
        state_ = State::kClosed;
        return Status::OK();
      }
      break;
    case State::kClosed: break;
  }
  return InvalidTransition("CompleteWorkflowMachine", state_ == State::kCreated ? "Created" : "Closed",
                           "Record", recorded);
}

}  // namespace durable::machines
