#include "machines/patch_marker_machine.h"

namespace durable::machines {

Status PatchMarkerMachine::Handle(Event event, const v1::HistoryEvent& recorded) {
  if (state_ == State::kCreated && event == Event::kRecord) {
    state_ = State::kRecorded;
    return Status::OK();
  }
  return InvalidTransition("PatchMarkerMachine(patch_id='" + patch_id_ + "')",
                           state_ == State::kCreated ? "Created" : "Recorded", "Record", recorded);
}

}  // namespace durable::machines
