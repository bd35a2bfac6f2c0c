// WorkflowReplayer on a longer run mixing every kind of command, a failed and a timed-out
// workflow task, and a patch: the shape of the OSM NS-instantiate workflow. Three ways.
#include <gtest/gtest.h>

#include "durable/replay.h"
#include "util/history_builder.h"
#include "util/replay_harness.h"

namespace durable::testing {
namespace {

using Lines = std::vector<std::string>;

TEST(ReplayScenarioTest, LongRunMixingEveryCommandKindReplaysTheSameEveryWay) {
  HistoryBuilder g("ns_instantiate", "ns-1");
  g.Signaled("config", "c1")
      .Task().TaskFailed()
      .Task().Completed()
      .PatchMarker("retry-deploy").ActivityScheduled(1, "deploy").TimerStarted(1, 60'000'000)
      .ActivityFailed(1, "vim busy")
      .Task().Completed()
      .ActivityScheduled(2, "deploy").ChildInitiated(1, "vnf_config", "vnf-1")
      .ChildStarted(1, "vr1").ActivityCompleted(2, "deployed")
      .Task().TaskTimedOut()
      .Task().Completed()
      .UpdateAccepted("u1", "scale", "3").UpdateCompleted("u1", "ok")
      .SignalExternalInitiated(1, "monitor", "ns_up")
      .ExternalSignaled(1).ChildCompleted(1, "configured").TimerFired(1).CancelRequested("ops")
      .Task().Completed()
      .CancelExternalInitiated(1, "vnf-1").ExternalCancelRequested(1)
      .Task().Completed().WorkflowCanceled();
  Script script = Commands({
      {Patch("retry-deploy"), ScheduleActivity(1, "deploy"), StartTimer(1, 60'000'000)},
      {ScheduleActivity(2, "deploy"), StartChild(1, "vnf_config", "vnf-1")},
      {AcceptUpdate("u1"), CompleteUpdate("u1", "ok"), SignalExternal(1, "monitor", "ns_up")},
      {CancelExternal(1, "vnf-1")},
      {CancelWorkflow()},
  });
  ReplayRun run = RunThreeWays(g.history(), script);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{
                "@7 NotifyHasPatch('retry-deploy') | InitializeWorkflow(type='ns_instantiate', "
                "input='ns-1') | SignalWorkflow('config', 'c1')",
                "@15 ResolveActivity(seq=1, failed=Activity:deploy('activity error')"
                "<-App:ValueError('vim busy'))",
                "@26 DoUpdate(id='u1', name='scale', input='3') | "
                "ResolveChildStart(seq=1, run='vr1') | ResolveActivity(seq=2, completed='deployed')",
                "@36 ResolveSignalExternal(seq=1) | ResolveChild(seq=1, completed='configured') | "
                "FireTimer(seq=1) | CancelWorkflow('ops')",
                "@41 ResolveCancelExternal(seq=1)",
            }));
  EXPECT_EQ(run.replaying, (std::vector<bool>{true, true, true, true, true}));
}

}  // namespace
}  // namespace durable::testing
