// WorkflowReplayer: local activities. Live, the worker runs them inside the workflow task and
// their outcomes become "core_local_activity" markers among the task's commands; replaying, the
// markers resolve them without running anything. Histories that replay cleanly run three ways
// (RunThreeWays); non-determinism is checked in the two modes that replay (an incremental,
// always-live run executes the local activity and is told by the engine's record instead).
#include <gtest/gtest.h>

#include "durable/replay.h"
#include "history/events.h"
#include "machines/local_activity_machine.h"
#include "util/history_builder.h"
#include "util/replay_harness.h"

namespace durable::testing {
namespace {

using Lines = std::vector<std::string>;

// Runs local activities by answering "<type> done" (or failing for type "boom").
v1::ActivityResolution RunIt(const v1::ScheduleLocalActivityCommand& req) {
  if (req.activity_type() == "boom") return Failed("it blew up");
  return Completed(req.activity_type() + " done");
}

// A runner for histories that must replay without running anything.
v1::ActivityResolution MustNotRun(const v1::ScheduleLocalActivityCommand& req) {
  ADD_FAILURE() << "local activity seq " << req.seq() << " ran while replaying";
  return Completed("");
}

// Full replay and evicted-after-every-task runs; EXPECTs the same error; returns the full one.
ReplayRun RunReplayModes(const v1::History& history, const Script& script) {
  ReplayRun full = RunOneWay(Mode::kFullReplay, history, script, "r", RunIt);
  ReplayRun evicted = RunOneWay(Mode::kEvictEveryTask, history, script, "r", RunIt);
  EXPECT_EQ(full.status.ToString(), evicted.status.ToString());
  return full;
}

// Appends, as the engine records them, the markers among `commands` (and a closing
// WorkflowExecutionCompleted), after a WorkflowTaskCompleted of the last started task.
void Record(v1::History* h, const std::vector<v1::Command>& commands) {
  auto add = [&]() {
    v1::HistoryEvent* e = h->add_events();
    e->set_event_id(h->events_size());
    e->set_event_time_us(e->event_id() * 1000);
    return e;
  };
  const int64_t started = h->events_size();
  add()->mutable_workflow_task_completed()->set_started_event_id(started);
  const int64_t completed = h->events_size();
  for (const v1::Command& c : commands) {
    if (c.has_record_marker()) {
      auto* a = add()->mutable_marker_recorded();
      a->set_marker_name(c.record_marker().marker_name());
      *a->mutable_details() = c.record_marker().details();
      if (c.record_marker().has_failure()) *a->mutable_failure() = c.record_marker().failure();
      a->set_workflow_task_completed_event_id(completed);
    } else if (c.has_complete_workflow_execution()) {
      auto* a = add()->mutable_workflow_execution_completed();
      *a->mutable_result() = c.complete_workflow_execution().result();
      a->set_workflow_task_completed_event_id(completed);
    } else {
      ADD_FAILURE() << "Record() does not know " << history::DescribeCommand(c);
    }
  }
}

std::string Detail(const v1::Command& marker, const std::string& key) {
  const auto& d = marker.record_marker().details();
  auto it = d.find(key);
  return it == d.end() ? "<none>" : Text(it->second);
}

TEST(ReplayLocalActivityTest, LiveResolutionRecordsTheMarkerWhereItHappenedBeforeLaterCommands) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  auto first = r.NextActivation();
  ASSERT_TRUE(first.ok() && first->has_value());
  ASSERT_TRUE(r.Complete(Success("r", {StartTimer(1), ScheduleLocalActivity(1, "fetch")})).ok());

  // Nothing more to deliver until the worker reports the outcome.
  auto none = r.NextActivation();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  std::vector<v1::ScheduleLocalActivityCommand> requests = r.TakeLocalActivityRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].seq(), 1);
  EXPECT_EQ(requests[0].activity_type(), "fetch");
  EXPECT_TRUE(r.TakeLocalActivityRequests().empty());

  ASSERT_TRUE(r.ResolveLocalActivity(1, Completed("data"), 3, 1500).ok());
  auto second = r.NextActivation();
  ASSERT_TRUE(second.ok() && second->has_value()) << second.status().ToString();
  const v1::WorkflowActivation& a = **second;
  EXPECT_EQ(DescribeActivation(a), "@3 ResolveLocalActivity(seq=1, completed='data')");
  EXPECT_EQ(a.timestamp_us(), (**first).timestamp_us());
  EXPECT_FALSE(a.is_replaying());
  EXPECT_TRUE(a.jobs(0).resolve_activity().is_local());
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleActivity(1, "store")})).ok());
  auto done = r.NextActivation();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());

  std::vector<v1::Command> commands = r.TakeCommands();
  ASSERT_EQ(commands.size(), 3u);
  EXPECT_EQ(history::DescribeCommand(commands[0]), "StartTimer(seq=1)");
  EXPECT_EQ(history::DescribeCommand(commands[1]),
            "RecordMarker(name='core_local_activity', seq=1, type='fetch')");
  EXPECT_EQ(history::DescribeCommand(commands[2]), "ScheduleActivity(seq=1, type='store')");
  const v1::Command& m = commands[1];
  EXPECT_EQ(Detail(m, "seq"), "1");
  EXPECT_EQ(Detail(m, "activity_id"), "1");
  EXPECT_EQ(Detail(m, "activity_type"), "fetch");
  EXPECT_EQ(Detail(m, "attempt"), "3");
  EXPECT_EQ(Detail(m, "elapsed_us"), "1500");
  EXPECT_EQ(Detail(m, "outcome"), "completed");
  EXPECT_EQ(Detail(m, "result"), "data");
  EXPECT_FALSE(m.record_marker().has_failure());

  // The engine records them; the replayer accepts its record and goes on.
  h.Completed().TimerStarted(1).LocalActivityMarker(1, "fetch", "data")
      .ActivityScheduled(1, "store").ActivityCompleted(1, "stored").Task();
  v1::History rest;
  for (int i = 3; i < h.history().events_size(); ++i) *rest.add_events() = h.history().events(i);
  ASSERT_TRUE(r.AddHistory(rest).ok());
  auto next = r.NextActivation();
  ASSERT_TRUE(next.ok() && next->has_value()) << next.status().ToString();
  EXPECT_EQ(DescribeActivation(**next), "@11 ResolveActivity(seq=1, completed='stored')");
}

TEST(ReplayLocalActivityTest, HistoryWithAMarkerReplaysThreeWaysAndRunsNothingWhenReplaying) {
  HistoryBuilder h;
  h.Task().Completed().TimerStarted(1).LocalActivityMarker(1, "fetch", "fetch done")
      .ActivityScheduled(1, "store").ActivityCompleted(1, "stored").Task();
  Script script = Commands({{StartTimer(1), ScheduleLocalActivity(1, "fetch")},
                            {ScheduleActivity(1, "store")},
                            {CompleteWorkflow("ok")}});
  ReplayRun run = RunThreeWays(h.history(), script, "r", RunIt);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                                     "@3 ResolveLocalActivity(seq=1, completed='fetch done')",
                                     "@11 ResolveActivity(seq=1, completed='stored')"}));
  EXPECT_EQ(run.replaying, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(run.live_commands.size(), 1u);

  // (Evicted after every task, the shorter prefixes run the task live: they run it.)
  ReplayRun replayed = RunOneWay(Mode::kFullReplay, h.history(), script, "r", MustNotRun);
  EXPECT_TRUE(replayed.status.ok()) << replayed.status.ToString();
  EXPECT_EQ(replayed.activations, run.activations);
  EXPECT_EQ(replayed.local_activities_run, 0);
  ReplayRun live = RunOneWay(Mode::kIncremental, h.history(), script, "r", RunIt);
  EXPECT_EQ(live.local_activities_run, 1);
}

TEST(ReplayLocalActivityTest, ChangedActivityTypeIsNondeterminismNamingCommandAndMarker) {
  HistoryBuilder h;
  h.Task().Completed().LocalActivityMarker(1, "fetch", "fetch done").WorkflowCompleted("ok");
  Script script =
      Commands({{ScheduleLocalActivity(1, "fetch_v2")}, {CompleteWorkflow("ok")}});
  ReplayRun run = RunReplayModes(h.history(), script);
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued ScheduleLocalActivity(seq=1, "
            "type='fetch_v2') but history has MarkerRecorded(name='core_local_activity', seq=1, "
            "type='fetch') at event 5");
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')"}));

  // Live, the new type runs; the engine's record then disagrees with what was sent.
  ReplayRun live = RunOneWay(Mode::kIncremental, h.history(), script, "r", RunIt);
  EXPECT_EQ(live.status.code(), StatusCode::kInternal);
  EXPECT_NE(live.status.message().find("not recorded as sent"), std::string::npos);
}

TEST(ReplayLocalActivityTest, MissingMarkerIsNondeterminismNamingTheLocalActivityAndTheTask) {
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "store").ActivityCompleted(1, "stored").Task();
  ReplayRun run = RunReplayModes(
      h.history(), Commands({{ScheduleLocalActivity(1, "fetch"), ScheduleActivity(1, "store")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued ScheduleLocalActivity(seq=1, "
            "type='fetch') but history has no 'core_local_activity' marker with seq 1 for the "
            "workflow task completed at event 4");
}

TEST(ReplayLocalActivityTest, RecordedMarkerWithoutScheduleIsNondeterminism) {
  HistoryBuilder h;
  h.Task().Completed().LocalActivityMarker(1, "fetch", "fetch done").WorkflowCompleted("ok");
  ReplayRun run = RunReplayModes(h.history(), Commands({{CompleteWorkflow("ok")}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued CompleteWorkflowExecution but history "
            "has MarkerRecorded(name='core_local_activity', seq=1, type='fetch') at event 5");

  // With nothing issued at all, the leftover marker is named as such.
  run = RunReplayModes(h.history(), Commands({{}}));
  EXPECT_EQ(run.status.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(run.status.message(),
            "nondeterminism: workflow 'wf-1' run 'r' issued no ScheduleLocalActivity(seq=1) for "
            "the local activity marker MarkerRecorded(name='core_local_activity', seq=1, "
            "type='fetch') at event 5 (recorded for the workflow task completed at event 4)");
}

TEST(ReplayLocalActivityTest, TwoLocalActivitiesGatheredInOneTaskResolveTogether) {
  HistoryBuilder h;
  h.Task().Completed().LocalActivityMarker(1, "a", "a done").LocalActivityMarker(2, "b", "b done")
      .WorkflowCompleted("a done+b done");
  Script script = Commands({{ScheduleLocalActivity(1, "a"), ScheduleLocalActivity(2, "b")},
                            {CompleteWorkflow("a done+b done")}});
  ReplayRun run = RunThreeWays(h.history(), script, "r", RunIt);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                                     "@3 ResolveLocalActivity(seq=1, completed='a done') | "
                                     "ResolveLocalActivity(seq=2, completed='b done')"}));
}

TEST(ReplayLocalActivityTest, GatheredLocalActivitiesFinishingOutOfOrderReplayInRecordedOrder) {
  // Live: b finishes first and gets its own activation, then a.
  HistoryBuilder h;
  h.Task();
  v1::History history = h.history();
  std::vector<v1::Command> sent;
  {
    WorkflowReplayer r("wf-1", "r");
    ASSERT_TRUE(r.AddHistory(history).ok());
    ASSERT_TRUE(r.NextActivation().ok());
    ASSERT_TRUE(
        r.Complete(Success("r", {ScheduleLocalActivity(1, "a"), ScheduleLocalActivity(2, "b")}))
            .ok());
    ASSERT_EQ(r.TakeLocalActivityRequests().size(), 2u);
    ASSERT_TRUE(r.ResolveLocalActivity(2, Completed("b done"), 1, 10).ok());
    auto a2 = r.NextActivation();
    ASSERT_TRUE(a2.ok() && a2->has_value());
    EXPECT_EQ(DescribeActivation(**a2), "@3 ResolveLocalActivity(seq=2, completed='b done')");
    ASSERT_TRUE(r.Complete(Success("r", {})).ok());
    ASSERT_TRUE(r.ResolveLocalActivity(1, Failed("late"), 2, 20).ok());
    auto a1 = r.NextActivation();
    ASSERT_TRUE(a1.ok() && a1->has_value());
    ASSERT_TRUE(r.Complete(Success("r", {CompleteWorkflow("both")})).ok());
    sent = r.TakeCommands();
  }
  ASSERT_EQ(sent.size(), 3u);
  Record(&history, sent);

  // Replay: the adjacent markers resolve in one activation, in the recorded order. (Full replay
  // only: the harness's live runs would resolve them in request order.)
  Script script = [](int n, const v1::WorkflowActivation& a) -> std::vector<v1::Command> {
    if (n == 0) return {ScheduleLocalActivity(1, "a"), ScheduleLocalActivity(2, "b")};
    for (const auto& j : a.jobs()) {
      if (j.resolve_activity().seq() == 1) return {CompleteWorkflow("both")};
    }
    return {};
  };
  ReplayRun run = RunOneWay(Mode::kFullReplay, history, script, "r", MustNotRun);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations,
            (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                   "@3 ResolveLocalActivity(seq=2, completed='b done') | "
                   "ResolveLocalActivity(seq=1, failed=Activity:a('activity error')"
                   "<-App:ValueError('late'))"}));
}

TEST(ReplayLocalActivityTest, FailedLocalActivityResolvesAsFailedOnReplay) {
  HistoryBuilder h;
  h.Task().Completed().LocalActivityFailedMarker(1, "boom", "it blew up").WorkflowFailed("gave up");
  Script script = Commands({{ScheduleLocalActivity(1, "boom")}, {FailWorkflow("gave up")}});
  ReplayRun run = RunThreeWays(h.history(), script, "r", RunIt);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@3 ResolveLocalActivity(seq=1, failed=Activity:boom('activity error')"
            "<-App:ValueError('it blew up'))");
  const v1::Failure& f = run.raw[1].jobs(0).resolve_activity().result().failed();
  EXPECT_EQ(f.activity_failure_info().activity_id(), "1");
  EXPECT_EQ(f.activity_failure_info().retry_state(), v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
}

TEST(ReplayLocalActivityTest, CancelledLocalActivityIsToldToTheWorkerAndReplaysAsCancelled) {
  HistoryBuilder h;
  h.Task();
  v1::History history = h.history();
  std::vector<v1::Command> sent;
  {
    WorkflowReplayer r("wf-1", "r");
    ASSERT_TRUE(r.AddHistory(history).ok());
    ASSERT_TRUE(r.NextActivation().ok());
    ASSERT_TRUE(r.Complete(Success("r", {ScheduleLocalActivity(1, "slow"),
                                         RequestCancelLocalActivity(1)}))
                    .ok());
    EXPECT_EQ(r.TakeLocalActivityRequests().size(), 1u);
    EXPECT_EQ(r.TakeLocalActivityCancels(), std::vector<int32_t>{1});
    ASSERT_TRUE(r.ResolveLocalActivity(1, Cancelled(), 1, 5).ok());
    auto a = r.NextActivation();
    ASSERT_TRUE(a.ok() && a->has_value());
    EXPECT_EQ(DescribeActivation(**a),
              "@3 ResolveLocalActivity(seq=1, cancelled=Activity:slow('activity error')"
              "<-Canceled('cancelled'))");
    EXPECT_EQ((**a).jobs(0).resolve_activity().result().cancelled().activity_failure_info()
                  .retry_state(),
              v1::RETRY_STATE_CANCEL_REQUESTED);
    // A cancel after the resolution is ignored: nothing to tell the worker.
    ASSERT_TRUE(r.Complete(Success("r", {RequestCancelLocalActivity(1), CompleteWorkflow("x")}))
                    .ok());
    EXPECT_TRUE(r.TakeLocalActivityCancels().empty());
    sent = r.TakeCommands();
  }
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(Detail(sent[0], "outcome"), "cancelled");
  Record(&history, sent);
  ReplayRun run = RunReplayModes(
      history, Commands({{ScheduleLocalActivity(1, "slow"), RequestCancelLocalActivity(1)},
                         {RequestCancelLocalActivity(1), CompleteWorkflow("x")}}));
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations[1],
            "@3 ResolveLocalActivity(seq=1, cancelled=Activity:slow('activity error')"
            "<-Canceled('cancelled'))");
}

TEST(ReplayLocalActivityTest, LocalActivitySeqsAreTheirOwnKind) {
  // Activity 1 and local activity 1 coexist.
  HistoryBuilder h;
  h.Task().Completed().ActivityScheduled(1, "remote").LocalActivityMarker(1, "local", "local done")
      .ActivityCompleted(1, "remote done").Task();
  ReplayRun run = RunThreeWays(
      h.history(),
      Commands({{ScheduleActivity(1, "remote"), ScheduleLocalActivity(1, "local")}, {}}), "r",
      RunIt);
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.activations, (Lines{"@3 InitializeWorkflow(type='wf', input='in')",
                                     "@3 ResolveLocalActivity(seq=1, completed='local done')",
                                     "@10 ResolveActivity(seq=1, completed='remote done')"}));
}

TEST(ReplayLocalActivityTest, BadResolutionsAreRefusedAndLeaveTheReplayerUsable) {
  HistoryBuilder h;
  h.Task();
  WorkflowReplayer r("wf-1", "r");
  ASSERT_TRUE(r.AddHistory(h.history()).ok());
  // Before any live task is open.
  EXPECT_EQ(r.ResolveLocalActivity(1, Completed("x"), 1, 0).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(r.NextActivation().ok());
  // With the activation outstanding.
  EXPECT_EQ(r.ResolveLocalActivity(1, Completed("x"), 1, 0).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(r.Complete(Success("r", {ScheduleLocalActivity(1, "fetch")})).ok());
  Status unknown = r.ResolveLocalActivity(7, Completed("x"), 1, 0);
  EXPECT_EQ(unknown.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(unknown.message(),
            "ResolveLocalActivity of workflow 'wf-1' run 'r': no local activity with seq 7 is "
            "running");
  EXPECT_EQ(r.ResolveLocalActivity(1, v1::ActivityResolution(), 1, 0).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r.ResolveLocalActivity(1, Completed("x"), -1, 0).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(r.ResolveLocalActivity(1, Completed("x"), 1, 0).ok());
  Status twice = r.ResolveLocalActivity(1, Completed("x"), 1, 0);
  EXPECT_EQ(twice.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(twice.message().find("already resolved"), std::string::npos);
  auto a = r.NextActivation();
  ASSERT_TRUE(a.ok() && a->has_value()) << a.status().ToString();
  ASSERT_TRUE(r.Complete(Success("r", {})).ok());
  EXPECT_EQ(r.TakeCommands().size(), 1u);
  // The task is closed: nothing can be resolved any more.
  EXPECT_EQ(r.ResolveLocalActivity(1, Completed("x"), 1, 0).code(), StatusCode::kFailedPrecondition);
}

TEST(ReplayLocalActivityTest, BadLocalActivityCommandsAreRefusedBeforeAnythingRuns) {
  auto refused = [](std::vector<std::vector<v1::Command>> completions) {
    HistoryBuilder h;
    h.Task();
    WorkflowReplayer r("wf-1", "r");
    EXPECT_TRUE(r.AddHistory(h.history()).ok());
    EXPECT_TRUE(r.NextActivation().ok());
    for (size_t i = 0; i + 1 < completions.size(); ++i) {
      EXPECT_TRUE(r.Complete(Success("r", completions[i])).ok());
      for (const auto& req : r.TakeLocalActivityRequests()) {
        EXPECT_TRUE(r.ResolveLocalActivity(req.seq(), Completed("x"), 1, 0).ok());
      }
      EXPECT_TRUE(r.NextActivation().ok());
    }
    return r.Complete(Success("r", completions.back()));
  };
  Status reused = refused({{ScheduleLocalActivity(1, "a"), ScheduleLocalActivity(1, "b")}});
  EXPECT_EQ(reused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reused.message(),
            "workflow 'wf-1' run 'r' issued ScheduleLocalActivity(seq=1, type='b'): seq already "
            "used by an earlier command of that kind");
  // Reused across two activations of the same task.
  EXPECT_EQ(refused({{ScheduleLocalActivity(1, "a")}, {ScheduleLocalActivity(1, "a")}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused({{ScheduleLocalActivity(1, "a")}, {StartTimer(1), StartTimer(1)}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused({{StartTimer(1), ScheduleLocalActivity(1, "a")}, {StartTimer(1)}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(refused({{RequestCancelLocalActivity(3)}}).code(), StatusCode::kInvalidArgument);
  Status reserved = refused({{RecordMarker(history::kLocalActivityMarkerName)}});
  EXPECT_EQ(reserved.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(reserved.message().find("reserved"), std::string::npos);
}

TEST(LocalActivityMachineTest, RecordBeforeResolveIsNondeterminismNamingMachineStateAndEvent) {
  machines::LocalActivityMachine m(ScheduleLocalActivity(2, "a").schedule_local_activity());
  machines::Jobs jobs;
  ASSERT_TRUE(m.Handle(machines::LocalActivityMachine::Event::kSchedule, nullptr, nullptr, &jobs).ok());
  v1::HistoryEvent e;
  e.set_event_id(6);
  Status s = m.Handle(machines::LocalActivityMachine::Event::kRecord, nullptr, &e, &jobs);
  EXPECT_EQ(s.code(), StatusCode::kNondeterminism);
  EXPECT_EQ(s.message(),
            "nondeterminism: LocalActivityMachine(seq=2) in state Scheduled cannot handle Record "
            "at event 6");
  v1::ActivityResolution done = Completed("x");
  ASSERT_TRUE(m.Handle(machines::LocalActivityMachine::Event::kResolve, &done, nullptr, &jobs).ok());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_TRUE(jobs[0].resolve_activity().is_local());
  s = m.Handle(machines::LocalActivityMachine::Event::kResolve, &done, nullptr, &jobs);
  EXPECT_EQ(s.message(),
            "nondeterminism: LocalActivityMachine(seq=2) in state Resolved cannot handle Resolve");
  EXPECT_EQ(m.Handle(machines::LocalActivityMachine::Event::kSchedule, nullptr, nullptr, &jobs).code(),
            StatusCode::kNondeterminism);
}

TEST(LocalActivityMarkerTest, MarkerRoundTripsAndMalformedMarkersAreNotLocalActivities) {
  history::LocalActivityMarker m;
  m.seq = 12;
  m.activity_id = "id-12";
  m.activity_type = "t";
  m.attempt = 4;
  m.elapsed_us = 987654321;
  *m.result.mutable_completed() = Str("r");
  v1::Command c = history::MakeLocalActivityMarker(m);
  auto back = history::LocalActivityMarkerOf(c);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->seq, 12);
  EXPECT_EQ(back->activity_id, "id-12");
  EXPECT_EQ(back->attempt, 4);
  EXPECT_EQ(back->elapsed_us, 987654321);
  EXPECT_EQ(Text(back->result.completed()), "r");
  (*c.mutable_record_marker()->mutable_details())["seq"] = Str("x1");
  EXPECT_FALSE(history::LocalActivityMarkerOf(c).has_value());
  EXPECT_TRUE(history::IsLocalActivityMarker(c));
  EXPECT_FALSE(history::LocalActivityMarkerOf(RecordMarker("other")).has_value());
}

}  // namespace
}  // namespace durable::testing
