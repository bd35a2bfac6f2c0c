// TimerMachine: one durable timer started by the workflow (StartTimer, by seq; the engine names
// it timer_id = str(seq)).
//
// Transition table:
//
//   state     | event                         | next      | job
//   ----------+-------------------------------+-----------+----------
//   Created   | Start (TimerStarted)          | Started   |
//   Started   | Fire (TimerFired)             | Fired     | FireTimer
//   Started   | Cancel (CancelTimer + TimerCanceled) | Canceled |
//   Canceled  | Fire                          | Canceled  |            (fired while the cancel
//                                                                      was in flight: ignored)
//
// A canceled timer resolves nothing: the SDK resolves its own sleep when it cancels.
#pragma once

#include "durable/v1/commands.pb.h"
#include "machines/machine.h"

namespace durable::machines {

class TimerMachine {
 public:
  enum class State { kCreated, kStarted, kFired, kCanceled };
  enum class Event { kStart, kFire, kCancel };

  explicit TimerMachine(const v1::StartTimerCommand& command) : seq_(command.seq()) {}

  Status Handle(Event event, const v1::HistoryEvent& recorded, Jobs* jobs);

  State state() const { return state_; }
  static const char* StateName(State s);
  static const char* EventName(Event e);

 private:
  int32_t seq_;
  State state_ = State::kCreated;
};

}  // namespace durable::machines
