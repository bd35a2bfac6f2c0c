// The engine never receives local activity commands (the worker's replay core consumes them):
// a completion carrying one fails the workflow task (cause unsupported_command), applies
// nothing, and the retried task goes through with the right commands.
#include <gtest/gtest.h>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

TEST(EngineLocalActivityTest, LocalActivityCommandsFailTheTaskWhichIsRetried) {
  TempDir dir;
  auto opened = OpenEngine(dir.path(), FastOptions());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Engine> e = std::move(opened).value();
  v1::Command schedule;
  schedule.mutable_schedule_local_activity()->set_seq(1);
  schedule.mutable_schedule_local_activity()->set_activity_type("fetch");
  v1::Command cancel;
  cancel.mutable_request_cancel_local_activity()->set_seq(1);
  int expected_attempt = 1;
  Start(*e, "wf-la");
  for (const v1::Command& c : {schedule, cancel}) {
    auto wft = PollWft(*e);
    ASSERT_FALSE(wft.task_token().empty());
    EXPECT_EQ(wft.attempt(), expected_attempt++);
    Status st = CompleteWft(*e, wft.task_token(), {c});
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto h = GetHistory(*e, "wf-la");
    const auto& last = h.events(h.events_size() - 1);
    ASSERT_TRUE(last.has_workflow_task_failed()) << HistoryString(h);
    EXPECT_EQ(last.workflow_task_failed().cause(), "unsupported_command");
    EXPECT_NE(last.workflow_task_failed().failure().message().find("local activity commands"),
              std::string::npos);
  }
  // Nothing was applied: the right commands still go through (attempt 3, after a 1 s backoff).
  auto wft = PollWft(*e, "q", "w1", 60'000'000);
  EXPECT_EQ(wft.attempt(), 3);
  EXPECT_TRUE(CompleteWft(*e, wft.task_token(), {CompleteWorkflow()}).ok());
  EXPECT_EQ(H(*e, "wf-la"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskFailed, 5 WorkflowTaskScheduled, 6 WorkflowTaskStarted, "
            "7 WorkflowTaskCompleted, 8 WorkflowExecutionCompleted");
}

}  // namespace
}  // namespace durable::testing
