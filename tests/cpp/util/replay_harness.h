// Runs a scripted workflow against WorkflowReplayer the three ways every replay test uses
// (STYLE.md): incrementally (one task at a time, as a sticky worker receives them), as one full
// replay, and with the replayer evicted after every task (a fresh replayer fed the history up to
// that task, replaying everything before it).
//
// A Script answers the n-th activation (0-based) with commands. Since the n-th activation is the
// same workflow task in every mode, a script that depends only on (n, activation) behaves like
// deterministic workflow code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "durable/replay.h"
#include "util/history_builder.h"

namespace durable::testing {

using Script = std::function<std::vector<v1::Command>(int n, const v1::WorkflowActivation&)>;

// A script issuing commands[n] for the n-th activation (nothing past the end).
Script Commands(std::vector<std::vector<v1::Command>> commands);

// Runs a live local activity: the outcome the worker reports (attempt 1, elapsed 0). The
// harness resolves every request (and every cancel, as Cancelled()) before asking for the next
// activation. Replayed tasks never ask: their markers resolve them.
using LocalActivityRunner =
    std::function<v1::ActivityResolution(const v1::ScheduleLocalActivityCommand&)>;

enum class Mode { kIncremental, kFullReplay, kEvictEveryTask };
const char* ModeName(Mode mode);

struct ReplayRun {
  Status status;                          // first error (OK if none)
  std::vector<std::string> activations;   // DescribeActivation of each, in order
  std::vector<bool> replaying;            // is_replaying of each
  std::vector<v1::WorkflowActivation> raw;  // the activations themselves
  std::vector<v1::Command> live_commands; // TakeCommands() after the last activation
  int local_activities_run = 0;           // live local activities the runner ran
};

ReplayRun RunOneWay(Mode mode, const v1::History& history, const Script& script,
                    const std::string& run_id = "r", const LocalActivityRunner& runner = nullptr);

// Runs the three modes, EXPECTs that they produce the same activations (up to the first error)
// and the same error, and returns the full-replay run. Incremental runs see every task live; in
// the two others only a trailing WorkflowTaskStarted is live — that is checked too (every
// activation of that task, local activities' included).
ReplayRun RunThreeWays(const v1::History& history, const Script& script,
                       const std::string& run_id = "r", const LocalActivityRunner& runner = nullptr);

}  // namespace durable::testing
