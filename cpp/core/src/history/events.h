// Names and one-line descriptions of history events and commands, and the classification of
// events the replay core relies on (which events are the record of a workflow command).
// Used in error messages: "ActivityTaskScheduled(seq=1, type='greet') at event 5".
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "durable/v1/commands.pb.h"
#include "durable/v1/history.pb.h"

namespace durable::history {

namespace v1 = ::durable::v1;

// "ActivityTaskScheduled", "TimerFired", ... ("Unknown" for an event with no attributes).
const char* EventTypeName(const v1::HistoryEvent& event);

// The event type with its identifying attributes: "ActivityTaskScheduled(seq=1, type='greet')".
std::string DescribeEvent(const v1::HistoryEvent& event);

// "ScheduleActivity", "StartTimer", ...
const char* CommandName(const v1::Command& command);

// The command with its identifying attributes: "ScheduleActivity(seq=1, type='greet')".
std::string DescribeCommand(const v1::Command& command);

// True for the events the engine writes for a workflow command, right after the
// WorkflowTaskCompleted of the task that issued it (ActivityTaskScheduled, TimerStarted,
// TimerCanceled, ActivityTaskCancelRequested, MarkerRecorded, the *Initiated events, the
// update Accepted/Completed events and the four workflow-closing events a command produces).
bool IsCommandEvent(const v1::HistoryEvent& event);

// True for commands that never produce a history event (RejectUpdate, RespondToQuery).
bool IsUnrecordedCommand(const v1::Command& command);

// Marker name of patches. A patch marker's details hold key "patch_id" whose Payloads has one
// Payload; its `data` is the patch id as UTF-8. (Python's workflow.patched(id) records it.)
inline constexpr char kPatchMarkerName[] = "core_patch";
inline constexpr char kPatchIdDetailKey[] = "patch_id";

// The patch id of a "core_patch" marker event / RecordMarker command; empty if not a patch.
std::string PatchIdOf(const v1::HistoryEvent& event);
std::string PatchIdOf(const v1::Command& command);

}  // namespace durable::history
