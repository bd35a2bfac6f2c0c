// What the per-command state machines share: the job list they append resolutions to, and the
// error for a (state, event) pair missing from a machine's transition table.
//
// Every machine follows one pattern (after Temporal's sdk-core, worker/workflow/machines/):
// its transition table as a comment at the top of its header, an `enum class State`, an
// `enum class Event` (commands matched with their recorded event, and recorded events), and
// one `Handle(event, recorded, jobs)` that switches on (state, event). A pair not in the table
// is a non-determinism error naming the machine, the state and the event.
// Machines are driven by WorkflowMachines only. Not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "durable/status.h"
#include "durable/v1/activation.pb.h"
#include "durable/v1/history.pb.h"

namespace durable::machines {

namespace v1 = ::durable::v1;

using Jobs = std::vector<v1::WorkflowActivationJob>;

// "nondeterminism: ActivityMachine(seq=1) in state Completed cannot handle
//  ActivityTaskCompleted at event 12".
Status InvalidTransition(std::string_view machine, std::string_view state, std::string_view event,
                         const v1::HistoryEvent& recorded);

}  // namespace durable::machines
