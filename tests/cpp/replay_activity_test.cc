// WorkflowReplayer: workflow start, activities, closing the run, folding failed workflow tasks,
// incremental history and non-determinism. Every history runs three ways (RunThreeWays).
#include <gtest/gtest.h>

#include "durable/replay.h"
#include "util/history_builder.h"
#include "util/replay_harness.h"

namespace durable::testing {
namespace {

using Lines = std::vector<std::string>;

TEST(ReplayActivityTest, HistoryBuilderWritesOneEventPerLine) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").ActivityCompleted(1, "hi").Task();
  EXPECT_EQ(h.ToString(),
            "1 WorkflowExecutionStarted\n2 WorkflowTaskScheduled\n3 WorkflowTaskStarted\n"
            "4 WorkflowTaskCompleted\n5 ActivityTaskScheduled\n6 ActivityTaskStarted\n"
            "7 ActivityTaskCompleted\n8 WorkflowTaskScheduled\n9 WorkflowTaskStarted\n");
}

TEST(ReplayActivityTest, FirstActivationInitializesTheWorkflowAtTheTaskStartedTime) {
  HistoryBuilder h("greeter", "bob");
  h.Task();
  WorkflowReplayer r("wf-1", "run-7");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  auto a = r.NextActivation();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(a->has_value());
  const v1::WorkflowActivation& act = **a;
  EXPECT_EQ(act.run_id(), "run-7");
  EXPECT_EQ(act.timestamp_us(), 3000);
  EXPECT_EQ(act.history_length(), 3);
  EXPECT_FALSE(act.is_replaying());
  ASSERT_EQ(act.jobs_size(), 1);
  const auto& init = act.jobs(0).initialize_workflow();
  EXPECT_EQ(init.workflow_type(), "greeter");
  EXPECT_EQ(init.workflow_id(), "wf-1");
  EXPECT_EQ(Text(init.arguments()), "bob");
  EXPECT_EQ(init.started().task_queue(), "q");
  EXPECT_EQ(init.started().attempt(), 1);

  WorkflowReplayer same("wf-1", "run-7"), other("wf-1", "run-8");
  ASSERT_TRUE(same.AddHistory(h.history()).ok());
  ASSERT_TRUE(other.AddHistory(h.history()).ok());
  auto a2 = same.NextActivation();
  auto a3 = other.NextActivation();
  EXPECT_EQ((**a2).jobs(0).initialize_workflow().randomness_seed(), init.randomness_seed());
  EXPECT_NE((**a3).jobs(0).initialize_workflow().randomness_seed(), init.randomness_seed());
}

TEST(ReplayActivityTest, CompletedActivityResolvesWithItsResultAndTheWorkflowCompletes) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet")
      .ActivityCompleted(1, "hi bob")
      .Task().Completed().WorkflowCompleted("done");
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "greet")}, {CompleteWorkflow("done")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                                     "@9 ResolveActivity(seq=1, completed='hi bob')"}));
}

TEST(ReplayActivityTest, FailedActivityResolvesWithAnActivityFailureCausedByTheRecordedOne) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").ActivityFailed(1, "boom")
      .Task().Completed().WorkflowFailed("gave up");
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "greet")}, {FailWorkflow("gave up")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@9 ResolveActivity(seq=1, failed=Activity:greet('activity error')"
            "<-App:ValueError('boom'))");

  // The failure carries what Temporal's ActivityError carries.
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(1, "greet")})).ok());
  auto a = r.NextActivation();
  ASSERT_TRUE(a.ok() && a->has_value());
  const v1::Failure& f = (**a).jobs(0).resolve_activity().result().failed();
  EXPECT_EQ(f.activity_failure_info().scheduled_event_id(), 5);
  EXPECT_EQ(f.activity_failure_info().started_event_id(), 6);
  EXPECT_EQ(f.activity_failure_info().activity_id(), "1");
  EXPECT_EQ(f.activity_failure_info().identity(), "worker-1");
  EXPECT_EQ(f.activity_failure_info().retry_state(), v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
}

TEST(ReplayActivityTest, TimedOutActivityResolvesWithAnActivityFailureCausedByTheTimeout) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "slow")
      .ActivityTimedOut(1, v1::TIMEOUT_TYPE_START_TO_CLOSE).Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "slow")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@9 ResolveActivity(seq=1, failed=Activity:slow('activity error')"
            "<-Timeout:START_TO_CLOSE('activity timeout'))");
}

TEST(ReplayActivityTest, TwoActivitiesResolveInTheOrderTheirOutcomesWereRecorded) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityScheduled(2, "b")
      .ActivityCompleted(2, "second first").ActivityCompleted(1, "first second")
      .Task().Completed().WorkflowCompleted("ok");
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "a"), ScheduleActivity(2, "b")},
                             {CompleteWorkflow("ok")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@12 ResolveActivity(seq=2, completed='second first') | "
            "ResolveActivity(seq=1, completed='first second')");
}

TEST(ReplayActivityTest, FailedWorkflowTaskIsFoldedIntoTheNextActivation) {
  HistoryBuilder h;
  h.Task().TaskFailed().Task().Completed().ActivityScheduled(1, "greet")
      .ActivityCompleted(1, "hi").Task().TaskTimedOut().Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "greet")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@6 InitializeWorkflow(type='wf', input='in')",
                                     "@15 ResolveActivity(seq=1, completed='hi')"}));
}

TEST(ReplayActivityTest, LiveTaskCommandsAreHandedOutAndNotReplayed) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").ActivityCompleted(1, "hi").Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  auto a1 = r.NextActivation();
  ASSERT_TRUE(a1.ok() && a1->has_value());
  EXPECT_TRUE((**a1).is_replaying());
  EXPECT_TRUE(r.is_replaying());
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(1, "greet")})).ok());
  EXPECT_TRUE(r.TakeCommands().empty());
  auto a2 = r.NextActivation();
  ASSERT_TRUE(a2.ok() && a2->has_value());
  EXPECT_FALSE((**a2).is_replaying());
  EXPECT_FALSE(r.is_replaying());
  ASSERT_TRUE(r.Complete(Success("r", {CompleteWorkflow("done"), RespondToQuery("q1", "x")})).ok());
  auto done = r.NextActivation();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
  std::vector<v1::Command> sent = r.TakeCommands();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(sent[0].has_complete_workflow_execution());
  EXPECT_TRUE(sent[1].has_respond_to_query());
  EXPECT_TRUE(r.TakeCommands().empty());
  EXPECT_EQ(r.last_event_id(), 9);
}

TEST(ReplayActivityTest, IncrementalHistoryMustContinueAtTheNextEventId) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").ActivityCompleted(1, "hi").Task();
  WorkflowReplayer r("wf-1", "r");
  v1::History first, gap;
  for (int i = 0; i < 3; ++i) *first.add_events() = h.history().events(i);
  for (int i = 4; i < h.history().events_size(); ++i) *gap.add_events() = h.history().events(i);
  ASSERT_TRUE(r.AddHistory(first).ok());
  Status s = r.AddHistory(gap);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "history of workflow 'wf-1' run 'r' must continue at event 4, got event 5 "
            "(ActivityTaskScheduled(seq=1, type='greet'))");
  EXPECT_EQ(r.last_event_id(), 3);
}

TEST(ReplayActivityTest, HistoryMustStartWithWorkflowExecutionStarted) {
  v1::History h;
  auto* e = h.add_events();
  e->set_event_id(1);
  e->mutable_workflow_task_scheduled();
  WorkflowReplayer r("wf-1", "r");
  Status s = r.AddHistory(h);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("must start with WorkflowExecutionStarted"), std::string::npos);
}

TEST(ReplayActivityTest, ChangedActivityTypeIsNondeterminismNamingCommandEventAndEventId) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").ActivityCompleted(1, "hi").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "greet_v2")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued ScheduleActivity(seq=1, "
            "type='greet_v2') but history has ActivityTaskScheduled(seq=1, type='greet') at event 5");
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')"}));
}

TEST(ReplayActivityTest, FewerCommandsThanRecordedIsNondeterminismNamingTheUnmatchedEvent) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityScheduled(2, "b").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "a")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued no command matching "
            "ActivityTaskScheduled(seq=2, type='b') at event 6 (recorded for the workflow task "
            "completed at event 4)");
}

TEST(ReplayActivityTest, MoreCommandsThanRecordedIsNondeterminismNamingTheExtraCommand) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "a"), CompleteWorkflow("early")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued CompleteWorkflowExecution but history "
            "has no further command event for the workflow task completed at event 4");
}

TEST(ReplayActivityTest, CompletingInsteadOfFailingIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().WorkflowFailed("bad");
  ReplayRun run = RunThreeWays(h.history(), Commands({{CompleteWorkflow("ok")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued CompleteWorkflowExecution but history "
            "has WorkflowExecutionFailed at event 5");
}

TEST(ReplayActivityTest, LiveCommandsRecordedDifferentlyAreAnInternalError) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(1, "greet")})).ok());
  HistoryBuilder full;
  full.Task().Completed().ActivityScheduled(1, "other").ActivityCompleted(1, "x").Task();
  v1::History rest;
  for (int i = 3; i < full.history().events_size(); ++i) *rest.add_events() = full.history().events(i);
  ASSERT_TRUE(r.AddHistory(rest).ok());
  auto a = r.NextActivation();
  EXPECT_EQ(a.status().code(), StatusCode::kInternal);
  EXPECT_EQ(a.status().message(),
            "workflow task completion not recorded as sent: workflow 'wf-1' run 'r' issued "
            "ScheduleActivity(seq=1, type='greet') but the engine recorded "
            "ActivityTaskScheduled(seq=1, type='other') at event 5");
  // The replayer stays broken: the caller evicts it.
  EXPECT_EQ(r.NextActivation().status().code(), StatusCode::kInternal);
}

TEST(ReplayActivityTest, FailedCompletionIsKeptAndTheReplayerMustBeEvicted) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  v1::WorkflowActivationCompletion c;
  *c.mutable_failed() = AppFailure("NameError: x");
  ASSERT_TRUE(r.Complete(c).ok());
  auto next = r.NextActivation();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_TRUE(r.TakeCommands().empty());
  std::optional<v1::Failure> f = r.TakeFailure();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->message(), "NameError: x");
  EXPECT_FALSE(r.TakeFailure().has_value());
  HistoryBuilder more;
  more.Task().TaskFailed().Task();
  v1::History rest;
  for (int i = 3; i < more.history().events_size(); ++i) *rest.add_events() = more.history().events(i);
  EXPECT_EQ(r.AddHistory(rest).code(), StatusCode::kFailedPrecondition);
}

TEST(ReplayActivityTest, LiveTaskThatTimedOutAfterCompletionAsksForEviction) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(1, "greet")})).ok());
  HistoryBuilder more;
  more.Task().TaskTimedOut().Task();
  v1::History rest;
  for (int i = 3; i < more.history().events_size(); ++i) *rest.add_events() = more.history().events(i);
  ASSERT_TRUE(r.AddHistory(rest).ok());
  auto a = r.NextActivation();
  EXPECT_EQ(a.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(a.status().message().find("WorkflowTaskTimedOut at event 4"), std::string::npos)
      << a.status().message();
}

TEST(ReplayActivityTest, CallingOutOfOrderIsAFailedPrecondition) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  EXPECT_EQ(r.Complete(Success("r", {})).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  EXPECT_EQ(r.NextActivation().status().code(), StatusCode::kFailedPrecondition);
}

TEST(ReplayActivityTest, HistoryEndingBetweenTasksReplaysOnlyCompletedTasks) {
  // As a query sees it: the last task completed, an activity finished since, no task yet.
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").ActivityCompleted(1, "hi");
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "greet")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')"}));
  EXPECT_EQ(run.replaying, std::vector<bool>{true});
}

TEST(ReplayActivityTest, HistoryArrivingSeveralTasksAtATimeIsReplayedTaskByTask) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityCompleted(1, "x")
      .Task().Completed().ActivityScheduled(2, "b").ActivityCompleted(2, "y").Task();
  WorkflowReplayer r("wf-1", "r");
  v1::History first, rest;
  for (int i = 0; i < 3; ++i) *first.add_events() = h.history().events(i);
  for (int i = 3; i < h.history().events_size(); ++i) *rest.add_events() = h.history().events(i);
  ASSERT_TRUE(r.AddHistory(first).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(1, "a")})).ok());
  EXPECT_EQ(r.TakeCommands().size(), 1u);
  ASSERT_TRUE(r.AddHistory(rest).ok());  // e.g. the worker lost a task to a timeout
  auto a2 = r.NextActivation();
  ASSERT_TRUE(a2.ok() && a2->has_value());
  EXPECT_TRUE((**a2).is_replaying());
  EXPECT_EQ(DescribeActivation(**a2), "@9 ResolveActivity(seq=1, completed='x')");
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(2, "b")})).ok());
  auto a3 = r.NextActivation();
  ASSERT_TRUE(a3.ok() && a3->has_value());
  EXPECT_FALSE((**a3).is_replaying());
  EXPECT_EQ(DescribeActivation(**a3), "@15 ResolveActivity(seq=2, completed='y')");
}

}  // namespace
}  // namespace durable::testing

namespace durable::testing {
namespace {

// Completes the live first task of a fresh run with `commands`.
Status CompleteFirstTask(const std::vector<v1::Command>& commands) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  if (Status s = r.AddHistory(h.history()); !s.ok()) return s;
  if (auto a = r.NextActivation(); !a.ok()) return a.status();
  return r.Complete(Success("r", commands));
}

TEST(ReplayLiveCommandsTest, InvalidLiveCommandsAreRejectedBeforeTheyAreSent) {
  Status s = CompleteFirstTask({ScheduleActivity(1, "a"), ScheduleActivity(1, "b")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "workflow 'wf-1' run 'r' issued ScheduleActivity(seq=1, type='b'): seq already used "
            "by an earlier command of that kind");
  EXPECT_EQ(CompleteFirstTask({CancelTimer(3)}).message(),
            "workflow 'wf-1' run 'r' issued CancelTimer(seq=3): no timer was started with that seq");
  EXPECT_EQ(CompleteFirstTask({RequestCancelActivity(2)}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompleteFirstTask({CompleteUpdate("u1", "x")}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CompleteFirstTask({v1::Command()}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CompleteFirstTask({ScheduleActivity(1, "a"), RequestCancelActivity(1), StartTimer(1),
                                 CancelTimer(1), AcceptUpdate("u"), CompleteUpdate("u", "x")})
                  .ok());
}

TEST(ReplayLiveCommandsTest, SeqUsedInAnEarlierTaskCannotBeReused) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).TimerFired(1).Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  ASSERT_TRUE(r.Complete(Success("r", {StartTimer(1)})).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  Status s = r.Complete(Success("r", {StartTimer(1)}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.TakeCommands().empty());
}

}  // namespace
}  // namespace durable::testing
