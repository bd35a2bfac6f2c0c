// WorkflowReplayer: updates (live DoUpdate with validator, replayed accepted updates) and
// patches (NotifyHasPatch look-ahead, deprecated patch markers). Three ways each.
#include <gtest/gtest.h>

#include "durable/replay.h"
#include "util/history_builder.h"
#include "util/replay_harness.h"

namespace durable::testing {
namespace {

using Lines = std::vector<std::string>;

v1::UpdateRequest Request(const std::string& id, const std::string& name, const std::string& input) {
  v1::UpdateRequest r;
  r.set_update_id(id);
  r.set_name(name);
  *r.mutable_input() = Str(input);
  r.set_identity("client");
  return r;
}

TEST(ReplayUpdateTest, AcceptedUpdateIsReplayedAsDoUpdateOfItsTask) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).Task().Completed()
      .UpdateAccepted("u1", "set_name", "ann").UpdateCompleted("u1", "ok").TimerFired(1).Task();
  ReplayRun run = RunThreeWays(
      h.history(),
      Commands({{StartTimer(1)}, {AcceptUpdate("u1"), CompleteUpdate("u1", "ok")}, {}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                   "@7 DoUpdate(id='u1', name='set_name', input='ann')", "@13 FireTimer(seq=1)"}));
  // While replaying, the validator already ran when the update was accepted.
  EXPECT_FALSE(run.raw[1].jobs(0).do_update().run_validator());
  EXPECT_EQ(run.raw[1].jobs(0).do_update().identity(), "client");
}

TEST(ReplayUpdateTest, PendingUpdatesOfTheLiveTaskRunTheirValidator) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).Signaled("s", "1").Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  r.AddPendingUpdates({Request("u1", "set_name", "bob")});
  auto a1 = r.NextActivation();
  ASSERT_TRUE(a1.ok() && a1->has_value());
  EXPECT_EQ(DescribeActivation(**a1), "@3 InitializeWorkflow(type='wf', input='in')");
  ASSERT_TRUE(r.Complete(Success("r", {StartTimer(1)})).ok());
  auto a2 = r.NextActivation();
  ASSERT_TRUE(a2.ok() && a2->has_value());
  EXPECT_EQ(DescribeActivation(**a2),
            "@8 SignalWorkflow('s', '1') | DoUpdate(id='u1', name='set_name', input='bob')");
  EXPECT_TRUE((**a2).jobs(1).do_update().run_validator());
  ASSERT_TRUE(r.Complete(Success("r", {RejectUpdate("u1")})).ok());
  std::vector<v1::Command> sent = r.TakeCommands();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].has_reject_update());
}

TEST(ReplayUpdateTest, RejectedUpdateLeavesNoTraceAndMatchesNothing) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).TimerFired(1).Task().Completed().WorkflowCompleted("x");
  // The live task saw update u9 and rejected it; replay sees neither.
  ReplayRun run = RunOneWay(Mode::kFullReplay, h.history(),
                      Commands({{RejectUpdate("u9"), StartTimer(1)}, {CompleteWorkflow("x")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1], "@8 FireTimer(seq=1)");
}

TEST(ReplayUpdateTest, CompletingAnUpdateNeverAcceptedIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().UpdateAccepted("u1", "n", "i").UpdateCompleted("u1", "ok").Task();
  // Replay only: live, such a completion is rejected before it is sent (kInvalidArgument).
  ReplayRun run = RunOneWay(Mode::kFullReplay, h.history(), Commands({{CompleteUpdate("u1", "ok")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(RunOneWay(Mode::kIncremental, h.history(), Commands({{CompleteUpdate("u1", "ok")}}))
                .status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued CompleteUpdate(update_id='u1') but "
            "history has WorkflowExecutionUpdateAccepted(update_id='u1') at event 5");
}

TEST(ReplayPatchTest, RecordedPatchIsNotifiedFirstInItsTasksActivation) {
  HistoryBuilder h;
  h.Signaled("go", "").Task().Completed().PatchMarker("v2").ActivityScheduled(1, "greet_v2")
      .ActivityCompleted(1, "hi").Task();
  ReplayRun run = RunThreeWays(h.history(),
                               Commands({{Patch("v2"), ScheduleActivity(1, "greet_v2")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{"@4 NotifyHasPatch('v2') | InitializeWorkflow(type='wf', input='in') | "
                   "SignalWorkflow('go', '')",
                   "@11 ResolveActivity(seq=1, completed='hi')"}));
}

TEST(ReplayPatchTest, DeprecatedPatchMarkerWithoutCommandIsSkipped) {
  HistoryBuilder h;
  h.Task().Completed().PatchMarker("v2").ActivityScheduled(1, "greet_v2").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "greet_v2")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations.size(), 2u);
}

TEST(ReplayPatchTest, TrailingDeprecatedPatchMarkerIsSkipped) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).PatchMarker("old").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{StartTimer(1)}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
}

TEST(ReplayPatchTest, UnpatchedCodeReplayingPatchedHistoryIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().PatchMarker("v2").ActivityScheduled(1, "greet_v2").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{ScheduleActivity(1, "greet")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued ScheduleActivity(seq=1, type='greet') "
            "but history has ActivityTaskScheduled(seq=1, type='greet_v2') at event 6");
}

TEST(ReplayPatchTest, PatchNotInHistoryIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "greet").Task();
  ReplayRun run = RunThreeWays(h.history(), Commands({{Patch("v2"), ScheduleActivity(1, "greet")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued RecordMarker(name='core_patch', "
            "patch_id='v2') but history has ActivityTaskScheduled(seq=1, type='greet') at event 5");
}

TEST(ReplayMarkerTest, SdkMarkersAreMatchedByName) {
  HistoryBuilder h;
  h.Task().Completed().Marker("version").Task();
  EXPECT_TRUE(RunThreeWays(h.history(), Commands({{RecordMarker("version")}})).status.ok());
  ReplayRun bad = RunThreeWays(h.history(), Commands({{RecordMarker("other")}}));
  EXPECT_EQ(bad.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued RecordMarker(name='other') but history "
            "has MarkerRecorded(name='version') at event 5");
}

}  // namespace
}  // namespace durable::testing
