#include "util/replay_harness.h"

#include <gtest/gtest.h>

#include <set>

namespace durable::testing {

Script Commands(std::vector<std::vector<v1::Command>> commands) {
  return [commands](int n, const v1::WorkflowActivation&) {
    return n < static_cast<int>(commands.size()) ? commands[n] : std::vector<v1::Command>{};
  };
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kIncremental: return "incremental";
    case Mode::kFullReplay: return "full replay";
    case Mode::kEvictEveryTask: return "evicted after every task";
  }
  return "?";
}

namespace {

// Index (exclusive end) of each delivered task's WorkflowTaskStarted: the slices a sticky
// worker receives. Tasks that failed or timed out were never this worker's.
std::vector<int> DeliveredTaskEnds(const v1::History& h) {
  std::vector<int> ends;
  for (int i = 0; i < h.events_size(); ++i) {
    if (!h.events(i).has_workflow_task_started()) continue;
    if (i + 1 == h.events_size() || h.events(i + 1).has_workflow_task_completed()) ends.push_back(i + 1);
  }
  return ends;
}

bool EndsLive(const v1::History& h) {
  return h.events_size() > 0 && h.events(h.events_size() - 1).has_workflow_task_started();
}

// The update requests a live task received: those its completion accepted (recorded right
// after the WorkflowTaskCompleted that follows the task's Started at index end - 1).
std::vector<v1::UpdateRequest> UpdatesAcceptedAfter(const v1::History& h, int end) {
  std::vector<v1::UpdateRequest> out;
  if (end >= h.events_size() || !h.events(end).has_workflow_task_completed()) return out;
  for (int i = end + 1; i < h.events_size(); ++i) {
    const v1::HistoryEvent& e = h.events(i);
    if (e.has_workflow_task_scheduled()) break;
    if (e.has_workflow_execution_update_accepted()) {
      v1::UpdateRequest req = e.workflow_execution_update_accepted().request();
      req.set_update_id(e.workflow_execution_update_accepted().update_id());
      out.push_back(req);
    }
  }
  return out;
}

// An activation as a live worker sees it: NotifyHasPatch is look-ahead of replay only.
std::string LiveView(v1::WorkflowActivation a) {
  auto* jobs = a.mutable_jobs();
  for (int i = jobs->size() - 1; i >= 0; --i) {
    if (jobs->Get(i).has_notify_has_patch()) jobs->DeleteSubrange(i, 1);
  }
  return DescribeActivation(a);
}

v1::History Slice(const v1::History& h, int begin, int end) {
  v1::History out;
  for (int i = begin; i < end; ++i) *out.add_events() = h.events(i);
  return out;
}

// Drains activations; returns false on error (recorded in run->status).
bool Drain(WorkflowReplayer& r, const Script& script, const std::string& run_id, ReplayRun* run,
           int* n, const LocalActivityRunner& runner) {
  while (true) {
    auto a = r.NextActivation();
    if (!a.ok()) {
      run->status = a.status();
      return false;
    }
    if (!a->has_value()) {
      if (!runner) return true;
      bool any = false;
      std::set<int32_t> cancelled;
      for (int32_t seq : r.TakeLocalActivityCancels()) {
        cancelled.insert(seq);
        run->status = r.ResolveLocalActivity(seq, Cancelled(), 1, 0);
        if (!run->status.ok()) return false;
        any = true;
      }
      for (const auto& req : r.TakeLocalActivityRequests()) {
        if (cancelled.count(req.seq())) continue;
        ++run->local_activities_run;
        run->status = r.ResolveLocalActivity(req.seq(), runner(req), 1, 0);
        if (!run->status.ok()) return false;
        any = true;
      }
      if (!any) return true;
      continue;
    }
    const v1::WorkflowActivation& act = **a;
    run->activations.push_back(DescribeActivation(act));
    run->raw.push_back(act);
    run->replaying.push_back(act.is_replaying());
    Status s = r.Complete(Success(run_id, script((*n)++, act)));
    if (!s.ok()) {
      run->status = s;
      return false;
    }
  }
}

}  // namespace

ReplayRun RunOneWay(Mode mode, const v1::History& history, const Script& script,
                    const std::string& run_id, const LocalActivityRunner& runner) {
  ReplayRun run;
  std::vector<int> ends = DeliveredTaskEnds(history);
  switch (mode) {
    case Mode::kFullReplay: {
      WorkflowReplayer r("wf-1", run_id);
      run.status = r.AddHistory(history);
      int n = 0;
      if (run.status.ok() && Drain(r, script, run_id, &run, &n, runner)) run.live_commands = r.TakeCommands();
      return run;
    }
    case Mode::kIncremental: {
      WorkflowReplayer r("wf-1", run_id);
      int n = 0, fed = 0;
      ends.push_back(history.events_size());  // then the rest: the last task's command events
      for (int end : ends) {
        if (end <= fed && fed != 0) continue;
        run.status = r.AddHistory(Slice(history, fed, end));
        if (!run.status.ok()) return run;
        fed = end;
        r.AddPendingUpdates(UpdatesAcceptedAfter(history, end));
        if (!Drain(r, script, run_id, &run, &n, runner)) return run;
        run.live_commands = r.TakeCommands();
      }
      if (!EndsLive(history)) run.live_commands.clear();  // they were recorded
      return run;
    }
    case Mode::kEvictEveryTask: {
      ends.push_back(history.events_size());
      for (int end : ends) {
        ReplayRun attempt;
        WorkflowReplayer r("wf-1", run_id);
        attempt.status = r.AddHistory(Slice(history, 0, end));
        r.AddPendingUpdates(UpdatesAcceptedAfter(history, end));
        int n = 0;
        if (attempt.status.ok() && Drain(r, script, run_id, &attempt, &n, runner)) {
          attempt.live_commands = r.TakeCommands();
        }
        // Every prefix must agree with the longer ones on what they share.
        for (size_t i = 0; i < run.activations.size() && i < attempt.activations.size(); ++i) {
          // The shorter prefix saw its last task live: no look-ahead there.
          bool was_live = !run.replaying[i];
          EXPECT_EQ(run.activations[i],
                    was_live ? LiveView(attempt.raw[i]) : attempt.activations[i])
              << "activation " << i << " differs between history prefixes";
        }
        run = attempt;
        if (!run.status.ok()) return run;
      }
      return run;
    }
  }
  return run;
}

ReplayRun RunThreeWays(const v1::History& history, const Script& script,
                       const std::string& run_id, const LocalActivityRunner& runner) {
  ReplayRun full = RunOneWay(Mode::kFullReplay, history, script, run_id, runner);
  for (Mode mode : {Mode::kIncremental, Mode::kEvictEveryTask}) {
    ReplayRun other = RunOneWay(mode, history, script, run_id, runner);
    SCOPED_TRACE(ModeName(mode));
    if (mode == Mode::kIncremental) {
      std::vector<std::string> live;
      for (const v1::WorkflowActivation& a : full.raw) live.push_back(LiveView(a));
      EXPECT_EQ(live, other.activations);
    } else {
      EXPECT_EQ(full.activations, other.activations);
    }
    if (full.status.code() == StatusCode::kNondeterminism && mode == Mode::kIncremental &&
        other.status.code() == StatusCode::kInternal) {
      // Live, a command mismatch is the engine recording something else than was sent.
      EXPECT_NE(other.status.message().find("not recorded as sent"), std::string::npos)
          << other.status.ToString();
    } else {
      EXPECT_EQ(full.status.ToString(), other.status.ToString());
    }
    if (mode == Mode::kIncremental) {
      for (size_t i = 0; i < other.replaying.size(); ++i) {
        EXPECT_FALSE(other.replaying[i]) << "incremental activation " << i << " replays";
      }
    }
    if (full.status.ok()) {
      EXPECT_EQ(full.live_commands.size(), other.live_commands.size());
      for (size_t i = 0; i < full.live_commands.size() && i < other.live_commands.size(); ++i) {
        EXPECT_EQ(full.live_commands[i].DebugString(), other.live_commands[i].DebugString());
      }
    }
  }
  const bool ends_live = EndsLive(history);
  for (size_t i = 0; i < full.replaying.size(); ++i) {
    bool of_last_task = full.raw[i].history_length() == history.events_size();
    EXPECT_EQ(full.replaying[i], !(of_last_task && ends_live && full.status.ok()))
        << "activation " << i;
  }
  return full;
}

}  // namespace durable::testing
