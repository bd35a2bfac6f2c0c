// Update-with-start: the start (per the conflict policy) and the admission of the update in
// one step — a new run's first workflow task carries the update; a running run gets it with
// USE_EXISTING and refuses it with FAIL; the call's bad inputs.
#include <gtest/gtest.h>

#include <future>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

v1::UpdateWithStartWorkflowExecutionRequest UwsReq(v1::WorkflowIdConflictPolicy policy,
                                                   const std::string& update_id = "u1") {
  v1::UpdateWithStartWorkflowExecutionRequest r;
  *r.mutable_start() = StartReq("wf1");
  r.mutable_start()->set_request_id("start-1");
  r.mutable_start()->set_id_conflict_policy(policy);
  r.mutable_update()->mutable_workflow_execution()->set_workflow_id("wf1");
  r.mutable_update()->mutable_request()->set_update_id(update_id);
  r.mutable_update()->mutable_request()->set_name("set");
  *r.mutable_update()->mutable_request()->mutable_input() = P("v");
  r.mutable_update()->set_wait_stage(v1::UPDATE_WAIT_STAGE_COMPLETED);
  r.mutable_update()->set_timeout_us(5'000'000);
  return r;
}

using Result = std::pair<Status, v1::UpdateWithStartWorkflowExecutionResponse>;

std::future<Result> Send(Engine& e, v1::UpdateWithStartWorkflowExecutionRequest r) {
  return std::async(std::launch::async, [&e, r] {
    v1::UpdateWithStartWorkflowExecutionResponse resp;
    Status st = e.UpdateWithStartWorkflowExecution(r, &resp);
    return std::make_pair(st, resp);
  });
}

// Accepts and completes update `id` with "ok" in the task `t`, plus `more` commands.
Status AcceptAndComplete(Engine& e, const v1::PollWorkflowTaskQueueResponse& t,
                         const std::string& id, std::vector<v1::Command> more = {}) {
  v1::Command acc, done;
  acc.mutable_accept_update()->set_update_id(id);
  done.mutable_complete_update()->set_update_id(id);
  *done.mutable_complete_update()->mutable_outcome()->mutable_success() = P("ok");
  std::vector<v1::Command> cmds{acc, done};
  for (auto& c : more) cmds.push_back(std::move(c));
  return CompleteWft(e, t.task_token(), std::move(cmds));
}

class UpdateWithStartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = OpenEngine(dir_.path(), FastOptions());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(UpdateWithStartTest, NewRunsFirstTaskCarriesTheUpdate) {
  auto call = Send(*engine_, UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING));
  auto t = PollWft(*engine_);
  ASSERT_FALSE(t.task_token().empty());
  EXPECT_EQ(t.history().events(0).attributes_case(), v1::HistoryEvent::kWorkflowExecutionStarted);
  ASSERT_EQ(t.updates_size(), 1);
  EXPECT_EQ(t.updates(0).update_id(), "u1");
  ASSERT_TRUE(AcceptAndComplete(*engine_, t, "u1", {StartTimer(1, 3'600'000'000)}).ok());
  auto [st, resp] = call.get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(resp.start().started());
  EXPECT_FALSE(resp.start().run_id().empty());
  EXPECT_EQ(resp.update().run_id(), resp.start().run_id());
  EXPECT_EQ(resp.update().stage(), v1::UPDATE_WAIT_STAGE_COMPLETED);
  EXPECT_EQ(resp.update().outcome().success().payloads(0).data(), "ok");
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 WorkflowExecutionUpdateAccepted, "
            "6 WorkflowExecutionUpdateCompleted, 7 TimerStarted");
  // Sent again (a client retry: same request ids): the same run, the recorded outcome.
  auto again = Send(*engine_, UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING));
  auto [st2, resp2] = again.get();
  ASSERT_TRUE(st2.ok()) << st2.ToString();
  EXPECT_EQ(resp2.start().run_id(), resp.start().run_id());
  EXPECT_EQ(resp2.update().outcome().success().payloads(0).data(), "ok");
}

TEST_F(UpdateWithStartTest, UseExistingUpdatesTheRunningRun) {
  const std::string run = Start(*engine_, "wf1");
  auto t0 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t0.task_token(), {StartTimer(1, 3'600'000'000)}).ok());
  auto call = Send(*engine_, UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING));
  auto t = PollWft(*engine_);
  ASSERT_EQ(t.updates_size(), 1);
  ASSERT_TRUE(AcceptAndComplete(*engine_, t, "u1").ok());
  auto [st, resp] = call.get();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(resp.start().started());
  EXPECT_EQ(resp.start().run_id(), run);
  EXPECT_EQ(resp.update().run_id(), run);
}

TEST_F(UpdateWithStartTest, FailPolicyRefusesARunningRunAndAdmitsNothing) {
  Start(*engine_, "wf1");
  auto t0 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t0.task_token(), {StartTimer(1, 3'600'000'000)}).ok());
  v1::UpdateWithStartWorkflowExecutionResponse resp;
  Status st = engine_->UpdateWithStartWorkflowExecution(
      UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_FAIL), &resp);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("wf1"), std::string::npos);
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());  // no update task
}

TEST_F(UpdateWithStartTest, NoWorkerWithinTheTimeoutReportsTheStartAndAnAdmittedUpdate) {
  auto r = UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
  r.mutable_update()->set_timeout_us(50'000);
  v1::UpdateWithStartWorkflowExecutionResponse resp;
  Status st = engine_->UpdateWithStartWorkflowExecution(r, &resp);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(resp.start().started());
  EXPECT_EQ(resp.update().stage(), v1::UPDATE_WAIT_STAGE_UNSPECIFIED);
  // The update stays admitted: the first task carries it.
  auto t = PollWft(*engine_);
  ASSERT_EQ(t.updates_size(), 1);
  EXPECT_EQ(t.updates(0).update_id(), "u1");
}

TEST_F(UpdateWithStartTest, BadRequests) {
  v1::UpdateWithStartWorkflowExecutionResponse resp;
  Status st = engine_->UpdateWithStartWorkflowExecution(
      UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED), &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("id_conflict_policy is required"), std::string::npos);
  auto other = UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_FAIL);
  other.mutable_update()->mutable_workflow_execution()->set_workflow_id("wf2");
  st = engine_->UpdateWithStartWorkflowExecution(other, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  auto signal = UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_FAIL);
  signal.mutable_start()->set_signal_name("s");
  st = engine_->UpdateWithStartWorkflowExecution(signal, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  auto no_name = UwsReq(v1::WORKFLOW_ID_CONFLICT_POLICY_FAIL);
  no_name.mutable_update()->mutable_request()->clear_name();
  st = engine_->UpdateWithStartWorkflowExecution(no_name, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  // None of them started anything.
  v1::DescribeWorkflowExecutionRequest d;
  d.mutable_execution()->set_workflow_id("wf1");
  v1::DescribeWorkflowExecutionResponse dresp;
  EXPECT_EQ(engine_->DescribeWorkflowExecution(d, &dresp).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace durable::testing
