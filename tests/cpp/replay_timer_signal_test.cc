// WorkflowReplayer: timers, signals, workflow cancellation, activity cancellation and
// continue-as-new. Every history runs three ways (RunThreeWays).
#include <gtest/gtest.h>

#include "durable/replay.h"
#include "util/history_builder.h"
#include "util/replay_harness.h"

namespace durable::testing {
namespace {

using Lines = std::vector<std::string>;

TEST(ReplayTimerTest, FiredTimerBecomesFireTimer) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1, 30'000'000).TimerFired(1)
      .Task().Completed().WorkflowCompleted("slept");
  ReplayRun run = RunThreeWays(h.history(),
                               Commands({{StartTimer(1, 30'000'000)}, {CompleteWorkflow("slept")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{"@3 InitializeWorkflow(type='wf', input='in')", "@8 FireTimer(seq=1)"}));
}

TEST(ReplayTimerTest, CanceledTimerNeverFiresAndItsCancelIsMatched) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).TimerStarted(2).TimerFired(2)
      .Task().Completed().TimerCanceled(1).WorkflowCompleted("done");
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{StartTimer(1), StartTimer(2)}, {CancelTimer(1), CompleteWorkflow("done")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1], "@9 FireTimer(seq=2)");
}

TEST(ReplayTimerTest, CancellingAnotherTimerThanRecordedIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).TimerStarted(2).TimerFired(2)
      .Task().Completed().TimerCanceled(1).Task();
  ReplayRun run = RunThreeWays(h.history(),
                               Commands({{StartTimer(1), StartTimer(2)}, {CancelTimer(2)}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued CancelTimer(seq=2) but history has "
            "TimerCanceled(timer_id='1') at event 11");
}

TEST(ReplayTimerTest, TimerInsteadOfActivityIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{StartTimer(1)}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued StartTimer(seq=1) but history has "
            "ActivityTaskScheduled(seq=1, type='greet') at event 5");
}

TEST(ReplaySignalTest, SignalsComeAfterInitializeAndBeforeResolutionsInEventOrder) {
  HistoryBuilder h;
  h.Signaled("early", "0").Task().Completed().TimerStarted(1)
      .TimerFired(1).Signaled("go", "1").Signaled("go", "2").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{StartTimer(1)}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{"@4 InitializeWorkflow(type='wf', input='in') | SignalWorkflow('early', '0')",
                   "@11 SignalWorkflow('go', '1') | SignalWorkflow('go', '2') | FireTimer(seq=1)"}));
}

TEST(ReplaySignalTest, SignalCarriesIdentityAndHeader) {
  HistoryBuilder h;
  h.Task().Completed().Signaled("go", "x").Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  ASSERT_TRUE(r.NextActivation().ok());
  ASSERT_TRUE(r.Complete(Success("r", {})).ok());
  auto a = r.NextActivation();
  ASSERT_TRUE(a.ok() && a->has_value());
  ASSERT_EQ((**a).jobs_size(), 1);
  EXPECT_EQ((**a).jobs(0).signal_workflow().identity(), "client");
  EXPECT_EQ(Text((**a).jobs(0).signal_workflow().input()), "x");
}

TEST(ReplayCancelTest, CancelRequestBecomesCancelWorkflowAndTheWorkflowCancels) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).CancelRequested("user asked")
      .Task().Completed().TimerCanceled(1).WorkflowCanceled();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{StartTimer(1)}, {CancelTimer(1), CancelWorkflow()}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1], "@8 CancelWorkflow('user asked')");
}

TEST(ReplayCancelTest, CancelWorkflowIsOrderedAmongResolutionsByEvent) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "a").ActivityScheduled(2, "b")
      .ActivityCompleted(1, "x").CancelRequested("stop").ActivityCompleted(2, "y").Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "a"), ScheduleActivity(2, "b")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@13 ResolveActivity(seq=1, completed='x') | CancelWorkflow('stop') | "
            "ResolveActivity(seq=2, completed='y')");
}

TEST(ReplayActivityCancelTest, ActivityNotYetStartedResolvesCancelledAtOnce) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "slow").Signaled("stop", "")
      .Task().Completed().ActivityCancelRequested(1).ActivityCanceled(1).Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "slow")}, {RequestCancelActivity(1)}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{"@3 InitializeWorkflow(type='wf', input='in')", "@8 SignalWorkflow('stop', '')",
                   "@13 ResolveActivity(seq=1, cancelled=Activity:slow('activity error')"
                   "<-Canceled('activity cancelled'))"}));
}

TEST(ReplayActivityCancelTest, StartedActivityResolvesWhenItAcknowledgesTheCancel) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "slow").Signaled("stop", "")
      .Task().Completed().ActivityCancelRequested(1).Task().Completed();
  h.ActivityCompleted(1, "finished anyway").Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{ScheduleActivity(1, "slow")}, {RequestCancelActivity(1)}, {}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations.back(), "@17 ResolveActivity(seq=1, completed='finished anyway')");
}

TEST(ReplayActivityCancelTest, CancellingAnActivityTwiceIsNondeterminismNamingTheMachine) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "slow").Signaled("stop", "")
      .Task().Completed().ActivityCancelRequested(1).ActivityCancelRequested(1).Task();
  ReplayRun run = RunThreeWays(
      h.history(),
      Commands({{ScheduleActivity(1, "slow")}, {RequestCancelActivity(1), RequestCancelActivity(1)}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: ActivityMachine(seq=1) in state CancelRequested cannot handle "
            "RequestCancel at event 11");
}

TEST(ReplayContinueAsNewTest, ContinueAsNewIsMatchedWithItsEvent) {
  HistoryBuilder h;
  h.Task().Completed().ContinuedAsNew("r2");
  ReplayRun run = RunThreeWays(h.history(), Commands({{ContinueAsNew("wf")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')"}));
}

TEST(ReplayContinueAsNewTest, CompletingInsteadOfContinuingAsNewIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().ContinuedAsNew("r2");
  ReplayRun run = RunThreeWays(h.history(), Commands({{CompleteWorkflow("x")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued CompleteWorkflowExecution but history "
            "has WorkflowExecutionContinuedAsNew at event 5");
}

TEST(ReplayTerminateTest, TerminatedRunReplaysItsTasksAndStops) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).Terminated("ops");
  ReplayRun run = RunThreeWays(h.history(), Commands({{StartTimer(1)}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations.size(), 1u);
}

}  // namespace
}  // namespace durable::testing
