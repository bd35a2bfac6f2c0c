#include "machines/timer_machine.h"

#include <string>

namespace durable::machines {

using S = TimerMachine::State;
using Ev = TimerMachine::Event;

const char* TimerMachine::StateName(State s) {
  switch (s) {
    case S::kCreated: return "Created";
    case S::kStarted: return "Started";
    case S::kFired: return "Fired";
    case S::kCanceled: return "Canceled";
  }
  return "?";
}

const char* TimerMachine::EventName(Event e) {
  switch (e) {
    case Ev::kStart: return "Start";
    case Ev::kFire: return "Fire";
    case Ev::kCancel: return "Cancel";
  }
  return "?";
}

Status TimerMachine::Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs) {
  const S from = state_;
  switch (event) {
    case Ev::kStart:
      if (from == S::kCreated) {
        state_ = S::kStarted;
        return Status::OK();
      }
      break;
    case Ev::kFire:
      if (from == S::kStarted) {
        state_ = S::kFired;
        jobs->emplace_back().mutable_fire_timer()->set_seq(seq_);
        return Status::OK();
      }
      if (from == S::kCanceled) return Status::OK();
      break;
    case Ev::kCancel:
      if (from == S::kStarted) {
        state_ = S::kCanceled;
        return Status::OK();
      }
      break;
  }
  return InvalidTransition("TimerMachine(seq=" + std::to_string(seq_) + ")", StateName(from),
                           EventName(event), recorded);
}

}  // namespace durable::machines
