// EngineImpl: durable::Engine over a Store. Internal header shared by the engine's .cc files
// (engine.cc: open, recovery, load/save, commit, events, task/timer/outbox rows; runs.cc:
// run lifecycle (create, close, terminate, fail or retry); client_calls.cc: client-facing
// calls (start, signal, cancel, terminate, describe, history, list, time skipping);
// workflow_task.cc: workflow tasks (poll, completion, failure, timeout); commands.cc: what
// each command of a completed workflow task writes; queries_updates.cc: queries and updates;
// activity.cc: activity tasks, retries and timeouts; outbox.cc: children and external
// signals/cancels; timer_frame.cc: the one frame every timer transition runs in, and its
// retry rule; timers.cc: which action each timer kind runs; visibility.cc: records, list and
// count; schedules.cc: schedules; batch.cc: batch operations).
//
// Concurrency:
//  * A transition runs under the stripe mutex of its workflow id (Stripe()): load mutable
//    state, build ONE WriteBatch, write it, then (and only then) apply in-memory effects
//    (Txn::after). Different workflows commit concurrently, so RocksDB groups their WAL
//    syncs. A transition never holds two stripes: cross-execution effects go through
//    durable outbox rows (timers family, due at once) processed one execution at a time.
//  * mem_mu_ guards in-memory run state (runtime_: dispatched tasks, updates) and watches_.
//    Lock order: stripe -> mem_mu_ -> (Matching's / TimerService's own locks).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "durable/engine.h"
#include "durable/store.h"
#include "durable/v1/state.pb.h"
#include "matching/matching.h"
#include "timers/timer_service.h"
#include "visibility/visibility_store.h"

namespace durable {

inline constexpr const char* kNamespace = "default";

// A transition under construction.
struct Txn {
  explicit Txn(int64_t now) : now_us(now) {}
  int64_t now_us;
  WriteBatch batch;
  std::vector<std::function<void()>> after;  // in-memory effects, run after a good write
  // Run key whose in-flight workflow task this transition ends (completion, failure,
  // timeout): events it adds are written, not buffered.
  std::string wft_released;
  // Run keys whose visibility record changes (start, close, search attribute or memo
  // upsert): Commit rewrites their record and index keys in this batch.
  std::set<std::string> visibility_changed;
  // While ApplyCommand applies a command that carries event group markers: the run it
  // applies to and the markers, which AppendEvent copies onto every event of that run.
  const v1::ExecutionState* markers_run = nullptr;
  const google::protobuf::RepeatedPtrField<v1::EventGroupMarker>* event_group_markers = nullptr;
};

// What a timer kind's action works on (timer_frame.cc): the transition being built (the
// timer row's delete already in it) and the loaded, open run; the action reports back.
struct TimerFire {
  Txn& txn;
  v1::ExecutionState& ms;
  bool changed = false;  // the action changed ms (written); else only the row is deleted
  std::optional<v1::ExecutionState> new_run;  // a run the action created (workflow retry)
};
// A timer kind's action. OK: the frame commits what it wrote. An error: nothing is written
// and the timer fires again later (RetryTimerLater).
using TimerAction = std::function<Status(TimerFire&)>;

// Which run a timer transition locks and loads, and what happens when it is gone.
struct TimerTarget {
  std::string workflow_id;
  std::string run_id;             // "" = the workflow's current run
  std::function<void()> on_gone;  // optional: the run is not found or closed
};

// How an in-memory timer of a durable row counts time (the row on disk holds workflow time).
enum class TimerPace {
  kWorkflowTime,  // the engine's clock: time skipping may jump to it
  kRealTime,      // real time from now to the row's fire time, never skipped
};

// A workflow task handed to a worker (in memory only; lost on restart, the task row stays).
struct WftDispatch {
  int64_t dispatch_id = 0;
  int64_t scheduled_event_id = 0;  // written or synthetic
  int64_t started_event_id = 0;    // reserved id
  int32_t attempt = 1;
  bool scheduled_written = true;   // false: transient/speculative, Scheduled is synthetic
  bool speculative = false;
  std::string identity;
  int64_t started_time_us = 0;
  std::string task_queue;
  // Its WorkflowTaskStarted's history fields, fixed at dispatch (the completion writes the
  // same event).
  bool suggest_continue_as_new = false;
  int64_t history_size_bytes = 0;
};

// An activity attempt handed to a worker by this engine instance (time skipping waits while
// one runs). The attempt's start itself is persisted (ActivityInfo.started_dispatch_id,
// last_started_time_us): an attempt started before a restart has no entry here.
struct ActivityDispatch {
  int64_t dispatch_id = 0;
};

// An update request kept in memory until the workflow accepts/rejects and completes it.
struct UpdateWaiter {
  v1::UpdateRequest request;
  int stage = 0;  // 0 admitted, 1 accepted, 2 completed (or rejected)
  v1::UpdateOutcome outcome;
  Status error;   // set when the run closed before the update finished
};

struct RunRuntime {
  std::optional<WftDispatch> wft;
  bool speculative_queued = false;
  std::map<int64_t, ActivityDispatch> activities;  // by scheduled event id
  std::map<std::string, std::shared_ptr<UpdateWaiter>> updates;  // admitted, unfinished
  std::vector<std::string> update_order;
};

// Long-poll waiters of one run's history.
struct RunWatch {
  int waiters = 0;
  uint64_t version = 0;
  std::condition_variable cv;
};

// Everything needed to create a run (start, continue-as-new, retry, child).
struct NewRunParams {
  std::string workflow_id;
  std::string run_id;  // generated when empty
  v1::WorkflowExecutionStartedEventAttributes started;
  std::string request_id;
  int64_t first_task_delay_us = 0;
  bool with_signal = false;
  v1::WorkflowExecutionSignaledEventAttributes signal;
  // Continue-as-new: the closing run's delivered signal request ids, so a signal a client
  // retries after losing the reply is not delivered again to the new run.
  google::protobuf::RepeatedPtrField<std::string> signal_request_ids;
};

// An in-memory effect of a workflow task completion on an update waiter.
struct UpdateNote {
  int kind;  // 1 accepted, 2 completed, 3 rejected
  std::string id;
  v1::UpdateOutcome outcome;
};

// What the commands of one workflow task completion share (built by
// RespondWorkflowTaskCompleted, updated by ApplyCommand).
struct CommandContext {
  std::string wf;
  std::string run;
  std::string name;      // ExecName(wf, run), for errors
  std::string identity;  // of the completing worker
  int64_t completed_id = 0;  // WorkflowTaskCompleted event id
  std::string cmd_ctx;       // " (command i of the task of ...)", for errors
  std::map<std::string, v1::UpdateRequest> admitted;  // updates waiting for accept/reject
  std::vector<UpdateNote> notes;                      // applied after the batch is written
  std::map<int32_t, int64_t> activity_by_seq;         // seq -> scheduled event id
  std::map<std::string, const v1::ActivityInfo*> activity_ids;  // pending, by activity id
  bool closed = false;  // a command closed the run: apply no more
  std::optional<v1::ExecutionState> new_run;  // continue-as-new or retry
  // Set by CommandPayload(s): a command's payload is over the limit (the message).
  std::optional<std::string> oversized;
  // Set by BadCommand: a command's attributes are invalid; the workflow task fails with
  // this cause (e.g. "bad_schedule_activity_attributes") instead of completing.
  std::string bad_cause;
};

class EngineImpl : public Engine {
 public:
  EngineImpl(std::unique_ptr<Store> store, const EngineOptions& options);
  ~EngineImpl() override;

  Status Recover();

  // Service.
  Status StartWorkflowExecution(const v1::StartWorkflowExecutionRequest& req,
                                v1::StartWorkflowExecutionResponse* resp) override;
  Status SignalWorkflowExecution(const v1::SignalWorkflowExecutionRequest& req,
                                 v1::SignalWorkflowExecutionResponse* resp) override;
  Status QueryWorkflow(const v1::QueryWorkflowRequest& req,
                       v1::QueryWorkflowResponse* resp) override;
  Status UpdateWorkflowExecution(const v1::UpdateWorkflowExecutionRequest& req,
                                 v1::UpdateWorkflowExecutionResponse* resp) override;
  Status PollWorkflowExecutionUpdate(const v1::PollWorkflowExecutionUpdateRequest& req,
                                     v1::UpdateWorkflowExecutionResponse* resp) override;
  Status UpdateWithStartWorkflowExecution(const v1::UpdateWithStartWorkflowExecutionRequest& req,
                                          v1::UpdateWithStartWorkflowExecutionResponse* resp) override;
  Status RequestCancelWorkflowExecution(const v1::RequestCancelWorkflowExecutionRequest& req,
                                        v1::RequestCancelWorkflowExecutionResponse* resp) override;
  Status TerminateWorkflowExecution(const v1::TerminateWorkflowExecutionRequest& req,
                                    v1::TerminateWorkflowExecutionResponse* resp) override;
  Status ResetWorkflowExecution(const v1::ResetWorkflowExecutionRequest& req,
                                v1::ResetWorkflowExecutionResponse* resp) override;
  Status DescribeWorkflowExecution(const v1::DescribeWorkflowExecutionRequest& req,
                                   v1::DescribeWorkflowExecutionResponse* resp) override;
  Status GetWorkflowExecutionHistory(const v1::GetWorkflowExecutionHistoryRequest& req,
                                     v1::GetWorkflowExecutionHistoryResponse* resp) override;
  Status ListWorkflowExecutions(const v1::ListWorkflowExecutionsRequest& req,
                                v1::ListWorkflowExecutionsResponse* resp) override;
  Status CountWorkflowExecutions(const v1::CountWorkflowExecutionsRequest& req,
                                 v1::CountWorkflowExecutionsResponse* resp) override;
  Status AddSearchAttributes(const v1::AddSearchAttributesRequest& req,
                             v1::AddSearchAttributesResponse* resp) override;
  Status ListSearchAttributes(const v1::ListSearchAttributesRequest& req,
                              v1::ListSearchAttributesResponse* resp) override;
  Status CreateSchedule(const v1::CreateScheduleRequest& req,
                        v1::CreateScheduleResponse* resp) override;
  Status DescribeSchedule(const v1::DescribeScheduleRequest& req,
                          v1::DescribeScheduleResponse* resp) override;
  Status UpdateSchedule(const v1::UpdateScheduleRequest& req,
                        v1::UpdateScheduleResponse* resp) override;
  Status PatchSchedule(const v1::PatchScheduleRequest& req, v1::PatchScheduleResponse* resp) override;
  Status DeleteSchedule(const v1::DeleteScheduleRequest& req,
                        v1::DeleteScheduleResponse* resp) override;
  Status ListSchedules(const v1::ListSchedulesRequest& req, v1::ListSchedulesResponse* resp) override;
  Status StartBatchOperation(const v1::StartBatchOperationRequest& req,
                             v1::StartBatchOperationResponse* resp) override;
  Status DescribeBatchOperation(const v1::DescribeBatchOperationRequest& req,
                                v1::DescribeBatchOperationResponse* resp) override;
  Status ListBatchOperations(const v1::ListBatchOperationsRequest& req,
                             v1::ListBatchOperationsResponse* resp) override;
  Status StopBatchOperation(const v1::StopBatchOperationRequest& req,
                            v1::StopBatchOperationResponse* resp) override;
  Status PollWorkflowTaskQueue(const v1::PollWorkflowTaskQueueRequest& req,
                               v1::PollWorkflowTaskQueueResponse* resp) override;
  Status RespondWorkflowTaskCompleted(const v1::RespondWorkflowTaskCompletedRequest& req,
                                      v1::RespondWorkflowTaskCompletedResponse* resp) override;
  Status RespondWorkflowTaskFailed(const v1::RespondWorkflowTaskFailedRequest& req,
                                   v1::RespondWorkflowTaskFailedResponse* resp) override;
  Status RespondQueryTaskCompleted(const v1::RespondQueryTaskCompletedRequest& req,
                                   v1::RespondQueryTaskCompletedResponse* resp) override;
  Status PollActivityTaskQueue(const v1::PollActivityTaskQueueRequest& req,
                               v1::PollActivityTaskQueueResponse* resp) override;
  void PollWorkflowTaskQueueAsync(const v1::PollWorkflowTaskQueueRequest& req,
                                  v1::PollWorkflowTaskQueueResponse* resp, Done done,
                                  Abandoned abandoned) override;
  void PollActivityTaskQueueAsync(const v1::PollActivityTaskQueueRequest& req,
                                  v1::PollActivityTaskQueueResponse* resp, Done done,
                                  Abandoned abandoned) override;
  Status RecordActivityTaskHeartbeat(const v1::RecordActivityTaskHeartbeatRequest& req,
                                     v1::RecordActivityTaskHeartbeatResponse* resp) override;
  Status RespondActivityTaskCompleted(const v1::RespondActivityTaskCompletedRequest& req,
                                      v1::RespondActivityTaskCompletedResponse* resp) override;
  Status RespondActivityTaskFailed(const v1::RespondActivityTaskFailedRequest& req,
                                   v1::RespondActivityTaskFailedResponse* resp) override;
  Status RespondActivityTaskCanceled(const v1::RespondActivityTaskCanceledRequest& req,
                                     v1::RespondActivityTaskCanceledResponse* resp) override;
  Status GetActivityTaskToken(const v1::GetActivityTaskTokenRequest& req,
                              v1::GetActivityTaskTokenResponse* resp) override;
  Status ShutdownWorker(const v1::ShutdownWorkerRequest& req,
                        v1::ShutdownWorkerResponse* resp) override;

  // Engine.
  Status SetTimeSkipping(bool enabled) override;
  Status SkipTime(int64_t duration_us) override;
  Status SkipTimeWhenIdle(int64_t duration_us) override;
  Result<int64_t> DeleteClosedRunsOlderThan(int64_t retention_us) override;
  EngineGauges Gauges() override;

 private:
  friend class EngineTestPeer;

  // ---- infrastructure (engine.cc) ----
  int64_t Now() const { return clock_->NowMicros(); }
  std::mutex& Stripe(const std::string& workflow_id);
  static std::string RunKey(const std::string& wf, const std::string& run) {
    return wf + '\0' + run;
  }
  std::string NewRunId();
  int64_t NextDispatchId() { return next_dispatch_id_.fetch_add(1); }

  // The run a client call addresses (empty run id = current), open or closed.
  Status LoadRun(const std::string& wf, const std::string& run_id, v1::ExecutionState* ms);
  // kFailedPrecondition naming `verb` if the run is closed.
  static Status RequireOpen(const v1::ExecutionState& ms, const std::string& wf,
                            const char* verb);
  // The open run a client call addresses; kFailedPrecondition naming `verb` if closed.
  Status LoadOpenRun(const std::string& wf, const std::string& run_id, const char* verb,
                     v1::ExecutionState* ms);
  Status LoadState(const std::string& wf, const std::string& run, v1::ExecutionState* ms);
  // Resolves an empty run id to the current run of `wf`.
  Status ResolveRun(const std::string& wf, const std::string& run, std::string* out);
  Status LoadCurrent(const std::string& wf, v1::CurrentRun* cur);
  Status ReadHistory(const v1::ExecutionState& ms, int64_t from, int64_t to_exclusive,
                     v1::History* out);

  // Writes the batch (with every state in `states`) and runs the in-memory effects.
  Status Commit(Txn& txn, std::initializer_list<v1::ExecutionState*> states);
  void SaveState(Txn& txn, const v1::ExecutionState& ms);
  void NotifyWatchers(const std::string& run_key);

  // ---- metrics (metrics.cc) ----
  // The sink of EngineOptions::metrics, or nullptr.
  MetricsSink* metrics() const { return options_.metrics.get(); }
  // After `txn` is written: the run's start / close is reported to the sink.
  void ReportStartAfter(Txn& txn, const v1::ExecutionState& ms);
  void ReportCloseAfter(Txn& txn, const v1::ExecutionState& ms);
  // A task dispatched to a worker, queued since `task.queued_at`.
  void ReportScheduleToStart(const QueuedTask& task, const std::string& queue, const char* kind);

  // ---- visibility (visibility.cc) ----
  // The run's visibility record is rewritten (with its index keys) when `txn` commits.
  void MarkVisibilityChanged(Txn& txn, const v1::ExecutionState& ms);
  // Applies an upsert to `current` (a value of type UNSPECIFIED removes the attribute).
  static void MergeSearchAttributes(const v1::SearchAttributes& upsert, v1::SearchAttributes* current);
  // Validates search attributes set by a start, a child or an upsert (registered, typed).
  Status ValidateSearchAttributes(const std::string& ns, const v1::SearchAttributes& attrs,
                                  bool allow_remove, const std::string& wf);

  // Event helpers (the caller holds the stripe).
  bool WftInFlight(const Txn& txn, const v1::ExecutionState& ms);
  int64_t AppendEvent(Txn& txn, v1::ExecutionState& ms, v1::HistoryEvent ev);
  // Appends (and schedules a workflow task) or, while a workflow task is in flight, buffers.
  void AddOrBufferEvent(Txn& txn, v1::ExecutionState& ms, v1::HistoryEvent ev);
  void AddOrBufferEvents(Txn& txn, v1::ExecutionState& ms, std::vector<v1::HistoryEvent> evs);
  bool FlushBuffered(Txn& txn, v1::ExecutionState& ms);
  // Schedules a workflow task (WorkflowTaskScheduled + task row) unless one is pending.
  void ScheduleWorkflowTask(Txn& txn, v1::ExecutionState& ms);
  void PutWorkflowTaskRow(Txn& txn, v1::ExecutionState& ms);
  void PutActivityTaskRow(Txn& txn, v1::ExecutionState& ms, v1::ActivityInfo& ai);
  void DeleteTaskRow(Txn& txn, const std::string& queue, int kind, int64_t seq);
  void AddDurableTimer(Txn& txn, v1::TimerRow row, TimerPace pace = TimerPace::kWorkflowTime);
  void DeleteDurableTimer(Txn& txn, const v1::TimerRow& row);
  std::string TimerKey(const v1::TimerRow& row);
  void AddOutbox(Txn& txn, const v1::ExecutionState& ms, v1::OutboxItem item, int64_t delay_us = 0);

  // Creates a run in `txn` (Started event, first workflow task, timers, current pointer).
  Status CreateRun(Txn& txn, NewRunParams p, v1::ExecutionState* out);
  // The run timeout (from now + first_task_delay_us) and execution timeout timers of a new run.
  void AddRunTimeoutTimers(Txn& txn, const v1::ExecutionState& ms, int64_t first_task_delay_us);
  // ---- reset (reset.cc) ----
  // Rebuilds the mutable state of `ms` (a new run; started, ids and times set) from the
  // copied history prefix `events`: pending activities (attempt 1 again), timers (their first
  // fire time), updates, memo, search attributes, cancel request. kFailedPrecondition for a
  // child workflow or external signal/cancel still pending in the prefix.
  Status RebuildResetState(Txn& txn, const v1::History& prefix, v1::ExecutionState& ms);
  // Closes a run: writes `close_event`, drops pending work, applies the parent close policy
  // and tells the parent. `status` is the new status.
  void CloseRun(Txn& txn, v1::ExecutionState& ms, v1::WorkflowExecutionStatus status,
                v1::HistoryEvent close_event);
  void TerminateLocked(Txn& txn, v1::ExecutionState& ms, const std::string& reason,
                       const v1::Payloads* details, const std::string& identity);
  // WorkflowExecutionCancelRequested on an open run (nothing if already requested).
  void RequestCancelLocked(Txn& txn, v1::ExecutionState& ms, const std::string& reason,
                           const std::string& identity);
  // WorkflowExecutionSignaled on an open run; false (nothing written) when `request_id` was
  // delivered already.
  bool SignalLocked(Txn& txn, v1::ExecutionState& ms, const std::string& name,
                    const v1::Payloads& input,
                    const google::protobuf::Map<std::string, v1::Payload>& header,
                    const std::string& identity, const std::string& request_id);
  // Failure / timeout of a run: retries by the workflow retry policy (new run) if allowed.
  Status FailOrRetryRun(Txn& txn, v1::ExecutionState& ms, const v1::Failure& failure,
                        bool timed_out, int64_t wft_completed_id,
                        std::optional<v1::ExecutionState>* new_run);

  // ---- limits (limits.cc) ----
  // kInvalidArgument naming `what`, its size and the limit when a payload is over
  // limits.max_payload_bytes; a warning (Warn) when over limits.warn_payload_bytes.
  Status ValidatePayloads(const v1::Payloads& p, const std::string& what,
                          const std::string& wf);
  Status ValidatePayload(const v1::Payload& p, const std::string& what, const std::string& wf);
  // The same for a workflow command's payloads; an error also sets cc.oversized.
  Status CommandPayloads(const v1::Payloads& p, const std::string& what, CommandContext& cc);
  Status CommandPayload(const v1::Payload& p, const std::string& what, CommandContext& cc);
  // Before a transition is written: terminates the open run `ms` whose history reached
  // limits.max_history_events / max_history_bytes; warns once per run past the thresholds.
  void EnforceHistoryLimits(Txn& txn, v1::ExecutionState& ms);
  // The history is past a warning threshold: workflow tasks suggest continue-as-new.
  bool ContinueAsNewSuggested(const v1::ExecutionState& ms) const;
  // kResourceExhausted (and *cause, e.g. "pending_activities_limit_exceeded") when the
  // commands would make more pending activities / children / external signals / external
  // cancels than the limits allow.
  Status CheckPendingLimits(const v1::ExecutionState& ms,
                            const google::protobuf::RepeatedPtrField<v1::Command>& commands,
                            const std::string& name, std::string* cause) const;
  // One line to options_.warn (stderr by default).
  void Warn(const std::string& message);

  // ---- workflow tasks (workflow_task.cc) ----
  Status DispatchWorkflowTask(QueuedTask task, const std::string& identity,
                              v1::PollWorkflowTaskQueueResponse* resp, bool* dispatched);
  void OnWorkflowTaskTimeout(const v1::TimerRow& row, const std::string& key);
  void OnWorkflowTaskBackoff(const v1::TimerRow& row, const std::string& key);
  // Under time skipping, how many retries of a failing workflow task may have their backoff
  // skipped (attempts 2 to 4: at once, 1 s, 2 s); later ones wait their backoff in real time.
  static constexpr int32_t kSkippedWorkflowTaskRetries = 3;
  // Queues a speculative workflow task when updates wait and no task is pending or running.
  // Requires mem_mu_.
  void QueueSpeculativeLocked(RunRuntime& rt, const v1::TaskRow& row);
  void ClearWftDispatch(const std::string& run_key, int64_t dispatch_id);
  // Fails the dispatched workflow task `d` of `ms` (WorkflowTaskFailed on a first attempt,
  // then a retry with backoff) and commits. The caller holds the stripe.
  Status FailWorkflowTaskLocked(v1::ExecutionState& ms, const WftDispatch& d,
                                const std::string& cause, const v1::Failure& failure,
                                const std::string& identity);

  // ---- commands (commands.cc) ----
  // Applies one command of a completed workflow task: its event, mutable-state, task, timer
  // and outbox changes in `txn`; update effects in cc.notes. Sets cc.closed when the command
  // closes the run; on an error, cc.bad_cause when the command's attributes are invalid (the
  // error's message says why) or cc.oversized when a payload is over the limit.
  // The command's event group markers are copied onto every event it appends to `ms`.
  Status ApplyCommand(Txn& txn, v1::ExecutionState& ms, const v1::Command& c,
                      CommandContext& cc);
  // ApplyCommand without the markers: the switch on the command's kind.
  Status ApplyCommandKind(Txn& txn, v1::ExecutionState& ms, const v1::Command& c,
                          CommandContext& cc);
  // One of the commands completing `d` is invalid (`cause`, e.g. cc.bad_cause; `rejected`
  // says why): fails the task (WorkflowTaskFailed with that cause and message, then a retry
  // with backoff) and warns. OK when that was written: the completion call itself succeeds.
  // `ms` is the stored state (nothing of the task applied); the caller holds the stripe.
  Status FailTaskOnBadCommand(v1::ExecutionState& ms, const WftDispatch& d,
                              const std::string& cause, const Status& rejected,
                              const std::string& identity);

  // ---- queries and updates (queries_updates.cc) ----
  Status DispatchQuery(QueuedTask task, v1::PollWorkflowTaskQueueResponse* resp);
  // One task that matching handed a poll, for the blocking and the async poll alike: true
  // when the poll is answered (*status OK with resp filled, or an error); false when the task
  // was stale and the poll goes on waiting.
  bool AnswerWorkflowPoll(QueuedTask t, const v1::PollWorkflowTaskQueueRequest& req,
                          v1::PollWorkflowTaskQueueResponse* resp, Status* status);
  bool AnswerActivityPoll(QueuedTask t, const v1::PollActivityTaskQueueRequest& req,
                          v1::PollActivityTaskQueueResponse* resp, Status* status);
  template <typename Req, typename Resp>
  struct AsyncPoll;
  void ContinueWorkflowPoll(std::shared_ptr<AsyncPoll<v1::PollWorkflowTaskQueueRequest,
                                                      v1::PollWorkflowTaskQueueResponse>> call);
  void ContinueActivityPoll(std::shared_ptr<AsyncPoll<v1::PollActivityTaskQueueRequest,
                                                      v1::PollActivityTaskQueueResponse>> call);
  // ---- start (client_calls.cc) and update admission (queries_updates.cc) ----
  Status ValidateStart(const v1::StartWorkflowExecutionRequest& req);
  Status StartLocked(const v1::StartWorkflowExecutionRequest& req,
                     v1::StartWorkflowExecutionResponse* resp, v1::ExecutionState* run);
  Status ValidateUpdate(const std::string& wf, const v1::UpdateRequest& r);
  // Admits update `r` to run `ms` (the stripe lock held), or finds it admitted or known from
  // history; *w is null when the history already answers (resp filled).
  Status AdmitUpdateLocked(const v1::ExecutionState& ms, const v1::UpdateRequest& r, int stage,
                           std::shared_ptr<UpdateWaiter>* w,
                           v1::UpdateWorkflowExecutionResponse* resp);
  Status WaitUpdate(const std::string& wf, const std::string& run,
                    const std::shared_ptr<UpdateWaiter>& w, int stage, int64_t timeout_us,
                    v1::UpdateWorkflowExecutionResponse* resp);

  // ---- activities (activity.cc) ----
  // Attempt 1 of activity `ai` (scheduled and scheduled_event_id set): its times, task row,
  // schedule-to-start and schedule-to-close timers. For ScheduleActivity and for a reset.
  void ArmFirstActivityAttempt(Txn& txn, v1::ExecutionState& ms, v1::ActivityInfo& ai);
  Status DispatchActivityTask(QueuedTask task, const std::string& identity,
                              v1::PollActivityTaskQueueResponse* resp, bool* dispatched);
  Status LoadActivityByToken(const v1::TaskToken& tok, v1::ExecutionState* ms,
                             v1::ActivityInfo** ai);
  // Retries the activity or records its final failure/timeout. `failure` is the attempt's
  // failure; `timeout_type` set for timeouts.
  void FailActivityAttempt(Txn& txn, v1::ExecutionState& ms, int64_t sched_id,
                           const v1::Failure& failure, v1::TimeoutType timeout_type,
                           const std::string& identity, bool final_timeout);
  // Records an attempt's outcome: ActivityTaskStarted + `outcome` (its started_event_id is
  // filled in), drops the task row and the pending activity.
  void CloseActivity(Txn& txn, v1::ExecutionState& ms, const v1::ActivityInfo& ai,
                     const std::string& identity, v1::HistoryEvent outcome);
  // After the write: forget the in-memory dispatch of activity `sched` of run `rk`.
  void ForgetActivityDispatch(Txn& txn, const std::string& rk, int64_t sched);
  void OnActivityTimer(const v1::TimerRow& row, const std::string& key);
  void OnActivityRetry(const v1::TimerRow& row, const std::string& key);
  // In-memory start-to-close and heartbeat timers of a started attempt (`ai` persisted as
  // started; at dispatch, and on open for an attempt whose worker died with the engine).
  void AddAttemptTimers(const std::string& wf, const std::string& run, const v1::ActivityInfo& ai);

  // ---- the timer-transition frame (timer_frame.cc) ----
  // Runs one timer transition: locks the target's stripe, deletes the timer row (`key`, ""
  // for an in-memory timer), loads the target run and, when it is open, runs `act` and
  // commits. The one retry rule: a run not found or closed drops the timer (on_gone, then
  // the row's delete is written); any other failure (loading, the action, the write) writes
  // nothing and re-arms the timer with RetryTimerLater, so it fires again.
  void RunTimerTransition(const v1::TimerRow& row, const std::string& key,
                          const TimerTarget& target, const TimerAction& act);
  // The target of most timers: the row's own run.
  static TimerTarget RowRun(const v1::TimerRow& row) {
    return TimerTarget{row.workflow_id(), row.run_id(), nullptr};
  }
  // Re-arms a timer whose transition failed, kTimerRetryDelayUs of real time from now (real
  // time: under time skipping a storage fault must not become a busy loop). Its row, if
  // durable, stays on disk, so a reopen fires it too.
  void RetryTimerLater(const v1::TimerRow& row, const std::string& key);
  static constexpr int64_t kTimerRetryDelayUs = 1'000'000;

  // ---- timers (timers.cc) ----
  void FireTimer(const v1::TimerRow& row, const std::string& key);
  void OnUserTimer(const v1::TimerRow& row, const std::string& key);
  void OnRunTimeout(const v1::TimerRow& row, const std::string& key);
  void OnStartDelay(const v1::TimerRow& row, const std::string& key);
  bool CanSkipTime();

  // ---- schedules (schedules.cc) ----
  std::mutex& ScheduleMutex(const std::string& schedule_id);
  Status LoadSchedule(const std::string& ns, const std::string& id, v1::ScheduleRecord* rec);
  // Drops closed runs from rec's running workflows (their status into recent actions;
  // pause_on_failure applies).
  void RefreshScheduleRuns(v1::ScheduleRecord& rec);
  // Starts the action's workflow for nominal time `nominal_us` (idempotent per nominal time).
  // Non-OK only when the engine is closing or storage fails (the action is retried later).
  Status StartScheduledRun(v1::ScheduleRecord& rec, int64_t nominal_us, int64_t actual_us);
  // Applies the overlap policy to one due action.
  Status TakeScheduleAction(v1::ScheduleRecord& rec, int64_t nominal_us, int64_t actual_us,
                            v1::ScheduleOverlapPolicy overlap);
  // Starts buffered actions and takes every action due up to `now`.
  Status AdvanceSchedule(v1::ScheduleRecord& rec, int64_t now);
  // Writes the record and its next wake-up row (deleting `fired_key` and any older row).
  Status SaveSchedule(v1::ScheduleRecord& rec, const std::string& fired_key);
  // In CloseRun: a run started by a schedule wakes the schedule (a timer row due now).
  void NotifyScheduleOfClose(Txn& txn, const v1::ExecutionState& ms);
  void OnScheduleTimer(const v1::TimerRow& row, const std::string& key);
  // Legacy cron: after `ms` closed (completed, failed or timed out without a retry), creates
  // its next run, whose first workflow task waits for the next cron time. The next run
  // starts with `result` as its last completion result (else the one `ms` started with)
  // and `failure` as its continued failure (as Temporal: workflow.get_last_completion_result
  // / get_last_failure).
  Status ContinueCron(Txn& txn, const v1::ExecutionState& ms,
                      std::optional<v1::ExecutionState>* new_run,
                      const v1::Payloads* result = nullptr, const v1::Failure* failure = nullptr);

  // ---- batch operations (batch.cc) ----
  std::mutex& BatchMutex(const std::string& job_id);
  Status LoadBatch(const std::string& job_id, v1::BatchRecord* rec);
  // Acts on the execution at rec.next_index and advances the cursor, both in one write.
  // Non-OK only for storage errors or a closing engine (nothing written; the step retries).
  Status BatchActOnNext(v1::BatchRecord& rec);
  // One step: up to the rate's share of actions, then the next step's row (or completion).
  void OnBatchTimer(const v1::TimerRow& row, const std::string& key);

  // ---- outbox (outbox.cc) ----
  void OnOutbox(const v1::TimerRow& row, const std::string& key);

  std::unique_ptr<Store> store_;
  EngineOptions options_;
  std::shared_ptr<Clock> clock_;
  Matching matching_;
  std::unique_ptr<TimerService> timers_;
  std::unique_ptr<visibility::VisibilityStore> visibility_;

  static constexpr int kStripes = 256;
  std::mutex stripes_[kStripes];
  // Schedules' own locks (never a workflow stripe: a schedule locks a workflow's stripe
  // while it holds its own). Order: schedule -> workflow stripe.
  static constexpr int kScheduleStripes = 16;
  std::mutex schedule_mu_[kScheduleStripes];
  // Batch operations' own locks, as schedules'. Order: batch -> workflow stripe.
  static constexpr int kBatchStripes = 16;
  std::mutex batch_mu_[kBatchStripes];

  std::mutex mem_mu_;
  std::unordered_map<std::string, RunRuntime> runtime_;          // by RunKey
  std::unordered_map<std::string, std::shared_ptr<RunWatch>> watches_;
  std::condition_variable update_cv_;                            // update waiters
  std::unordered_map<std::string, std::shared_ptr<QueryWaiter>> queries_;  // by query id
  std::condition_variable query_cv_;

  std::atomic<int64_t> next_task_seq_{1};
  std::atomic<int64_t> next_dispatch_id_{1};
  std::atomic<int64_t> next_query_id_{1};
  std::atomic<int> active_transitions_{0};
  std::atomic<bool> closing_{false};
  std::atomic<int> active_calls_{0};  // public calls in progress (the destructor waits)

  std::mutex rng_mu_;
  uint64_t rng_state_[2];
};

// RAII: counts a transition in progress (time skipping waits for none).
class TransitionScope {
 public:
  explicit TransitionScope(std::atomic<int>& c) : c_(c) { c_.fetch_add(1); }
  ~TransitionScope() { c_.fetch_sub(1); }

 private:
  std::atomic<int>& c_;
};

// RAII: counts a public call in progress; refuses calls once the engine is closing.
class CallScope {
 public:
  CallScope(std::atomic<int>& c, const std::atomic<bool>& closing) : c_(c) {
    c_.fetch_add(1);
    closed_ = closing.load();
  }
  ~CallScope() { c_.fetch_sub(1); }
  bool closed() const { return closed_; }

 private:
  std::atomic<int>& c_;
  bool closed_;
};

#define DURABLE_ENTER()                                                         \
  CallScope _call_scope(active_calls_, closing_);                              \
  if (_call_scope.closed()) return Status::Unavailable("the engine is closed")

// Helpers shared by the .cc files.
// "3.0 MB", "10 KB", "512 bytes" (binary units).
std::string FormatBytes(int64_t n);
// kInvalidArgument naming `what` (and workflow `wf` when set) for an empty identifier, one
// longer than `max_len` bytes, or one with a NUL byte.
Status ValidateId(const std::string& v, const char* what, int64_t max_len, const std::string& wf);
// A non-retryable ApplicationFailure (type PayloadSizeLimitExceeded) saying `message`.
v1::Failure LimitFailure(const std::string& message);
Status ValidateActivityPoll(const v1::PollActivityTaskQueueRequest& req);
// Microseconds from `now_us` to the next time of cron string `cron`; kInvalidArgument for a
// malformed string (schedules.cc).
Result<int64_t> CronDelay(const std::string& cron, int64_t now_us);
// The visibility record of a run (visibility.cc).
v1::VisibilityRecord VisibilityRecordOf(const v1::ExecutionState& ms);
std::string EncodeToken(const v1::TaskToken& t);
Status DecodeToken(const std::string& bytes, v1::TaskToken* t);
std::string ExecName(const std::string& wf, const std::string& run);
bool IsOpen(const v1::ExecutionState& ms);
// The root of the run's parent chain: its recorded root, else the run itself.
v1::WorkflowExecution RootOf(const v1::ExecutionState& ms);
const char* StatusName(v1::WorkflowExecutionStatus s);
// Retry policy with Temporal's defaults filled in.
v1::RetryPolicy WithRetryDefaults(const v1::RetryPolicy& p);
struct RetryDecision {
  bool retry = false;
  int64_t delay_us = 0;
  v1::RetryState state = v1::RETRY_STATE_UNSPECIFIED;
};
// attempt: the attempt that just failed (from 1). expiration_us: 0 = none.
RetryDecision DecideRetry(const v1::RetryPolicy& policy, int32_t attempt,
                          const v1::Failure* failure, bool is_timeout, int64_t now_us,
                          int64_t expiration_us);

}  // namespace durable
