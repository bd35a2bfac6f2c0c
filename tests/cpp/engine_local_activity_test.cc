// The engine never receives local activity commands (the worker's replay core consumes them):
// a completion carrying one is refused with InvalidArgument and changes nothing.
#include <gtest/gtest.h>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

TEST(EngineLocalActivityTest, LocalActivityCommandsAreRefusedAndTheTaskStaysOpen) {
  TempDir dir;
  auto opened = OpenEngine(dir.path(), FastOptions());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Engine> e = std::move(opened).value();
  Start(*e, "wf-la");
  auto wft = PollWft(*e);
  ASSERT_FALSE(wft.task_token().empty());

  v1::Command schedule;
  schedule.mutable_schedule_local_activity()->set_seq(1);
  schedule.mutable_schedule_local_activity()->set_activity_type("fetch");
  v1::Command cancel;
  cancel.mutable_request_cancel_local_activity()->set_seq(1);
  for (const v1::Command& c : {schedule, cancel}) {
    Status st = CompleteWft(*e, wft.task_token(), {c});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("local activity commands"), std::string::npos) << st.ToString();
  }
  // The task was not completed: the right commands still go through.
  EXPECT_TRUE(CompleteWft(*e, wft.task_token(), {CompleteWorkflow()}).ok());
}

}  // namespace
}  // namespace durable::testing
