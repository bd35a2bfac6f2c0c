// Names and one-line descriptions of history events and commands, and the classification of
// events the replay core relies on (which events are the record of a workflow command).
// Used in error messages: "ActivityTaskScheduled(seq=1, type='greet') at event 5".
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "durable/v1/activation.pb.h"
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
// update Accepted/Completed events, UpsertWorkflowSearchAttributes, WorkflowPropertiesModified
// and the four workflow-closing events a command produces).
bool IsCommandEvent(const v1::HistoryEvent& event);

// True for commands that never produce a history event (RejectUpdate, RespondToQuery, and the
// local activity commands, which the replay core consumes).
bool IsUnrecordedCommand(const v1::Command& command);

// Marker name of patches. A patch marker's details hold key "patch_id" whose Payloads has one
// Payload; its `data` is the patch id as UTF-8. (Python's workflow.patched(id) records it.)
inline constexpr char kPatchMarkerName[] = "core_patch";
inline constexpr char kPatchIdDetailKey[] = "patch_id";

// The patch id of a "core_patch" marker event / RecordMarker command; empty if not a patch.
std::string PatchIdOf(const v1::HistoryEvent& event);
std::string PatchIdOf(const v1::Command& command);

// Local activity markers. When the worker resolves a local activity, the replay core adds
//   RecordMarker{marker_name: "core_local_activity", details: {...}, failure: ...}
// to the task's commands at that point. Every detail is a Payloads holding one Payload without
// metadata whose `data` is:
//   "seq"           the ScheduleLocalActivity's seq, decimal ASCII ("3": also its JSON form)
//   "activity_id"   UTF-8 (str(seq) when the command left it empty)
//   "activity_type" UTF-8
//   "attempt"       the attempt that produced the outcome, decimal ASCII (>= 1)
//   "elapsed_us"    time the worker spent on it over all attempts, decimal ASCII microseconds
//   "outcome"       "completed", "failed" or "cancelled"
// and, when completed, "result": the activity's result Payloads as returned (any number of
// payloads, their metadata kept). When failed or cancelled, the marker's `failure` holds the
// failure the workflow received: an ActivityFailure (activity_failure_info) whose cause is the
// activity's error (failed) or a CanceledFailure (cancelled). Replay hands out exactly that.
inline constexpr char kLocalActivityMarkerName[] = "core_local_activity";

struct LocalActivityMarker {
  int32_t seq = 0;
  std::string activity_id;
  std::string activity_type;
  int32_t attempt = 1;
  int64_t elapsed_us = 0;
  v1::ActivityResolution result;  // failure (if any) as the workflow receives it
};

v1::Command MakeLocalActivityMarker(const LocalActivityMarker& marker);

// The marker of a "core_local_activity" MarkerRecorded event / RecordMarker command; nullopt
// for any other marker, or one whose "seq" / "outcome" detail is missing or malformed.
std::optional<LocalActivityMarker> LocalActivityMarkerOf(const v1::HistoryEvent& event);
std::optional<LocalActivityMarker> LocalActivityMarkerOf(const v1::Command& command);

// True for a marker event / RecordMarker command named "core_local_activity" (well-formed or not).
bool IsLocalActivityMarker(const v1::HistoryEvent& event);
bool IsLocalActivityMarker(const v1::Command& command);

}  // namespace durable::history
