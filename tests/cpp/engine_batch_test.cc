// Batch operations: terminate / cancel / signal over the matches of a query, the rate limit
// in virtual time, stop, describe counts and list, bad requests, and a reopen in the middle of
// a batch (after a failed write) that finishes it without acting twice on any execution.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

constexpr int64_t kSecond = 1'000'000;

// Fails every write after the first `allowed` ones (once armed), as a crash would stop them.
class CountdownStore : public Store {
 public:
  explicit CountdownStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
  Status Get(ColumnFamily cf, std::string_view key, std::string* value) override {
    return inner_->Get(cf, key, value);
  }
  Status Iterate(ColumnFamily cf, std::string_view start, std::string_view end,
                 const Visitor& fn) override {
    return inner_->Iterate(cf, start, end, fn);
  }
  Status Write(const WriteBatch& batch, bool sync) override {
    if (allowed->load() >= 0 && allowed->fetch_sub(1) <= 0) {
      return Status::Internal("injected write failure");
    }
    return inner_->Write(batch, sync);
  }
  std::shared_ptr<std::atomic<int>> allowed = std::make_shared<std::atomic<int>>(-1);

 private:
  std::unique_ptr<Store> inner_;
};

class EngineBatchTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open(std::shared_ptr<std::atomic<int>>* allowed = nullptr) {
    engine_.reset();
    EngineOptions o = FastOptions();
    o.clock = clock_;
    auto store = OpenRocksDbStore(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto wrapped = std::make_unique<CountdownStore>(std::move(store).value());
    if (allowed != nullptr) *allowed = wrapped->allowed;
    auto r = OpenEngineOnStore(std::move(wrapped), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    engine_ = std::move(r).value();
  }
  void StartMany(int n, const std::string& type = "Wf") {
    for (int i = 0; i < n; ++i) {
      v1::StartWorkflowExecutionResponse resp;
      Status st = engine_->StartWorkflowExecution(StartReq("wf" + std::to_string(i), type), &resp);
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  v1::StartBatchOperationRequest Terminate(const std::string& job, const std::string& query,
                                           double rps = 0) {
    v1::StartBatchOperationRequest r;
    r.set_job_id(job);
    r.set_visibility_query(query);
    r.set_reason("cleanup");
    r.set_max_operations_per_second(rps);
    r.mutable_termination_operation()->set_identity("tester");
    return r;
  }
  Status StartBatch(const v1::StartBatchOperationRequest& r) {
    v1::StartBatchOperationResponse resp;
    return engine_->StartBatchOperation(r, &resp);
  }
  v1::DescribeBatchOperationResponse Describe(const std::string& job) {
    v1::DescribeBatchOperationRequest r;
    r.set_job_id(job);
    v1::DescribeBatchOperationResponse resp;
    Status st = engine_->DescribeBatchOperation(r, &resp);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return resp;
  }
  // Waits (on the condition, with a generous deadline) until the batch satisfies `pred`.
  template <typename Pred>
  v1::DescribeBatchOperationResponse WaitFor(const std::string& job, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    v1::DescribeBatchOperationResponse d = Describe(job);
    while (!pred(d) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      d = Describe(job);
    }
    return d;
  }
  // Skips (virtual) time a second at a time until the batch is no longer running (or 30 s
  // of wall time pass). A skip made while a step runs only moves the clock (nothing is due
  // yet), so the loop goes on until the step's next row is due and fires.
  v1::DescribeBatchOperationResponse RunToEnd(const std::string& job) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    v1::DescribeBatchOperationResponse d = Describe(job);
    while (d.state() == v1::BATCH_OPERATION_STATE_RUNNING &&
           std::chrono::steady_clock::now() < deadline) {
      EXPECT_TRUE(engine_->SkipTime(kSecond).ok());
      d = Describe(job);
      if (d.state() == v1::BATCH_OPERATION_STATE_RUNNING) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    return d;
  }
  int CountEvents(const std::string& wf, const std::string& name) {
    int n = 0;
    const v1::History h = GetHistory(*engine_, wf);
    for (const auto& ev : h.events()) n += EventName(ev) == name;
    return n;
  }
  v1::WorkflowExecutionStatus StatusOf(const std::string& wf) {
    v1::DescribeWorkflowExecutionRequest r;
    r.mutable_execution()->set_workflow_id(wf);
    v1::DescribeWorkflowExecutionResponse resp;
    EXPECT_TRUE(engine_->DescribeWorkflowExecution(r, &resp).ok());
    return resp.info().status();
  }

  TempDir dir_;
  std::shared_ptr<VirtualClock> clock_ = std::make_shared<VirtualClock>(1'700'000'000LL * kSecond);
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineBatchTest, TerminatesEveryMatchOnceAndCountsThem) {
  StartMany(250, "Wf");
  v1::StartWorkflowExecutionResponse other;
  ASSERT_TRUE(engine_->StartWorkflowExecution(StartReq("other", "Other"), &other).ok());
  // 1000/s: 20 actions a step, a step every 20 ms of (virtual) time.
  ASSERT_TRUE(StartBatch(Terminate("job1", "WorkflowType = 'Wf'", 1000)).ok());
  EXPECT_EQ(Describe("job1").total_operation_count(), 250);
  auto d = RunToEnd("job1");
  EXPECT_EQ(d.state(), v1::BATCH_OPERATION_STATE_COMPLETED);
  EXPECT_EQ(d.operation_type(), v1::BATCH_OPERATION_TYPE_TERMINATE);
  EXPECT_EQ(d.total_operation_count(), 250);
  EXPECT_EQ(d.complete_operation_count(), 250);
  EXPECT_EQ(d.failure_operation_count(), 0);
  EXPECT_EQ(d.identity(), "tester");
  EXPECT_EQ(d.reason(), "cleanup");
  EXPECT_GT(d.close_time_us(), d.start_time_us());
  for (int i = 0; i < 250; ++i) {
    const std::string wf = "wf" + std::to_string(i);
    ASSERT_EQ(CountEvents(wf, "WorkflowExecutionTerminated"), 1) << wf;
  }
  auto h = GetHistory(*engine_, "wf7");
  const auto& t = h.events(h.events_size() - 1).workflow_execution_terminated();
  EXPECT_EQ(t.reason(), "cleanup");
  EXPECT_EQ(t.identity(), "tester");
  EXPECT_EQ(StatusOf("other"), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);
}

TEST_F(EngineBatchTest, RateLimitHoldsInVirtualTime) {
  StartMany(4);
  // 2/s: one action a step, a step every 500 ms.
  ASSERT_TRUE(StartBatch(Terminate("slow", "", 2)).ok());
  auto d = WaitFor("slow", [](const auto& d) { return d.complete_operation_count() >= 1; });
  EXPECT_EQ(d.complete_operation_count(), 1);  // the first step runs at once
  for (int64_t done = 2; done <= 4; ++done) {
    ASSERT_TRUE(engine_->SkipTime(kSecond / 2 - 1).ok());
    EXPECT_EQ(Describe("slow").complete_operation_count(), done - 1) << "before the step";
    ASSERT_TRUE(engine_->SkipTime(1).ok());
    EXPECT_EQ(Describe("slow").complete_operation_count(), done) << "at the step";
  }
  d = RunToEnd("slow");
  EXPECT_EQ(d.state(), v1::BATCH_OPERATION_STATE_COMPLETED);
  EXPECT_EQ(d.complete_operation_count(), 4);
  EXPECT_EQ(d.max_operations_per_second(), 2);
}

TEST_F(EngineBatchTest, CancelAndSignalBatches) {
  StartMany(3);
  v1::StartBatchOperationRequest c = Terminate("cancel", "ExecutionStatus = 'Running'", 100);
  c.mutable_cancellation_operation()->set_identity("canceller");
  ASSERT_TRUE(StartBatch(c).ok());
  v1::StartBatchOperationRequest s = Terminate("signal", "", 100);
  auto* sig = s.mutable_signal_operation();
  sig->set_signal("poke");
  *sig->mutable_input() = P("hello");
  ASSERT_TRUE(StartBatch(s).ok());
  EXPECT_EQ(RunToEnd("cancel").complete_operation_count(), 3);
  EXPECT_EQ(RunToEnd("signal").complete_operation_count(), 3);
  EXPECT_EQ(Describe("signal").operation_type(), v1::BATCH_OPERATION_TYPE_SIGNAL);
  for (int i = 0; i < 3; ++i) {
    const std::string wf = "wf" + std::to_string(i);
    EXPECT_EQ(CountEvents(wf, "WorkflowExecutionCancelRequested"), 1) << wf;
    EXPECT_EQ(CountEvents(wf, "WorkflowExecutionSignaled"), 1) << wf;
    EXPECT_EQ(StatusOf(wf), v1::WORKFLOW_EXECUTION_STATUS_RUNNING);  // cancel is a request
  }
  const v1::History h = GetHistory(*engine_, "wf1");
  for (const auto& ev : h.events()) {
    if (ev.has_workflow_execution_signaled()) {
      EXPECT_EQ(ev.workflow_execution_signaled().signal_name(), "poke");
      EXPECT_EQ(ev.workflow_execution_signaled().input().payloads(0).data(), "hello");
      EXPECT_EQ(ev.workflow_execution_signaled().identity(), "batch signal");
    }
    if (ev.has_workflow_execution_cancel_requested()) {
      EXPECT_EQ(ev.workflow_execution_cancel_requested().identity(), "canceller");
    }
  }
}

TEST_F(EngineBatchTest, StopEndsTheBatchAndListShowsIt) {
  StartMany(5);
  ASSERT_TRUE(StartBatch(Terminate("a", "", 1)).ok());
  WaitFor("a", [](const auto& d) { return d.complete_operation_count() >= 1; });
  v1::StopBatchOperationRequest stop;
  stop.set_job_id("a");
  stop.set_reason("enough");
  v1::StopBatchOperationResponse sresp;
  ASSERT_TRUE(engine_->StopBatchOperation(stop, &sresp).ok());
  ASSERT_TRUE(engine_->SkipTime(60 * kSecond).ok());
  auto d = Describe("a");
  EXPECT_EQ(d.state(), v1::BATCH_OPERATION_STATE_FAILED);
  EXPECT_EQ(d.complete_operation_count(), 1);
  EXPECT_EQ(d.reason(), "enough");
  EXPECT_GT(d.close_time_us(), 0);
  int running = 0;
  for (int i = 0; i < 5; ++i) {
    running += StatusOf("wf" + std::to_string(i)) == v1::WORKFLOW_EXECUTION_STATUS_RUNNING;
  }
  EXPECT_EQ(running, 4);
  EXPECT_TRUE(engine_->StopBatchOperation(stop, &sresp).ok());  // stopping twice is fine

  ASSERT_TRUE(StartBatch(Terminate("b", "WorkflowId = 'none'")).ok());
  EXPECT_EQ(RunToEnd("b").state(), v1::BATCH_OPERATION_STATE_COMPLETED);
  v1::ListBatchOperationsRequest lr;
  lr.set_page_size(1);
  v1::ListBatchOperationsResponse l1, l2;
  ASSERT_TRUE(engine_->ListBatchOperations(lr, &l1).ok());
  ASSERT_EQ(l1.operation_info_size(), 1);
  EXPECT_EQ(l1.operation_info(0).job_id(), "a");
  EXPECT_EQ(l1.operation_info(0).state(), v1::BATCH_OPERATION_STATE_FAILED);
  lr.set_next_page_token(l1.next_page_token());
  ASSERT_TRUE(engine_->ListBatchOperations(lr, &l2).ok());
  ASSERT_EQ(l2.operation_info_size(), 1);
  EXPECT_EQ(l2.operation_info(0).job_id(), "b");
  EXPECT_EQ(l2.operation_info(0).state(), v1::BATCH_OPERATION_STATE_COMPLETED);
  EXPECT_TRUE(l2.next_page_token().empty());
}

TEST_F(EngineBatchTest, BadRequestsAreRefusedWithClearErrors) {
  auto code_and_message = [&](v1::StartBatchOperationRequest r) {
    Status st = StartBatch(r);
    return std::to_string(static_cast<int>(st.code())) + " " + st.message();
  };
  const std::string invalid = std::to_string(static_cast<int>(StatusCode::kInvalidArgument));
  auto r = Terminate("", "");
  EXPECT_EQ(code_and_message(r), invalid + " batch operation: job_id is empty");
  r = Terminate("j", "");
  r.clear_reason();
  EXPECT_EQ(code_and_message(r), invalid + " batch operation 'j': reason is empty");
  r = Terminate("j", "");
  r.clear_termination_operation();
  EXPECT_EQ(code_and_message(r),
            invalid + " batch operation 'j': no operation (terminate, cancel or signal)");
  r = Terminate("j", "", -1);
  EXPECT_NE(code_and_message(r).find("max_operations_per_second"), std::string::npos);
  r = Terminate("j", "NoSuchAttribute = 'x'");
  std::string m = code_and_message(r);
  EXPECT_EQ(m.rfind(invalid + " batch operation 'j': ", 0), 0u) << m;
  EXPECT_NE(m.find("NoSuchAttribute"), std::string::npos) << m;
  r = Terminate("j", "ExecutionStatus = 'Running' ORDER BY CloseTime");
  EXPECT_EQ(code_and_message(r),
            invalid + " batch operation 'j': the query may not have ORDER BY or GROUP BY");
  r = Terminate("j", "GROUP BY ExecutionStatus");
  EXPECT_EQ(code_and_message(r),
            invalid + " batch operation 'j': the query may not have ORDER BY or GROUP BY");
  r = Terminate("j", "");
  r.mutable_signal_operation();
  EXPECT_EQ(code_and_message(r), invalid + " batch operation 'j': the signal name is empty");

  ASSERT_TRUE(StartBatch(Terminate("j", "")).ok());
  EXPECT_EQ(StartBatch(Terminate("j", "")).code(), StatusCode::kAlreadyExists);
  v1::DescribeBatchOperationRequest dr;
  dr.set_job_id("missing");
  v1::DescribeBatchOperationResponse dresp;
  Status st = engine_->DescribeBatchOperation(dr, &dresp);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "batch operation 'missing' not found");
  v1::StopBatchOperationRequest sr;
  sr.set_job_id("missing");
  v1::StopBatchOperationResponse sresp;
  EXPECT_EQ(engine_->StopBatchOperation(sr, &sresp).code(), StatusCode::kNotFound);
}

TEST_F(EngineBatchTest, ReopenMidBatchResumesWithoutActingTwice) {
  StartMany(30);
  std::shared_ptr<std::atomic<int>> allowed;
  Open(&allowed);
  // 100/s: 5 actions a step every 50 ms. Let 8 writes through (the start; step 1: 5 actions
  // and its end; step 2: about one action — which other write lands among them depends on
  // timing, as ASan showed), then one write fails: the machine "dies" in the middle.
  allowed->store(8);
  ASSERT_TRUE(StartBatch(Terminate("job", "", 100)).ok());
  // Skip (virtual) time until it happens: a skip made while a step runs moves only the clock
  // (the next step's row is not written yet), as in RunToEnd.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (allowed->load() >= 0 && std::chrono::steady_clock::now() < give_up) {
    ASSERT_TRUE(engine_->SkipTime(kSecond).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_LT(allowed->load(), 0) << "the injected write failure never happened";
  auto d = Describe("job");
  EXPECT_EQ(d.state(), v1::BATCH_OPERATION_STATE_RUNNING);
  EXPECT_GE(d.complete_operation_count(), 4);  // mid-batch: some done, most not
  EXPECT_LE(d.complete_operation_count(), 7);
  Open();  // reopen on the same directory: the step row is loaded with the other timers
  d = RunToEnd("job");
  EXPECT_EQ(d.state(), v1::BATCH_OPERATION_STATE_COMPLETED);
  EXPECT_EQ(d.complete_operation_count(), 30);
  EXPECT_EQ(d.total_operation_count(), 30);
  for (int i = 0; i < 30; ++i) {
    const std::string wf = "wf" + std::to_string(i);
    ASSERT_EQ(CountEvents(wf, "WorkflowExecutionTerminated"), 1) << wf;
  }
}

}  // namespace
}  // namespace durable::testing
