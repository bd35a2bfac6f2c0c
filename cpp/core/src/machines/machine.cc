#include "machines/machine.h"

namespace durable::machines {

Status InvalidTransition(std::string_view machine, std::string_view state, std::string_view event,
                         const v1::HistoryEvent& recorded) {
  return Status::Nondeterminism("nondeterminism: " + std::string(machine) + " in state " +
                                std::string(state) + " cannot handle " + std::string(event) +
                                " at event " + std::to_string(recorded.event_id()));
}

}  // namespace durable::machines
