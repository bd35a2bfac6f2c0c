// WorkflowReplayer: child workflows and signals / cancellations of external workflows.
#include <gtest/gtest.h>

#include "durable/replay.h"
#include "util/history_builder.h"
#include "util/replay_harness.h"

namespace durable::testing {
namespace {

using Lines = std::vector<std::string>;

// A parent starting child seq 1 in its first task, then idling.
HistoryBuilder& ParentWithChild(HistoryBuilder& h) {
  return h.Task().Completed().ChildInitiated(1, "child_wf", "child-1");
}

Script StartsChild() { return Commands({{StartChild(1, "child_wf", "child-1")}}); }

TEST(ReplayChildTest, ChildStartAndCompletionResolveInOrder) {
  HistoryBuilder h;
  ParentWithChild(h).ChildStarted(1, "cr1").Task().Completed().ChildCompleted(1, "42").Task();
  ReplayRun run = RunThreeWays(h.history(), StartsChild());
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                                     "@8 ResolveChildStart(seq=1, run='cr1')",
                                     "@12 ResolveChild(seq=1, completed='42')"}));
}

TEST(ReplayChildTest, ChildThatCouldNotStartResolvesWithTheCause) {
  HistoryBuilder h;
  ParentWithChild(h).ChildStartFailed(1).Task();
  ReplayRun run = RunThreeWays(h.history(), StartsChild());
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1], "@8 ResolveChildStart(seq=1, failed='workflow_already_exists')");
}

TEST(ReplayChildTest, ChildFailureIsWrappedWithChildWorkflowFailureInfo) {
  HistoryBuilder h;
  ParentWithChild(h).ChildStarted(1, "cr1").ChildFailed(1, "bad input").Task();
  ReplayRun run = RunThreeWays(h.history(), StartsChild());
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@9 ResolveChildStart(seq=1, run='cr1') | ResolveChild(seq=1, "
            "failed=Child:child_wf('child workflow execution error')<-App:Error('bad input'))");
  const auto& info = run.raw[1].jobs(1).resolve_child_workflow_execution().result().failed()
                         .child_workflow_failure_info();
  EXPECT_EQ(info.workflow_execution().workflow_id(), "child-1");
  EXPECT_EQ(info.workflow_execution().run_id(), "cr1");
  EXPECT_EQ(info.initiated_event_id(), 5);
  EXPECT_EQ(info.started_event_id(), 6);
  EXPECT_EQ(info.retry_state(), v1::RETRY_STATE_RETRY_POLICY_NOT_SET);
}

TEST(ReplayChildTest, CanceledTimedOutAndTerminatedChildrenSayWhatHappened) {
  HistoryBuilder h;
  h.Task().Completed().ChildInitiated(1, "c", "child-1").ChildInitiated(2, "c", "child-2")
      .ChildInitiated(3, "c", "child-3").ChildStarted(1, "a").ChildStarted(2, "b")
      .ChildStarted(3, "c").ChildCanceled(1).ChildTimedOut(2).ChildTerminated(3).Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{StartChild(1, "c", "child-1"), StartChild(2, "c", "child-2"),
                              StartChild(3, "c", "child-3")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@15 ResolveChildStart(seq=1, run='a') | ResolveChildStart(seq=2, run='b') | "
            "ResolveChildStart(seq=3, run='c') | "
            "ResolveChild(seq=1, cancelled=Child:c('child workflow execution error')"
            "<-Canceled('child workflow execution canceled')) | "
            "ResolveChild(seq=2, failed=Child:c('child workflow execution error')"
            "<-Timeout:START_TO_CLOSE('child workflow execution timed out')) | "
            "ResolveChild(seq=3, failed=Child:c('child workflow execution error')"
            "<-Terminated('child workflow execution terminated'))");
}

TEST(ReplayChildTest, ChangedChildWorkflowIdIsNondeterminism) {
  HistoryBuilder h;
  ParentWithChild(h).Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{StartChild(1, "child_wf", "child-2")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued StartChildWorkflowExecution(seq=1, "
            "type='child_wf', workflow_id='child-2') but history has "
            "StartChildWorkflowExecutionInitiated(seq=1, type='child_wf', workflow_id='child-1') "
            "at event 5");
}

TEST(ReplayChildTest, ChildCompletingBeforeItStartedIsNondeterminismNamingTheMachine) {
  HistoryBuilder h;
  ParentWithChild(h);
  h.ChildStarted(1, "x");  // builder bookkeeping only; replaced below
  v1::History bad = h.history();
  auto* e = bad.mutable_events(bad.events_size() - 1);
  v1::ChildWorkflowExecutionCompletedEventAttributes done;
  done.set_initiated_event_id(5);
  *e->mutable_child_workflow_execution_completed() = done;
  auto* s = bad.add_events();
  s->set_event_id(bad.events_size());
  s->mutable_workflow_task_scheduled();
  auto* st = bad.add_events();
  st->set_event_id(bad.events_size());
  st->mutable_workflow_task_started();
  ReplayRun run = RunThreeWays(bad, StartsChild());
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: ChildWorkflowMachine(seq=1) in state Initiated cannot handle "
            "Complete at event 6");
}

TEST(ReplayExternalTest, ExternalSignalDeliveredOrFailedResolves) {
  HistoryBuilder h;
  h.Task().Completed().SignalExternalInitiated(1, "other", "ping")
      .SignalExternalInitiated(2, "gone", "ping").ExternalSignaled(1).SignalExternalFailed(2).Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{SignalExternal(1, "other", "ping"), SignalExternal(2, "gone", "ping")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@10 ResolveSignalExternal(seq=1) | ResolveSignalExternal(seq=2, "
            "failed=App:SignalExternalWorkflowExecutionFailed('unable to signal external workflow "
            "'other': external_workflow_execution_not_found'))");
}

TEST(ReplayExternalTest, ExternalCancelDeliveredOrFailedResolves) {
  HistoryBuilder h;
  h.Task().Completed().CancelExternalInitiated(1, "other").CancelExternalInitiated(2, "gone")
      .ExternalCancelRequested(1).CancelExternalFailed(2).Task();
  ReplayRun run = RunThreeWays(
      h.history(), Commands({{CancelExternal(1, "other"), CancelExternal(2, "gone")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@10 ResolveCancelExternal(seq=1) | ResolveCancelExternal(seq=2, "
            "failed=App:RequestCancelExternalWorkflowExecutionFailed('unable to cancel external "
            "workflow 'other': external_workflow_execution_not_found'))");
}

TEST(ReplayExternalTest, SignalingAnotherSeqThanRecordedIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().SignalExternalInitiated(1, "other", "ping").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{SignalExternal(2, "other", "ping")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued SignalExternalWorkflowExecution(seq=2, "
            "signal='ping') but history has SignalExternalWorkflowExecutionInitiated(seq=1, "
            "signal='ping') at event 5");
}

}  // namespace
}  // namespace durable::testing
