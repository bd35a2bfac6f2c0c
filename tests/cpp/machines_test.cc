// The per-command state machines on their own: every row of the transition tables that the
// replay tests do not already reach, and the error for a pair missing from a table.
#include <gtest/gtest.h>

#include "history/workflow_tasks.h"
#include "machines/activity_machine.h"
#include "machines/child_workflow_machine.h"
#include "machines/complete_workflow_machine.h"
#include "machines/patch_marker_machine.h"
#include "machines/timer_machine.h"
#include "machines/update_machine.h"
#include "machines/workflow_machines.h"
#include "util/history_builder.h"

namespace durable::machines {
namespace {

namespace t = ::durable::testing;

v1::HistoryEvent Event(int64_t id) {
  v1::HistoryEvent e;
  e.set_event_id(id);
  return e;
}

TEST(TimerMachineTest, FireAfterCancelIsIgnored) {
  TimerMachine m(t::StartTimer(1).start_timer());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(TimerMachine::Event::kStart, Event(5), &jobs).ok());
  ASSERT_TRUE(m.Handle(TimerMachine::Event::kCancel, Event(9), &jobs).ok());
  ASSERT_TRUE(m.Handle(TimerMachine::Event::kFire, Event(10), &jobs).ok());
  EXPECT_TRUE(jobs.empty());
  EXPECT_EQ(m.state(), TimerMachine::State::kCanceled);
}

TEST(TimerMachineTest, FiringTwiceIsNondeterminismNamingMachineStateAndEvent) {
  TimerMachine m(t::StartTimer(4).start_timer());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(TimerMachine::Event::kStart, Event(5), &jobs).ok());
  ASSERT_TRUE(m.Handle(TimerMachine::Event::kFire, Event(7), &jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].fire_timer().seq(), 4);
  Status s = m.Handle(TimerMachine::Event::kFire, Event(8), &jobs);
  EXPECT_EQ(s.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(s.message(),
            "nondeterminism: TimerMachine(seq=4) in state Fired cannot handle Fire at event 8");
}

TEST(TimerMachineTest, CancelBeforeStartIsNondeterminism) {
  TimerMachine m(t::StartTimer(1).start_timer());
  Jobs jobs;
  EXPECT_EQ(m.Handle(TimerMachine::Event::kCancel, Event(5), &jobs).code(),
            StatusCode::kNondeterminism);
}

TEST(ActivityMachineTest, CompletingTwiceIsNondeterminismNamingMachineStateAndEvent) {
  ActivityMachine m(t::ScheduleActivity(2, "greet").schedule_activity());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(ActivityMachine::Event::kSchedule, Event(5), &jobs).ok());
  v1::HistoryEvent done = Event(7);
  *done.mutable_activity_task_completed()->mutable_result() = t::Str("x");
  ASSERT_TRUE(m.Handle(ActivityMachine::Event::kComplete, done, &jobs).ok());
  EXPECT_EQ(m.state(), ActivityMachine::State::kCompleted);
  done.set_event_id(9);
  Status s = m.Handle(ActivityMachine::Event::kComplete, done, &jobs);
  EXPECT_EQ(s.message(),
            "nondeterminism: ActivityMachine(seq=2) in state Completed cannot handle Complete at "
            "event 9");
  EXPECT_EQ(jobs.size(), 1u);
}

TEST(ActivityMachineTest, FailingBeforeStartIsNondeterminism) {
  ActivityMachine m(t::ScheduleActivity(1, "greet").schedule_activity());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(ActivityMachine::Event::kSchedule, Event(5), &jobs).ok());
  EXPECT_EQ(m.Handle(ActivityMachine::Event::kFail, Event(6), &jobs).code(),
            StatusCode::kNondeterminism);
}

TEST(ActivityMachineTest, CanceledWithoutACancelRequestIsNondeterminism) {
  ActivityMachine m(t::ScheduleActivity(1, "greet").schedule_activity());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(ActivityMachine::Event::kSchedule, Event(5), &jobs).ok());
  Status s = m.Handle(ActivityMachine::Event::kCancel, Event(6), &jobs);
  EXPECT_EQ(s.message(),
            "nondeterminism: ActivityMachine(seq=1) in state Scheduled cannot handle Cancel at "
            "event 6");
}

TEST(ActivityMachineTest, ActivityIdDefaultsToTheSeq) {
  ActivityMachine m(t::ScheduleActivity(3, "greet").schedule_activity());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(ActivityMachine::Event::kSchedule, Event(5), &jobs).ok());
  v1::HistoryEvent timeout = Event(6);
  timeout.mutable_activity_task_timed_out();  // no failure recorded: one is made
  ASSERT_TRUE(m.Handle(ActivityMachine::Event::kTimeOut, timeout, &jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  const v1::Failure& f = jobs[0].resolve_activity().result().failed();
  EXPECT_EQ(f.activity_failure_info().activity_id(), "3");
  EXPECT_TRUE(f.cause().has_timeout_failure_info());
  EXPECT_EQ(f.cause().message(), "activity timeout");
}

TEST(ChildWorkflowMachineTest, StartedTwiceIsNondeterminism) {
  ChildWorkflowMachine m(t::StartChild(1, "c", "child-1").start_child_workflow_execution());
  Jobs jobs;
  ASSERT_TRUE(m.Handle(ChildWorkflowMachine::Event::kInitiate, Event(5), &jobs).ok());
  ASSERT_TRUE(m.Handle(ChildWorkflowMachine::Event::kStart, Event(6), &jobs).ok());
  Status s = m.Handle(ChildWorkflowMachine::Event::kStart, Event(7), &jobs);
  EXPECT_EQ(s.message(),
            "nondeterminism: ChildWorkflowMachine(seq=1) in state Started cannot handle Start at "
            "event 7");
}

TEST(UpdateMachineTest, AcceptingTwiceIsNondeterminism) {
  UpdateMachine m("u1");
  ASSERT_TRUE(m.Handle(UpdateMachine::Event::kAccept, Event(5)).ok());
  EXPECT_EQ(m.Handle(UpdateMachine::Event::kAccept, Event(6)).message(),
            "nondeterminism: UpdateMachine(update_id='u1') in state Accepted cannot handle Accept "
            "at event 6");
}

TEST(PatchMarkerMachineTest, RecordingAPatchTwiceIsNondeterminism) {
  PatchMarkerMachine m("v2");
  ASSERT_TRUE(m.Handle(PatchMarkerMachine::Event::kRecord, Event(5)).ok());
  EXPECT_EQ(m.Handle(PatchMarkerMachine::Event::kRecord, Event(6)).code(),
            StatusCode::kNondeterminism);
}

TEST(CompleteWorkflowMachineTest, ClosingTwiceIsNondeterminism) {
  CompleteWorkflowMachine m;
  ASSERT_TRUE(m.Handle(CompleteWorkflowMachine::Event::kRecord, Event(5)).ok());
  EXPECT_EQ(m.Handle(CompleteWorkflowMachine::Event::kRecord, Event(6)).message(),
            "nondeterminism: CompleteWorkflowMachine in state Closed cannot handle Record at "
            "event 6");
}

TEST(WorkflowMachinesTest, ReusingAnActivitySeqIsInvalidArgument) {
  t::HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityScheduled(1, "a");
  WorkflowMachines m("wf-1", "r");
  Status s = m.MatchCommands({t::ScheduleActivity(1, "a"), t::ScheduleActivity(1, "a")},
                             {&h.history().events(4), &h.history().events(5)}, 4, true);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("seq 1 is already used"), std::string::npos) << s.message();
}

TEST(WorkflowMachinesTest, OutcomeOfAnActivityNoCommandScheduledIsNondeterminism) {
  t::HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityCompleted(1, "x");
  WorkflowMachines m("wf-1", "r");
  Jobs jobs;
  Status s = m.ApplyEvent(h.history().events(6), &jobs);
  EXPECT_EQ(s.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(s.message(),
            "nondeterminism: workflow 'wf-1' run 'r': history has ActivityTaskCompleted at event 7 "
            "for scheduled event 5, which no command of the workflow produced");
}

TEST(WorkflowTasksTest, EventAfterWorkflowTaskStartedMustCloseTheTask) {
  history::Events events;
  for (int i = 1; i <= 3; ++i) events.emplace_back().set_event_id(i);
  events[0].mutable_workflow_execution_started();
  events[1].mutable_workflow_task_started();
  events[2].mutable_timer_fired();
  auto r = history::FindNextWorkflowTask(events, 0);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "malformed history: WorkflowTaskStarted at event 2 is followed by "
            "TimerFired(timer_id='') at event 3, expected WorkflowTaskCompleted, Failed or TimedOut");
}

TEST(WorkflowTasksTest, CommandEventsStopAtTheFirstEventThatArrivedMeanwhile) {
  t::HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityCancelRequested(1).ActivityCanceled(1)
      .TimerStarted(1).Signaled("s", "").Marker("late");
  history::Events events(h.history().events().begin(), h.history().events().end());
  std::vector<size_t> idx = history::CommandEventsAfter(events, 3);
  EXPECT_EQ(idx, (std::vector<size_t>{4, 5, 7}));
}

}  // namespace
}  // namespace durable::machines
