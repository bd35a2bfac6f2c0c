// WorkflowReplayer (durable/replay.h): walks the history task by task (history/), builds one
// activation per workflow task and feeds the workflow's commands to WorkflowMachines
// (machines/), which match them against what history recorded.
//
// Where each event is handled:
//  * WorkflowExecutionStarted, signals, cancel requests: here, into jobs of the activation of
//    the task that follows them.
//  * Command events (ActivityTaskScheduled, TimerStarted, ...): matched with the commands of the
//    task they follow — at Complete() for a replayed task (they are already in history), or at
//    the next NextActivation() for the live task (they arrive with the next AddHistory).
//  * Everything else (activity outcomes, timer fired, child events, ...): WorkflowMachines,
//    into resolution jobs, in event order.
//  * Look-ahead: patch markers and accepted updates among a replayed task's command events
//    become NotifyHasPatch / DoUpdate jobs of that task's own activation.
//  * Local activities: a task that runs them spans several activations (the task's first, then
//    one per batch of resolutions, same timestamp). Live, the worker runs them
//    (TakeLocalActivityRequests) and reports outcomes (ResolveLocalActivity), which add their
//    markers to the task's commands; replaying, the outcomes come from the recorded markers.
#include "durable/replay.h"

#include <cstdint>

#include "history/events.h"
#include "history/workflow_tasks.h"
#include "machines/workflow_machines.h"

namespace durable {

using history::Events;

namespace {

// FNV-1a over the run id: the same run always draws the same random numbers.
int64_t RandomnessSeed(const std::string& run_id) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : run_id) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h);
}

std::vector<const v1::HistoryEvent*> Pointers(const Events& events,
                                              const std::vector<size_t>& indices) {
  std::vector<const v1::HistoryEvent*> out;
  out.reserve(indices.size());
  for (size_t i : indices) out.push_back(&events[i]);
  return out;
}

}  // namespace

struct WorkflowReplayer::Impl {
  Impl(std::string wf, std::string run)
      : workflow_id(std::move(wf)), run_id(std::move(run)), machines(workflow_id, run_id) {}

  std::string Who() const { return "workflow '" + workflow_id + "' run '" + run_id + "'"; }

  Status Broken(Status s) {
    broken = s;
    return s;
  }

  // Matches the completed live task's commands once its WorkflowTaskCompleted is in history.
  // Sets *ready = false when the record has not arrived yet.
  Status MatchLiveCommands(bool* ready);

  Result<std::optional<v1::WorkflowActivation>> Next();

  std::string workflow_id;
  std::string run_id;
  machines::WorkflowMachines machines;

  Events events;             // events not yet dropped; events[0] has id first_event_id
  int64_t first_event_id = 1;
  int64_t last_event_id = 0;
  size_t cursor = 0;         // index of the first event not yet applied

  std::vector<v1::UpdateRequest> pending_updates;  // for the live activation

  bool awaiting_completion = false;  // an activation was handed out, Complete() not yet called
  size_t task_started = 0;           // index of that activation's WorkflowTaskStarted
  bool replaying = false;            // that activation replays history

  // The live task's recorded commands, sent and not yet seen in history.
  std::optional<std::vector<v1::Command>> unrecorded;
  int64_t unrecorded_started_id = 0;

  // The activation handed out last (intra-task activations repeat its header).
  int64_t task_time_us = 0;
  int64_t task_history_length = 0;
  bool task_suggest_continue_as_new = false;
  int64_t task_history_size_bytes = 0;
  machines::Jobs intra_jobs;  // resolutions for the next activation of the same task

  // The live task (from its first activation to TakeCommands()).
  bool live_task_open = false;
  std::vector<v1::Command> live_task_commands;  // what its completions issued, LA commands aside
  std::vector<v1::ScheduleLocalActivityCommand> la_requests;  // for TakeLocalActivityRequests()
  std::vector<int32_t> la_cancels;                            // for TakeLocalActivityCancels()

  std::vector<v1::Command> live_commands;  // for TakeCommands()
  std::optional<v1::Failure> failure;      // for TakeFailure()
  bool task_failed = false;                // a completion failed: no more activations
  Status broken;                           // once not OK, every call fails with it
};

WorkflowReplayer::WorkflowReplayer(std::string workflow_id, std::string run_id)
    : impl_(std::make_unique<Impl>(std::move(workflow_id), std::move(run_id))) {}

WorkflowReplayer::~WorkflowReplayer() = default;

Status WorkflowReplayer::AddHistory(const v1::History& history) {
  Impl& s = *impl_;
  if (!s.broken.ok()) return s.broken;
  if (s.task_failed) {
    return Status::FailedPrecondition(
        "the workflow task of " + s.Who() +
        " failed; evict this replayer and replay the run from its full history");
  }
  int64_t expected = s.last_event_id + 1;
  for (const v1::HistoryEvent& e : history.events()) {
    if (e.event_id() != expected) {
      return Status::InvalidArgument("history of " + s.Who() + " must continue at event " +
                                     std::to_string(expected) + ", got event " +
                                     std::to_string(e.event_id()) + " (" +
                                     history::DescribeEvent(e) + ")");
    }
    ++expected;
  }
  if (s.last_event_id == 0 && history.events_size() > 0 &&
      !history.events(0).has_workflow_execution_started()) {
    return Status::InvalidArgument("history of " + s.Who() +
                                   " must start with WorkflowExecutionStarted, got " +
                                   history::DescribeEvent(history.events(0)));
  }
  for (const v1::HistoryEvent& e : history.events()) s.events.push_back(e);
  s.last_event_id = expected - 1;
  return Status::OK();
}

void WorkflowReplayer::AddPendingUpdates(const std::vector<v1::UpdateRequest>& updates) {
  impl_->pending_updates.insert(impl_->pending_updates.end(), updates.begin(), updates.end());
}

Status WorkflowReplayer::Impl::MatchLiveCommands(bool* ready) {
  *ready = false;
  if (cursor >= events.size()) return Status::OK();
  const v1::HistoryEvent& e = events[cursor];
  if (e.has_workflow_task_completed()) {
    DURABLE_RETURN_IF_ERROR(machines.MatchCommands(
        *unrecorded, Pointers(events, history::CommandEventsAfter(events, cursor)), e.event_id(),
        /*replaying=*/false));
    unrecorded.reset();
    *ready = true;
    return Status::OK();
  }
  if (e.has_workflow_task_failed() || e.has_workflow_task_timed_out()) {
    return Status::FailedPrecondition(
        "the workflow task of " + Who() + " started at event " +
        std::to_string(unrecorded_started_id) + " was completed by this worker but history has " +
        history::DescribeEvent(e) + " at event " + std::to_string(e.event_id()) +
        ": its commands were not recorded; evict this replayer and replay the run from its "
        "full history");
  }
  return Status::InvalidArgument("malformed history of " + Who() + ": WorkflowTaskStarted at event " +
                                 std::to_string(unrecorded_started_id) + " is followed by " +
                                 history::DescribeEvent(e) + " at event " +
                                 std::to_string(e.event_id()));
}

Result<std::optional<v1::WorkflowActivation>> WorkflowReplayer::Impl::Next() {
  using None = std::optional<v1::WorkflowActivation>;
  if (!intra_jobs.empty()) {  // the same task goes on: local activities resolved
    v1::WorkflowActivation a;
    a.set_run_id(run_id);
    a.set_timestamp_us(task_time_us);
    a.set_is_replaying(replaying);
    a.set_history_length(task_history_length);
    a.set_continue_as_new_suggested(task_suggest_continue_as_new);
    a.set_history_size_bytes(task_history_size_bytes);
    for (auto& j : intra_jobs) *a.add_jobs() = std::move(j);
    intra_jobs.clear();
    awaiting_completion = true;
    return None(std::move(a));
  }
  // Drop what no later step reads again.
  while (cursor > 0) {
    events.pop_front();
    ++first_event_id;
    --cursor;
  }
  if (unrecorded) {
    bool ready = false;
    DURABLE_RETURN_IF_ERROR(MatchLiveCommands(&ready));
    if (!ready) return None();
  }
  DURABLE_ASSIGN_OR_RETURN(auto span, history::FindNextWorkflowTask(events, cursor));
  if (!span) return None();

  machines::Jobs init, signals, resolutions;
  for (size_t i = cursor; i < span->started; ++i) {
    const v1::HistoryEvent& e = events[i];
    if (history::IsCommandEvent(e)) continue;  // matched with the commands of its task
    switch (e.attributes_case()) {
      case v1::HistoryEvent::kWorkflowExecutionStarted: {
        const auto& a = e.workflow_execution_started();
        auto* j = init.emplace_back().mutable_initialize_workflow();
        j->set_workflow_type(a.workflow_type());
        j->set_workflow_id(a.workflow_id().empty() ? workflow_id : a.workflow_id());
        *j->mutable_arguments() = a.input();
        j->set_randomness_seed(RandomnessSeed(run_id));
        *j->mutable_started() = a;
        break;
      }
      case v1::HistoryEvent::kWorkflowExecutionSignaled: {
        const auto& a = e.workflow_execution_signaled();
        auto* j = signals.emplace_back().mutable_signal_workflow();
        j->set_signal_name(a.signal_name());
        *j->mutable_input() = a.input();
        j->set_identity(a.identity());
        *j->mutable_header() = a.header();
        j->set_originating_event_id(e.event_id());
        break;
      }
      case v1::HistoryEvent::kWorkflowExecutionCancelRequested:
        resolutions.emplace_back().mutable_cancel_workflow()->set_reason(
            e.workflow_execution_cancel_requested().cause());
        break;
      default:
        DURABLE_RETURN_IF_ERROR(machines.ApplyEvent(e, &resolutions));
    }
  }

  machines::Jobs patches, updates;
  if (span->replaying) {
    for (size_t i : history::CommandEventsAfter(events, span->started + 1)) {
      const v1::HistoryEvent& e = events[i];
      std::string patch = history::PatchIdOf(e);
      if (!patch.empty()) {
        patches.emplace_back().mutable_notify_has_patch()->set_patch_id(patch);
      } else if (e.has_workflow_execution_update_accepted()) {
        const v1::UpdateRequest& r = e.workflow_execution_update_accepted().request();
        auto* j = updates.emplace_back().mutable_do_update();
        j->set_id(e.workflow_execution_update_accepted().update_id());
        j->set_name(r.name());
        *j->mutable_input() = r.input();
        *j->mutable_header() = r.header();
        j->set_run_validator(false);
        j->set_identity(r.identity());
      }
    }
  } else {
    for (const v1::UpdateRequest& r : pending_updates) {
      auto* j = updates.emplace_back().mutable_do_update();
      j->set_id(r.update_id());
      j->set_name(r.name());
      *j->mutable_input() = r.input();
      *j->mutable_header() = r.header();
      j->set_run_validator(true);
      j->set_identity(r.identity());
    }
    pending_updates.clear();
  }

  const v1::HistoryEvent& started = events[span->started];
  v1::WorkflowActivation a;
  a.set_run_id(run_id);
  a.set_timestamp_us(started.event_time_us());
  a.set_is_replaying(span->replaying);
  a.set_history_length(started.event_id());
  a.set_continue_as_new_suggested(started.workflow_task_started().suggest_continue_as_new());
  a.set_history_size_bytes(started.workflow_task_started().history_size_bytes());
  for (auto* part : {&patches, &init, &signals, &updates, &resolutions}) {
    for (auto& j : *part) *a.add_jobs() = std::move(j);
  }
  cursor = span->started + 1;
  task_started = span->started;
  replaying = span->replaying;
  task_time_us = a.timestamp_us();
  task_history_length = a.history_length();
  task_suggest_continue_as_new = a.continue_as_new_suggested();
  task_history_size_bytes = a.history_size_bytes();
  if (replaying) {
    machines.BeginTask(Pointers(events, history::CommandEventsAfter(events, span->started + 1)),
                       events[span->started + 1].event_id(), /*replaying=*/true);
  } else {
    live_task_open = true;
  }
  awaiting_completion = true;
  return None(std::move(a));
}

Result<std::optional<v1::WorkflowActivation>> WorkflowReplayer::NextActivation() {
  Impl& s = *impl_;
  if (!s.broken.ok()) return s.broken;
  if (s.awaiting_completion) {
    return Status::FailedPrecondition("NextActivation of " + s.Who() +
                                      ": the previous activation was not completed");
  }
  if (s.task_failed) return std::optional<v1::WorkflowActivation>();
  auto r = s.Next();
  if (!r.ok()) return s.Broken(r.status());
  return r;
}

Status WorkflowReplayer::Complete(const v1::WorkflowActivationCompletion& completion) {
  Impl& s = *impl_;
  if (!s.broken.ok()) return s.broken;
  if (!s.awaiting_completion) {
    return Status::FailedPrecondition("Complete of " + s.Who() + ": no activation is outstanding");
  }
  s.awaiting_completion = false;
  if (completion.has_failed()) {
    s.failure = completion.failed();
    s.task_failed = true;
    return Status::OK();
  }
  std::vector<v1::Command> commands(completion.successful().commands().begin(),
                                    completion.successful().commands().end());
  if (s.replaying) {
    Status st = s.machines.MatchNext(commands);
    if (st.ok()) st = s.machines.ResolveRecordedLocalActivities(&s.intra_jobs);
    if (st.ok() && s.intra_jobs.empty()) st = s.machines.EndTask();
    return s.Broken(st);
  }
  // Earlier completions of the same task count for seq reuse. Local activity commands are
  // checked on their own: earlier ones already have their machines.
  std::vector<v1::Command> all = s.live_task_commands, local;
  for (const v1::Command& c : commands) {
    bool is_local = c.has_schedule_local_activity() || c.has_request_cancel_local_activity();
    (is_local ? local : all).push_back(c);
  }
  Status valid = s.machines.ValidateNewCommands(local);
  if (valid.ok()) valid = s.machines.ValidateNewCommands(all);
  if (!valid.ok()) return s.Broken(valid);
  for (const v1::Command& c : commands) {
    if (c.has_schedule_local_activity()) {
      Status st = s.machines.ScheduleLocalActivity(c.schedule_local_activity());
      if (!st.ok()) return s.Broken(st);
      s.la_requests.push_back(c.schedule_local_activity());
    } else if (c.has_request_cancel_local_activity()) {
      bool pending = false;
      int32_t seq = c.request_cancel_local_activity().seq();
      Status st = s.machines.RequestCancelLocalActivity(seq, &pending);
      if (!st.ok()) return s.Broken(st);
      if (pending) s.la_cancels.push_back(seq);
    } else {
      s.live_task_commands.push_back(c);
      s.live_commands.push_back(c);
    }
  }
  if (!s.unrecorded) {
    s.unrecorded.emplace();
    s.unrecorded_started_id = s.events[s.task_started].event_id();
  }
  s.unrecorded->insert(s.unrecorded->end(), commands.begin(), commands.end());
  return Status::OK();
}

std::vector<v1::ScheduleLocalActivityCommand> WorkflowReplayer::TakeLocalActivityRequests() {
  std::vector<v1::ScheduleLocalActivityCommand> out;
  out.swap(impl_->la_requests);
  return out;
}

std::vector<int32_t> WorkflowReplayer::TakeLocalActivityCancels() {
  std::vector<int32_t> out;
  out.swap(impl_->la_cancels);
  return out;
}

Status WorkflowReplayer::ResolveLocalActivity(int32_t seq, const v1::ActivityResolution& result,
                                              int32_t attempt, int64_t elapsed_us) {
  Impl& s = *impl_;
  if (!s.broken.ok()) return s.broken;
  if (!s.live_task_open || s.replaying || s.task_failed || !s.unrecorded) {
    return Status::FailedPrecondition("ResolveLocalActivity of " + s.Who() +
                                      ": no live workflow task is open (local activities are "
                                      "resolved before TakeCommands)");
  }
  if (s.awaiting_completion) {
    return Status::FailedPrecondition("ResolveLocalActivity of " + s.Who() +
                                      ": complete the outstanding activation first");
  }
  auto marker = s.machines.ResolveLocalActivity(seq, result, attempt, elapsed_us, &s.intra_jobs);
  if (!marker.ok()) return marker.status();  // the caller's mistake: the replayer stays usable
  s.live_commands.push_back(*marker);
  s.unrecorded->push_back(std::move(marker).value());
  return Status::OK();
}

std::vector<v1::Command> WorkflowReplayer::TakeCommands() {
  Impl& s = *impl_;
  std::vector<v1::Command> out;
  out.swap(s.live_commands);
  s.live_task_open = false;
  s.live_task_commands.clear();
  s.la_requests.clear();
  s.la_cancels.clear();
  s.intra_jobs.clear();
  return out;
}

std::optional<v1::Failure> WorkflowReplayer::TakeFailure() {
  std::optional<v1::Failure> out;
  out.swap(impl_->failure);
  return out;
}

int64_t WorkflowReplayer::last_event_id() const { return impl_->last_event_id; }

bool WorkflowReplayer::is_replaying() const { return impl_->replaying; }

}  // namespace durable
