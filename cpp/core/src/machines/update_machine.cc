#include "machines/update_machine.h"

namespace durable::machines {

using S = UpdateMachine::State;
using Ev = UpdateMachine::Event;

const char* UpdateMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kAccepted: return "Accepted";
    case S::kCompleted: return "Completed";
  }
  return "?";
}

const char* UpdateMachine::EventName(Event e) {
  return e == Ev::kAccept ? "Accept" : "Complete";
}

Status UpdateMachine::Handle(Event event, const v1::HistoryEvent& recorded) {
  const S from = state_;
  if (from == S::kCreated && event == Ev::kAccept) {
    state_ = S::kAccepted;
    return Status::OK();
  }
  if (from == S::kAccepted && event == Ev::kComplete) {
    state_ = S::kCompleted;
    return Status::OK();
  }
  return InvalidTransition("UpdateMachine(update_id='" + update_id_ + "')", StateName(from),
                           EventName(event), recorded);
}

}  // namespace durable::machines
