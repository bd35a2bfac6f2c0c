// PatchMarkerMachine: one patch (workflow.patched(id) in Python), recorded as a marker.
//
// Marker format: MarkerRecorded{marker_name: "core_patch", details: {"patch_id": Payloads{
// [Payload{data: <patch id, UTF-8>}]}}} (see history/events.h). While replaying, the replayer
// tells the workflow which patches the task recorded (NotifyHasPatch, look-ahead), so that
// patched(id) answers true exactly where the original run took the patched branch. A recorded
// patch marker without a matching command is skipped (deprecate_patch, or a removed patched()
// call) — the replayer does that without a machine.
//
// Transition table:
//
//   state     | event                                   | next
//   ----------+-----------------------------------------+----------
//   Created   | Record (RecordMarker + MarkerRecorded)  | Recorded
#pragma once

#include <string>

#include "machines/machine.h"

namespace durable::machines {

class PatchMarkerMachine {
 public:
  enum class State { kCreated, kRecorded };
  enum class Event { kRecord };

  explicit PatchMarkerMachine(std::string patch_id) : patch_id_(std::move(patch_id)) {}

  Status Handle(Event event, const v1::HistoryEvent& recorded);
  State state() const { return state_; }

 private:
  std::string patch_id_;
  State state_ = State::kCreated;
};

}  // namespace durable::machines
