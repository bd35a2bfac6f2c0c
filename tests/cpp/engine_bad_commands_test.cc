// A workflow task completed with a command whose attributes are invalid is not refused: the
// call succeeds, the task fails with WorkflowTaskFailed (the command kind's cause and a
// message naming the field, the command and the run), nothing of the task is applied, and
// the task is retried after backoff like any failed task. Malformed requests (a stale task
// token) stay errors.
#include <gtest/gtest.h>

#include <mutex>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr const char* kFailedFirstTask =
    "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
    "4 WorkflowTaskFailed";

class EngineBadCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<VirtualClock>(1'700'000'000LL * kSecond);
    EngineOptions o = FastOptions();
    o.clock = clock_;
    o.limits.max_id_length = 20;
    o.warn = [this](const std::string& w) {
      std::lock_guard<std::mutex> l(mu_);
      warnings_.push_back(w);
    };
    auto r = OpenEngine(dir_.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  Engine& e() { return *engine_; }

  // Starts `wf` and completes its first task with `cmds`: the call succeeds and the task
  // fails. Returns the WorkflowTaskFailed attributes.
  v1::WorkflowTaskFailedEventAttributes FailFirstTask(std::vector<v1::Command> cmds,
                                                      const std::string& wf = "wf") {
    run_ = Start(e(), wf);
    auto t = PollWft(e());
    EXPECT_EQ(t.workflow_execution().workflow_id(), wf);
    Status st = CompleteWft(e(), t.task_token(), std::move(cmds));
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto h = GetHistory(e(), wf);
    EXPECT_EQ(HistoryString(h), kFailedFirstTask);
    // The task is over: its token is stale, and that is still an error.
    EXPECT_EQ(CompleteWft(e(), t.task_token(), {CompleteWorkflow()}).code(), StatusCode::kNotFound);
    if (h.events_size() < 4) return {};
    const auto& f = h.events(3).workflow_task_failed();
    EXPECT_EQ(f.failure().source(), "engine");
    EXPECT_EQ(f.identity(), "w1");
    return f;
  }
  // The task is offered again at once (attempt 2) and valid commands complete the run.
  void RetryCompletes(const std::string& wf = "wf") {
    auto t = PollWft(e());
    ASSERT_EQ(t.workflow_execution().workflow_id(), wf);
    EXPECT_EQ(t.attempt(), 2);
    ASSERT_TRUE(CompleteWft(e(), t.task_token(), {CompleteWorkflow()}).ok());
    EXPECT_EQ(H(e(), wf), std::string(kFailedFirstTask) +
                              ", 5 WorkflowTaskScheduled, 6 WorkflowTaskStarted, "
                              "7 WorkflowTaskCompleted, 8 WorkflowExecutionCompleted");
  }
  // The end of every message: which command of which task.
  std::string Where(int command, const std::string& wf = "wf") {
    return " (command " + std::to_string(command) + " of the task of workflow '" + wf +
           "' (run '" + run_ + "'))";
  }
  std::vector<std::string> Warnings() {
    std::lock_guard<std::mutex> l(mu_);
    return warnings_;
  }

  TempDir dir_;
  std::shared_ptr<VirtualClock> clock_;
  std::unique_ptr<Engine> engine_;
  std::string run_;
  std::mutex mu_;
  std::vector<std::string> warnings_;
};

TEST_F(EngineBadCommandTest, ScheduleActivityWithAnEmptyTypeFailsTheTaskAndNothingIsApplied) {
  // The valid timer before the bad command is not written either.
  auto f = FailFirstTask({StartTimer(1, 5 * kSecond), ScheduleActivity(1, "")});
  EXPECT_EQ(f.cause(), "bad_schedule_activity_attributes");
  EXPECT_EQ(f.failure().message(), "ScheduleActivity: activity_type is empty" + Where(1));
  auto w = Warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "workflow task failed (bad_schedule_activity_attributes): " +
                      f.failure().message() +
                      "; it is retried after backoff until the workflow sends valid commands");
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, ScheduleActivityWithBadIdsOrTimeoutsFailsTheTask) {
  struct Case {
    std::string wf;
    v1::Command command;
    std::string message;
  };
  std::vector<Case> cases;
  auto c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_activity_id("an-activity-id-too-long");
  cases.push_back({"long-id", c, "ScheduleActivity: activity_id is 23 bytes long, more than the limit of 20"});
  c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_task_queue("a-task-queue-too-long");
  cases.push_back({"long-queue", c, "ScheduleActivity: task_queue is 21 bytes long, more than the limit of 20"});
  c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_heartbeat_timeout_us(-1);
  cases.push_back({"negative", c, "ScheduleActivity: activity '1' has a negative timeout"});
  c = ScheduleActivity(1);
  c.mutable_schedule_activity()->set_start_to_close_timeout_us(0);
  cases.push_back({"no-timeout", c,
                   "ScheduleActivity: activity '1' sets neither start_to_close_timeout nor "
                   "schedule_to_close_timeout"});
  for (auto& k : cases) {
    SCOPED_TRACE(k.wf);
    auto f = FailFirstTask({k.command}, k.wf);
    EXPECT_EQ(f.cause(), "bad_schedule_activity_attributes");
    EXPECT_EQ(f.failure().message(), k.message + Where(0, k.wf));
    RetryCompletes(k.wf);
  }
}

TEST_F(EngineBadCommandTest, ScheduleActivityWithAnIdInUseFailsWithTheDuplicateIdCause) {
  auto a = ScheduleActivity(1);
  a.mutable_schedule_activity()->set_activity_id("charge");
  auto b = ScheduleActivity(2);
  b.mutable_schedule_activity()->set_activity_id("charge");
  auto f = FailFirstTask({a, b});
  EXPECT_EQ(f.cause(), "schedule_activity_duplicate_id");
  EXPECT_EQ(f.failure().message(),
            "ScheduleActivity: activity id 'charge' is already used by a pending activity" + Where(1));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, RequestCancelActivityOfNoPendingActivityFailsTheTask) {
  v1::Command c;
  c.mutable_request_cancel_activity()->set_seq(7);
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_request_cancel_activity_attributes");
  EXPECT_EQ(f.failure().message(), "RequestCancelActivity: no pending activity with seq 7" + Where(0));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, StartTimerWithANegativeDurationFailsTheTask) {
  auto f = FailFirstTask({StartTimer(3, -5)});
  EXPECT_EQ(f.cause(), "bad_start_timer_attributes");
  EXPECT_EQ(f.failure().message(), "StartTimer: timer seq 3 has a negative duration (-5 us)" + Where(0));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, StartTimerWithARunningSeqFailsWithTheDuplicateIdCause) {
  auto f = FailFirstTask({StartTimer(1, kSecond), StartTimer(1, kSecond)});
  EXPECT_EQ(f.cause(), "start_timer_duplicate_id");
  EXPECT_EQ(f.failure().message(), "StartTimer: timer seq 1 is already running" + Where(1));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, CancelTimerOfNoRunningTimerFailsTheTask) {
  v1::Command c;
  c.mutable_cancel_timer()->set_seq(9);
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_cancel_timer_attributes");
  EXPECT_EQ(f.failure().message(), "CancelTimer: no running timer with seq 9" + Where(0));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, RecordMarkerWithoutANameFailsTheTask) {
  v1::Command c;
  c.mutable_record_marker();
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_record_marker_attributes");
  EXPECT_EQ(f.failure().message(), "RecordMarker: marker_name is empty" + Where(0));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, ContinueAsNewOntoATooLongTaskQueueFailsTheTask) {
  v1::Command c;
  c.mutable_continue_as_new_workflow_execution()->set_task_queue("a-task-queue-too-long");
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_continue_as_new_attributes");
  EXPECT_EQ(f.failure().message(),
            "ContinueAsNewWorkflowExecution: task_queue is 21 bytes long, more than the limit of 20" +
                Where(0));
  RetryCompletes();  // and no new run was made
  EXPECT_EQ(Describe(e(), "wf").info().status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
}

TEST_F(EngineBadCommandTest, StartChildWithAnEmptyWorkflowTypeFailsTheTask) {
  v1::Command c;
  c.mutable_start_child_workflow_execution()->set_seq(1);
  c.mutable_start_child_workflow_execution()->set_workflow_id("child");
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_start_child_execution_attributes");
  EXPECT_EQ(f.failure().message(), "StartChildWorkflowExecution: workflow_type is empty" + Where(0));
  RetryCompletes();
  v1::DescribeWorkflowExecutionRequest r;
  r.mutable_execution()->set_workflow_id("child");
  v1::DescribeWorkflowExecutionResponse resp;
  EXPECT_EQ(e().DescribeWorkflowExecution(r, &resp).code(), StatusCode::kNotFound);
}

TEST_F(EngineBadCommandTest, SignalExternalWithoutAWorkflowIdFailsTheTask) {
  v1::Command c;
  c.mutable_signal_external_workflow_execution()->set_seq(1);
  c.mutable_signal_external_workflow_execution()->set_signal_name("go");
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_signal_workflow_execution_attributes");
  EXPECT_EQ(f.failure().message(), "SignalExternalWorkflowExecution: workflow_id is empty" + Where(0));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, RequestCancelExternalWithoutAWorkflowIdFailsTheTask) {
  v1::Command c;
  c.mutable_request_cancel_external_workflow_execution()->set_seq(1);
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_request_cancel_external_workflow_execution_attributes");
  EXPECT_EQ(f.failure().message(),
            "RequestCancelExternalWorkflowExecution: workflow_id is empty" + Where(0));
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, UpsertingABadSearchAttributeFailsTheTask) {
  v1::Command c;
  auto& fields = *c.mutable_upsert_workflow_search_attributes()
                      ->mutable_search_attributes()
                      ->mutable_indexed_fields();
  fields["Unregistered"].set_type(v1::INDEXED_VALUE_TYPE_KEYWORD);
  fields["Unregistered"].set_string_value("x");
  auto f = FailFirstTask({c});
  EXPECT_EQ(f.cause(), "bad_search_attributes");
  EXPECT_EQ(f.failure().message().rfind("UpsertWorkflowSearchAttributes: search attribute "
                                        "'Unregistered' is not registered in namespace",
                                        0),
            0u)
      << f.failure().message();
  EXPECT_TRUE(f.failure().message().ends_with(Where(0))) << f.failure().message();
  RetryCompletes();
}

TEST_F(EngineBadCommandTest, AcceptingOrRejectingAnUpdateThatIsNotWaitingFailsTheTask) {
  v1::Command accept;
  accept.mutable_accept_update()->set_update_id("u-none");
  auto f = FailFirstTask({accept});
  EXPECT_EQ(f.cause(), "bad_update_workflow_execution_message");
  EXPECT_EQ(f.failure().message(), "AcceptUpdate: update 'u-none' is not waiting" + Where(0));
  RetryCompletes();

  v1::Command reject;
  reject.mutable_reject_update()->set_update_id("u-none");
  f = FailFirstTask({reject}, "wf-reject");
  EXPECT_EQ(f.cause(), "bad_update_workflow_execution_message");
  EXPECT_EQ(f.failure().message(), "RejectUpdate: update 'u-none' is not waiting" + Where(0, "wf-reject"));
  RetryCompletes("wf-reject");
}

TEST_F(EngineBadCommandTest, EmptyAndLocalActivityCommandsFailTheTaskAsUnsupported) {
  auto f = FailFirstTask({v1::Command()});
  EXPECT_EQ(f.cause(), "unsupported_command");
  EXPECT_EQ(f.failure().message(), "empty or unknown command" + Where(0));
  RetryCompletes();
}

// A workflow that keeps sending the bad command: each retry fails (only the first failure is
// recorded, the later attempts are transient), waits its backoff, and holds up nobody.
TEST_F(EngineBadCommandTest, ATaskThatKeepsFailingIsRetriedAfterBackoffWithoutWedgingOthers) {
  FailFirstTask({StartTimer(1, -1)}, "bad");
  auto t = PollWft(e());
  ASSERT_EQ(t.workflow_execution().workflow_id(), "bad");
  EXPECT_EQ(t.attempt(), 2);
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {StartTimer(1, -1)}).ok());
  EXPECT_EQ(H(e(), "bad"), kFailedFirstTask);
  // Attempt 3 waits its backoff (1 s); another workflow's task goes first.
  Start(e(), "good");
  t = PollWft(e());
  ASSERT_EQ(t.workflow_execution().workflow_id(), "good");
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {CompleteWorkflow()}).ok());
  ASSERT_TRUE(e().SkipTime(kSecond).ok());
  t = PollWft(e());
  ASSERT_EQ(t.workflow_execution().workflow_id(), "bad");
  EXPECT_EQ(t.attempt(), 3);
  ASSERT_TRUE(CompleteWft(e(), t.task_token(), {CompleteWorkflow()}).ok());
  EXPECT_EQ(H(e(), "bad"), std::string(kFailedFirstTask) +
                               ", 5 WorkflowTaskScheduled, 6 WorkflowTaskStarted, "
                               "7 WorkflowTaskCompleted, 8 WorkflowExecutionCompleted");
  EXPECT_EQ(Warnings().size(), 2u);  // one per failed attempt
}

}  // namespace
}  // namespace durable::testing
