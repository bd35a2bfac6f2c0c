// Engine step 3: child workflows, external signals/cancels, continue-as-new, workflow retry
// and timeouts, id reuse/conflict policies, signal-with-start, start delay, list;
// plus concurrent workflows on one engine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

constexpr int64_t kSecond = 1'000'000;

class EngineStep3Test : public VirtualClockEngineTest {
 protected:
  // Polls the next workflow task, which must belong to `wf`.
  v1::PollWorkflowTaskQueueResponse Next(const std::string& wf, const std::string& queue = "q") {
    auto t = PollWft(*engine_, queue);
    EXPECT_EQ(t.workflow_execution().workflow_id(), wf) << HistoryString(t.history());
    return t;
  }
  v1::History WaitFrom(const std::string& wf, int64_t from, const std::string& run = "") {
    v1::GetWorkflowExecutionHistoryRequest r;
    r.mutable_execution()->set_workflow_id(wf);
    r.mutable_execution()->set_run_id(run);
    r.set_wait_new_event(true);
    r.set_from_event_id(from);
    r.set_timeout_us(5 * kSecond);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Status st = engine_->GetWorkflowExecutionHistory(r, &resp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return resp.history();
  }
  // Waits until `wf`'s history holds an event named `name`; returns it.
  v1::HistoryEvent WaitForEvent(const std::string& wf, const std::string& name) {
    int64_t next = 1;
    for (int i = 0; i < 50; ++i) {
      auto h = WaitFrom(wf, next);
      for (const auto& ev : h.events()) {
        if (EventName(ev) == name) return ev;
        next = ev.event_id() + 1;
      }
      if (h.events_size() == 0) break;
    }
    ADD_FAILURE() << "no " << name << " in " << H(*engine_, wf);
    return {};
  }
  v1::HistoryEvent WaitClose(const std::string& wf, const std::string& run = "") {
    v1::GetWorkflowExecutionHistoryRequest r;
    r.mutable_execution()->set_workflow_id(wf);
    r.mutable_execution()->set_run_id(run);
    r.set_wait_new_event(true);
    r.set_close_event_only(true);
    r.set_timeout_us(5 * kSecond);
    v1::GetWorkflowExecutionHistoryResponse resp;
    Status st = engine_->GetWorkflowExecutionHistory(r, &resp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return resp.history().events_size() ? resp.history().events(0) : v1::HistoryEvent();
  }
  static v1::Command StartChild(int seq, const std::string& id,
                                v1::ParentClosePolicy policy = v1::PARENT_CLOSE_POLICY_UNSPECIFIED) {
    v1::Command c;
    auto* s = c.mutable_start_child_workflow_execution();
    s->set_seq(seq);
    s->set_workflow_id(id);
    s->set_workflow_type("Child");
    *s->mutable_input() = P("child-in");
    s->set_parent_close_policy(policy);
    return c;
  }
};

const char* kFirstTask =
    "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
    "4 WorkflowTaskCompleted";

TEST_F(EngineStep3Test, ChildWorkflowStartsAndItsResultReachesTheParent) {
  Start(*engine_, "parent");
  auto t = Next("parent");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {StartChild(1, "child")}).ok());
  auto h = WaitFrom("parent", 6);
  EXPECT_EQ(HistoryString(h), "6 ChildWorkflowExecutionStarted, 7 WorkflowTaskScheduled");
  const std::string child_run = h.events(0).child_workflow_execution_started().workflow_execution().run_id();
  EXPECT_FALSE(child_run.empty());
  auto pd = Describe(*engine_, "parent");
  ASSERT_EQ(pd.pending_children_size(), 1);
  EXPECT_EQ(pd.pending_children(0).run_id(), child_run);
  auto cd = Describe(*engine_, "child");
  EXPECT_EQ(cd.info().parent().workflow_id(), "parent");
  EXPECT_EQ(cd.info().parent().initiated_event_id(), 5);
  // Two tasks queued now (parent's and child's); serve both.
  for (int i = 0; i < 2; ++i) {
    auto task = PollWft(*engine_);
    if (task.workflow_execution().workflow_id() == "child") {
      EXPECT_EQ(task.history().events(0).workflow_execution_started().input().payloads(0).data(), "child-in");
      ASSERT_TRUE(CompleteWft(*engine_, task.task_token(), {CompleteWorkflow("child-out")}).ok());
    } else {
      ASSERT_TRUE(CompleteWft(*engine_, task.task_token(), {}).ok());
    }
  }
  auto done = WaitForEvent("parent", "ChildWorkflowExecutionCompleted");
  EXPECT_EQ(done.child_workflow_execution_completed().result().payloads(0).data(), "child-out");
  EXPECT_EQ(done.child_workflow_execution_completed().started_event_id(), 6);
  EXPECT_EQ(done.child_workflow_execution_completed().workflow_execution().run_id(), child_run);
  EXPECT_EQ(Describe(*engine_, "parent").pending_children_size(), 0);
}

// Temporal's root rule: a workflow without a parent records no root (it is its own); a child
// records its parent's root, or the parent; a child's continue-as-new keeps it. Describe and
// list name the root of every run; RootWorkflowId is queryable.
TEST_F(EngineStep3Test, RootWorkflowExecutionFollowsTheParentChain) {
  const std::string root_run = Start(*engine_, "root");
  ASSERT_TRUE(CompleteWft(*engine_, Next("root").task_token(), {StartChild(1, "mid")}).ok());
  WaitForEvent("root", "ChildWorkflowExecutionStarted");
  // serve root's task and mid's first, where mid starts its own child
  for (int i = 0; i < 2; ++i) {
    auto task = PollWft(*engine_);
    const bool mid = task.workflow_execution().workflow_id() == "mid";
    ASSERT_TRUE(CompleteWft(*engine_, task.task_token(),
                            mid ? std::vector<v1::Command>{StartChild(1, "leaf")}
                                : std::vector<v1::Command>{}).ok());
  }
  WaitForEvent("mid", "ChildWorkflowExecutionStarted");
  const auto started = [&](const std::string& wf) {
    return GetHistory(*engine_, wf).events(0).workflow_execution_started();
  };
  EXPECT_FALSE(started("root").has_root_workflow_execution());
  for (const char* wf : {"mid", "leaf"}) {
    EXPECT_EQ(started(wf).root_workflow_execution().workflow_id(), "root") << wf;
    EXPECT_EQ(started(wf).root_workflow_execution().run_id(), root_run) << wf;
    EXPECT_EQ(Describe(*engine_, wf).info().root_execution().workflow_id(), "root") << wf;
  }
  EXPECT_EQ(Describe(*engine_, "root").info().root_execution().run_id(), root_run);

  // leaf continues as new: the new run keeps the root
  for (int i = 0; i < 2; ++i) {  // mid's task (its child started) and leaf's first
    auto task = PollWft(*engine_);
    std::vector<v1::Command> cmds;
    if (task.workflow_execution().workflow_id() == "leaf") {
      v1::Command c;
      *c.mutable_continue_as_new_workflow_execution()->mutable_input() = P("again");
      cmds.push_back(c);
    }
    ASSERT_TRUE(CompleteWft(*engine_, task.task_token(), cmds).ok());
  }
  auto leaf2 = started("leaf");
  ASSERT_FALSE(leaf2.continued_execution_run_id().empty());
  EXPECT_EQ(leaf2.root_workflow_execution().workflow_id(), "root");

  v1::ListWorkflowExecutionsRequest list;
  list.set_query("RootWorkflowId = 'root'");
  v1::ListWorkflowExecutionsResponse resp;
  ASSERT_TRUE(engine_->ListWorkflowExecutions(list, &resp).ok());
  std::vector<std::string> ids;
  for (const auto& e : resp.executions()) {
    ids.push_back(e.execution().workflow_id());
    EXPECT_EQ(e.root_execution().workflow_id(), "root");
  }
  // the root itself, mid, leaf's first run and its continuation (one virtual start time)
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"leaf", "leaf", "mid", "root"}));
}

TEST_F(EngineStep3Test, ChildWithARunningIdFailsToStart) {
  Start(*engine_, "busy", "other");
  Start(*engine_, "parent");
  auto t = Next("parent");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {StartChild(1, "busy")}).ok());
  auto h = WaitFrom("parent", 6);
  EXPECT_EQ(HistoryString(h), "6 StartChildWorkflowExecutionFailed, 7 WorkflowTaskScheduled");
  EXPECT_EQ(h.events(0).start_child_workflow_execution_failed().cause(), "workflow_already_exists");
}

TEST_F(EngineStep3Test, ParentCloseTerminatesChildrenUnlessAbandoned) {
  Start(*engine_, "parent");
  auto t = Next("parent");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(),
                          {StartChild(1, "c-term"), StartChild(2, "c-aband", v1::PARENT_CLOSE_POLICY_ABANDON),
                           StartChild(3, "c-cancel", v1::PARENT_CLOSE_POLICY_REQUEST_CANCEL)})
                  .ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {  // all three children started
    auto d = Describe(*engine_, "parent");
    int started = 0;
    for (const auto& c : d.pending_children()) started += c.run_id().empty() ? 0 : 1;
    if (started == 3) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << started << " children started";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Serve the parent's tasks until it closes (a completion racing with a child's start
  // event is refused as unhandled_command); leave the children's tasks alone.
  for (int i = 0; i < 20; ++i) {
    if (Describe(*engine_, "parent").info().status() != v1::WORKFLOW_EXECUTION_STATUS_RUNNING) break;
    auto task = PollWft(*engine_, "q", "w1", 200'000);
    if (task.workflow_execution().workflow_id() != "parent") continue;
    ASSERT_TRUE(CompleteWft(*engine_, task.task_token(), {CompleteWorkflow()}).ok());
  }
  ASSERT_EQ(Describe(*engine_, "parent").info().status(), v1::WORKFLOW_EXECUTION_STATUS_COMPLETED);
  const std::string ph = H(*engine_, "parent");
  ASSERT_NE(ph.find("ChildWorkflowExecutionStarted"), std::string::npos) << ph;
  auto ce = WaitClose("c-term");
  EXPECT_EQ(EventName(ce), "WorkflowExecutionTerminated");
  WaitForEvent("c-cancel", "WorkflowExecutionCancelRequested");
  EXPECT_EQ(Describe(*engine_, "c-aband").info().status(), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(EngineStep3Test, SignalExternalDeliversAndReportsBack) {
  Start(*engine_, "target", "tq");
  Start(*engine_, "src");
  auto t = Next("src");
  v1::Command ok, missing;
  auto* s = ok.mutable_signal_external_workflow_execution();
  s->set_seq(1);
  s->mutable_workflow_execution()->set_workflow_id("target");
  s->set_signal_name("hello");
  *s->mutable_input() = P("hi");
  auto* m = missing.mutable_signal_external_workflow_execution();
  m->set_seq(2);
  m->mutable_workflow_execution()->set_workflow_id("nobody");
  m->set_signal_name("hello");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {ok, missing}).ok());
  // Outcomes arrive one transition each: 7 and 8 (+ a workflow task).
  WaitFrom("src", 9);
  std::string all = H(*engine_, "src");
  EXPECT_NE(all.find("ExternalWorkflowExecutionSignaled"), std::string::npos) << all;
  EXPECT_NE(all.find("SignalExternalWorkflowExecutionFailed"), std::string::npos) << all;
  EXPECT_EQ(H(*engine_, "target"), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowExecutionSignaled");
  auto th = GetHistory(*engine_, "target");
  EXPECT_EQ(th.events(2).workflow_execution_signaled().input().payloads(0).data(), "hi");
}

TEST_F(EngineStep3Test, RequestCancelExternalReachesTheTarget) {
  Start(*engine_, "target", "tq");
  Start(*engine_, "src");
  auto t = Next("src");
  v1::Command c;
  c.mutable_request_cancel_external_workflow_execution()->set_seq(1);
  c.mutable_request_cancel_external_workflow_execution()->mutable_workflow_execution()->set_workflow_id("target");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {c}).ok());
  auto h = WaitFrom("src", 6);
  EXPECT_EQ(HistoryString(h), "6 ExternalWorkflowExecutionCancelRequested, 7 WorkflowTaskScheduled");
  auto th = GetHistory(*engine_, "target");
  ASSERT_EQ(th.events_size(), 3);
  EXPECT_EQ(th.events(2).workflow_execution_cancel_requested().external_initiated_event_id(), 5);
  EXPECT_EQ(th.events(2).workflow_execution_cancel_requested().external_workflow_execution().workflow_id(), "src");
}

TEST_F(EngineStep3Test, ContinueAsNewStartsANewRunWithItsOwnHistory) {
  std::string run1 = Start(*engine_, "wf1");
  auto t = Next("wf1");
  v1::Command c;
  *c.mutable_continue_as_new_workflow_execution()->mutable_input() = P("next");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {c}).ok());
  auto h1 = GetHistory(*engine_, "wf1", run1);
  EXPECT_EQ(HistoryString(h1), std::string(kFirstTask) + ", 5 WorkflowExecutionContinuedAsNew");
  const std::string run2 = h1.events(4).workflow_execution_continued_as_new().new_execution_run_id();
  ASSERT_FALSE(run2.empty());
  auto h2 = GetHistory(*engine_, "wf1");  // current run
  EXPECT_EQ(HistoryString(h2), "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled");
  const auto& st = h2.events(0).workflow_execution_started();
  EXPECT_EQ(st.continued_execution_run_id(), run1);
  EXPECT_EQ(st.first_execution_run_id(), run1);
  EXPECT_EQ(st.input().payloads(0).data(), "next");
  EXPECT_EQ(st.workflow_type(), "Wf");
  auto t2 = Next("wf1");
  EXPECT_EQ(t2.workflow_execution().run_id(), run2);
  EXPECT_EQ(Describe(*engine_, "wf1", run1).info().status(), v1::WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
}

TEST_F(EngineStep3Test, FailedWorkflowWithRetryPolicyStartsANewRunAfterBackoff) {
  auto r = StartReq("wf1");
  r.mutable_retry_policy()->set_initial_interval_us(5 * kSecond);
  r.mutable_retry_policy()->set_maximum_attempts(2);
  v1::StartWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &resp).ok());
  auto t = Next("wf1");
  v1::Command fail;
  *fail.mutable_fail_workflow_execution()->mutable_failure() = AppFailure("oops");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {fail}).ok());
  auto h1 = GetHistory(*engine_, "wf1", resp.run_id());
  const auto& fe = h1.events(4).workflow_execution_failed();
  EXPECT_EQ(fe.retry_state(), v1::RETRY_STATE_IN_PROGRESS);
  ASSERT_FALSE(fe.new_execution_run_id().empty());
  EXPECT_EQ(H(*engine_, "wf1"), "1 WorkflowExecutionStarted");  // first task after the backoff
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());
  ASSERT_TRUE(engine_->SkipTime(5 * kSecond).ok());
  auto t2 = Next("wf1");
  EXPECT_EQ(t2.history().events(0).workflow_execution_started().attempt(), 2);
  EXPECT_EQ(t2.history().events(0).workflow_execution_started().continued_failure().message(), "oops");
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {fail}).ok());
  auto last = WaitClose("wf1");
  EXPECT_EQ(last.workflow_execution_failed().retry_state(), v1::RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  EXPECT_TRUE(last.workflow_execution_failed().new_execution_run_id().empty());
}

TEST_F(EngineStep3Test, RunTimeoutClosesTheRunAsTimedOut) {
  auto r = StartReq("wf1");
  r.set_run_timeout_us(60 * kSecond);
  v1::StartWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &resp).ok());
  auto t = Next("wf1");
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {StartTimer(1, 3600 * kSecond)}).ok());
  ASSERT_TRUE(engine_->SkipTime(61 * kSecond).ok());
  auto ce = WaitClose("wf1");
  EXPECT_EQ(EventName(ce), "WorkflowExecutionTimedOut");
  EXPECT_EQ(Describe(*engine_, "wf1").info().status(), v1::WORKFLOW_EXECUTION_STATUS_TIMED_OUT);
  ASSERT_TRUE(engine_->SkipTime(3600 * kSecond).ok());  // the user timer is gone with the run
  EXPECT_EQ(EventName(GetHistory(*engine_, "wf1").events(5)), "WorkflowExecutionTimedOut");
  EXPECT_EQ(GetHistory(*engine_, "wf1").events_size(), 6);
}

TEST_F(EngineStep3Test, IdConflictAndReusePolicies) {
  std::string run1 = Start(*engine_, "wf1");
  v1::StartWorkflowExecutionResponse resp;
  auto r = StartReq("wf1");
  r.set_id_conflict_policy(v1::WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &resp).ok());
  EXPECT_EQ(resp.run_id(), run1);
  EXPECT_FALSE(resp.started());
  r.set_id_conflict_policy(v1::WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING);
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &resp).ok());
  EXPECT_NE(resp.run_id(), run1);
  EXPECT_TRUE(resp.started());
  EXPECT_EQ(Describe(*engine_, "wf1", run1).info().status(), v1::WORKFLOW_EXECUTION_STATUS_TERMINATED);
  const std::string run2 = resp.run_id();
  // Complete run2, then the reuse policies decide.
  v1::PollWorkflowTaskQueueResponse t;
  do {
    t = PollWft(*engine_);
  } while (!t.task_token().empty() && t.workflow_execution().run_id() != run2);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow()}).ok());
  r = StartReq("wf1");
  r.set_id_reuse_policy(v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE);
  Status st = engine_->StartWorkflowExecution(r, &resp);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(st.message().find("REJECT_DUPLICATE"), std::string::npos) << st.message();
  r.set_id_reuse_policy(v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY);
  EXPECT_EQ(engine_->StartWorkflowExecution(r, &resp).code(), StatusCode::kAlreadyExists);
  r.set_id_reuse_policy(v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE);
  EXPECT_TRUE(engine_->StartWorkflowExecution(r, &resp).ok());
}

TEST_F(EngineStep3Test, SignalWithStartStartsOrSignals) {
  auto r = StartReq("wf1");
  r.set_signal_name("go");
  *r.mutable_signal_input() = P("1");
  v1::StartWorkflowExecutionResponse a, b;
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &a).ok());
  EXPECT_TRUE(a.started());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowExecutionSignaled, 3 WorkflowTaskScheduled");
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &b).ok());
  EXPECT_FALSE(b.started());
  EXPECT_EQ(b.run_id(), a.run_id());
  EXPECT_EQ(H(*engine_, "wf1"),
            "1 WorkflowExecutionStarted, 2 WorkflowExecutionSignaled, 3 WorkflowTaskScheduled, "
            "4 WorkflowExecutionSignaled");
}

TEST_F(EngineStep3Test, StartDelayPostponesTheFirstTask) {
  auto r = StartReq("wf1");
  r.set_start_delay_us(30 * kSecond);
  v1::StartWorkflowExecutionResponse resp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(r, &resp).ok());
  EXPECT_TRUE(PollWft(*engine_, "q", "w1", 50'000).task_token().empty());
  ASSERT_TRUE(engine_->SkipTime(30 * kSecond).ok());
  EXPECT_FALSE(Next("wf1").task_token().empty());
}

TEST_F(EngineStep3Test, ListFiltersByTypeAndStatus) {
  Start(*engine_, "a");
  Start(*engine_, "b");
  auto sr = StartReq("c", "Other");
  v1::StartWorkflowExecutionResponse sresp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(sr, &sresp).ok());
  auto t = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {CompleteWorkflow()}).ok());
  const std::string closed = t.workflow_execution().workflow_id();
  v1::ListWorkflowExecutionsRequest r;
  v1::ListWorkflowExecutionsResponse resp;
  r.set_query("WorkflowType='Wf' AND ExecutionStatus='Running'");
  ASSERT_TRUE(engine_->ListWorkflowExecutions(r, &resp).ok());
  int expected_running_wf = closed == "c" ? 2 : 1;
  EXPECT_EQ(resp.executions_size(), expected_running_wf);
  resp.Clear();
  r.set_query("ExecutionStatus='Completed'");
  ASSERT_TRUE(engine_->ListWorkflowExecutions(r, &resp).ok());
  ASSERT_EQ(resp.executions_size(), 1);
  EXPECT_EQ(resp.executions(0).execution().workflow_id(), closed);
  resp.Clear();
  r.set_query("");
  r.set_page_size(2);
  ASSERT_TRUE(engine_->ListWorkflowExecutions(r, &resp).ok());
  EXPECT_EQ(resp.executions_size(), 2);
  EXPECT_FALSE(resp.next_page_token().empty());
  r.set_query("Bogus='1'");
  EXPECT_EQ(engine_->ListWorkflowExecutions(r, &resp).code(), StatusCode::kInvalidArgument);
}

// Many workflows through one engine from several threads, with synced writes: no deadlock,
// every run completes with the expected history.
TEST(EngineConcurrencyTest, ConcurrentWorkflowsAllComplete) {
  TempDir dir;
  EngineOptions o;  // sync_writes = true
  auto r = OpenEngine(dir.path(), o);
  ASSERT_TRUE(r.ok());
  auto& e = **r;
  constexpr int kThreads = 4, kPerThread = 15;
  std::vector<std::thread> clients, workers;
  std::atomic<bool> stop{false};
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&, w] {
      while (!stop) {
        auto t = PollWft(e, "q", "w" + std::to_string(w), 100'000);
        if (t.task_token().empty()) continue;
        bool has_activity_result = false;
        for (const auto& ev : t.history().events()) has_activity_result |= ev.has_activity_task_completed();
        std::vector<v1::Command> cmds;
        if (has_activity_result) {
          cmds.push_back(CompleteWorkflow());
        } else {
          cmds.push_back(ScheduleActivity(1));
        }
        Status st = CompleteWft(e, t.task_token(), cmds, "w" + std::to_string(w));
        EXPECT_TRUE(st.ok()) << st.ToString();
      }
    });
    workers.emplace_back([&] {
      while (!stop) {
        auto a = PollAct(e, "q", "a", 100'000);
        if (!a.task_token().empty()) {
          EXPECT_TRUE(CompleteAct(e, a.task_token()).ok());
        }
      }
    });
  }
  for (int c = 0; c < kThreads; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kPerThread; ++i) Start(e, "wf-" + std::to_string(c) + "-" + std::to_string(i));
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < kThreads; ++c) {
    for (int i = 0; i < kPerThread; ++i) {
      v1::GetWorkflowExecutionHistoryRequest hr;
      hr.mutable_execution()->set_workflow_id("wf-" + std::to_string(c) + "-" + std::to_string(i));
      hr.set_wait_new_event(true);
      hr.set_close_event_only(true);
      hr.set_timeout_us(20 * kSecond);
      v1::GetWorkflowExecutionHistoryResponse hresp;
      Status st = e.GetWorkflowExecutionHistory(hr, &hresp);
      ASSERT_TRUE(st.ok()) << st.ToString();
      EXPECT_EQ(hresp.history().events(0).event_id(), 11);
    }
  }
  stop = true;
  for (auto& t : workers) t.join();
}

}  // namespace
}  // namespace durable::testing
