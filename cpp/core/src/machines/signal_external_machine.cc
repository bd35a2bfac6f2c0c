#include "machines/signal_external_machine.h"

#include <string>

namespace durable::machines {

using S = SignalExternalMachine::State;
using Ev = SignalExternalMachine::Event;

const char* SignalExternalMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kInitiated: return "Initiated";
    case S::kSignaled: return "Signaled";
    case S::kFailed: return "Failed";
  }
  return "?";
}

const char* SignalExternalMachine::EventName(Event e) {
  switch (e) {
    case Ev::kInitiate: return "Initiate";
    case Ev::kDeliver: return "Deliver";
    case Ev::kFail: return "Fail";
  }
  return "?";
}

Status SignalExternalMachine::Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs) {
  const S from = state_;
  if (from == S::kCreated && event == Ev::kInitiate) {
    state_ = S::kInitiated;
    return Status::OK();
  }
  if (from == S::kInitiated && (event == Ev::kDeliver || event == Ev::kFail)) {
    auto* r = jobs->emplace_back().mutable_resolve_signal_external_workflow();
    r->set_seq(seq_);
    if (event == Ev::kFail) {
      state_ = S::kFailed;
      const auto& a = recorded.signal_external_workflow_execution_failed();
      v1::Failure* f = r->mutable_failure();
      f->set_message("unable to signal external workflow '" + a.workflow_execution().workflow_id() +
                     "': " + (a.cause().empty() ? "external_workflow_execution_not_found" : a.cause()));
      f->set_source("core");
      f->mutable_application_failure_info()->set_type("SignalExternalWorkflowExecutionFailed");
      f->mutable_application_failure_info()->set_non_retryable(true);
    } else {
      state_ = S::kSignaled;
    }
    return Status::OK();
  }
  return InvalidTransition("SignalExternalMachine(seq=" + std::to_string(seq_) + ")",
                           StateName(from), EventName(event), recorded);
}

}  // namespace durable::machines
