// Core microbenchmarks (Google Benchmark), C++ only — no Python on the path:
//  * BM_Replay1000Activities: a WorkflowReplayer replaying, from scratch, the full history of a
//    workflow that ran 1,000 activities one after the other (built in memory); reports events/s.
//  * BM_EngineOneActivityWorkflow/sync:{0,1}: the in-process engine through its Service API —
//    start a workflow, poll and complete its workflow task (ScheduleActivity), poll and complete
//    the activity, poll and complete the next workflow task (CompleteWorkflowExecution). Four
//    durable transitions per workflow; reports workflows/s. sync:1 syncs the WAL on every
//    write (the default), sync:0 is the relaxed mode. Threads(4) runs four workers on their own
//    task queues against one engine (concurrent transitions share WAL syncs).
//
// Build and run: see bench/README.md, "Core microbenchmarks".
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "durable/engine.h"
#include "durable/replay.h"
#include "durable/store.h"

namespace {

namespace v1 = ::durable::v1;

v1::Payloads Bytes(const std::string& s) {
  v1::Payloads p;
  p.add_payloads()->set_data(s);
  return p;
}

// --- Replay -----------------------------------------------------------------------------

constexpr int kActivities = 1000;

v1::Command ScheduleActivity(int seq) {
  v1::Command c;
  auto* s = c.mutable_schedule_activity();
  s->set_seq(seq);
  s->set_activity_type("step");
  *s->mutable_input() = Bytes("in");
  s->set_start_to_close_timeout_us(10'000'000);
  return c;
}

// The history the engine writes for: task 1 schedules activity 1; task n (n <= 1000) sees
// activity n-1 completed and schedules activity n; task 1001 completes the workflow.
v1::History ActivitiesHistory() {
  v1::History h;
  auto add = [&]() {
    v1::HistoryEvent* e = h.add_events();
    e->set_event_id(h.events_size());
    e->set_event_time_us(1'700'000'000'000'000 + e->event_id() * 1000);
    return e;
  };
  auto* started = add()->mutable_workflow_execution_started();
  started->set_workflow_type("bench");
  started->set_task_queue("q");
  *started->mutable_input() = Bytes("in");
  started->set_attempt(1);
  int64_t wft_started = 0;
  auto task = [&]() {
    add()->mutable_workflow_task_scheduled()->set_task_queue("q");
    v1::HistoryEvent* s = add();
    s->mutable_workflow_task_started()->set_scheduled_event_id(s->event_id() - 1);
    wft_started = s->event_id();
    v1::HistoryEvent* c = add();
    c->mutable_workflow_task_completed()->set_started_event_id(wft_started);
    return c->event_id();
  };
  for (int seq = 1; seq <= kActivities; ++seq) {
    int64_t completed = task();
    v1::HistoryEvent* sch = add();
    auto* a = sch->mutable_activity_task_scheduled();
    a->set_seq(seq);
    a->set_activity_id(std::to_string(seq));
    a->set_activity_type("step");
    a->set_task_queue("q");
    *a->mutable_input() = Bytes("in");
    a->set_workflow_task_completed_event_id(completed);
    v1::HistoryEvent* st = add();
    st->mutable_activity_task_started()->set_scheduled_event_id(sch->event_id());
    st->mutable_activity_task_started()->set_attempt(1);
    v1::HistoryEvent* done = add();
    done->mutable_activity_task_completed()->set_scheduled_event_id(sch->event_id());
    done->mutable_activity_task_completed()->set_started_event_id(st->event_id());
    *done->mutable_activity_task_completed()->mutable_result() = Bytes("out");
  }
  int64_t completed = task();
  auto* wc = add()->mutable_workflow_execution_completed();
  *wc->mutable_result() = Bytes("done");
  wc->set_workflow_task_completed_event_id(completed);
  return h;
}

void BM_Replay1000Activities(benchmark::State& state) {
  const v1::History history = ActivitiesHistory();
  std::vector<v1::WorkflowActivationCompletion> completions(kActivities + 1);
  for (int n = 0; n <= kActivities; ++n) {
    completions[n].set_run_id("run");
    auto* cmds = completions[n].mutable_successful();
    if (n < kActivities) {
      *cmds->add_commands() = ScheduleActivity(n + 1);
    } else {
      *cmds->add_commands()->mutable_complete_workflow_execution()->mutable_result() = Bytes("done");
    }
  }
  for (auto _ : state) {
    durable::WorkflowReplayer r("wf", "run");
    if (!r.AddHistory(history).ok()) state.SkipWithError("AddHistory failed");
    int n = 0;
    while (true) {
      auto a = r.NextActivation();
      if (!a.ok()) {
        state.SkipWithError(a.status().ToString().c_str());
        break;
      }
      if (!a->has_value()) break;
      benchmark::DoNotOptimize(**a);
      durable::Status s = r.Complete(completions[n++]);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        break;
      }
    }
    if (n != kActivities + 1) state.SkipWithError("unexpected number of activations");
  }
  state.SetItemsProcessed(state.iterations() * history.events_size());
  state.counters["events"] = history.events_size();
}
BENCHMARK(BM_Replay1000Activities)->Unit(benchmark::kMillisecond);

// --- Engine -----------------------------------------------------------------------------

// One engine per sync mode for the whole run, in a temporary directory removed at exit.
// Closed by main() after the run: RocksDB must not be closed from static destructors.
class Engines {
 public:
  static durable::Engine& Get(bool sync) {
    Engines& engines = Instance();
    std::lock_guard<std::mutex> l(engines.mu_);
    auto& slot = engines.open_[sync];
    if (!slot.engine) {
      std::string tmpl =
          (std::filesystem::temp_directory_path() / "durable-bench-XXXXXX").string();
      if (mkdtemp(tmpl.data()) == nullptr) std::abort();
      slot.dir = tmpl;
      durable::EngineOptions o;
      o.sync_writes = sync;
      auto r = durable::OpenEngine(slot.dir, o);
      if (!r.ok()) std::abort();
      slot.engine = std::move(r).value();
    }
    return *slot.engine;
  }

  static void CloseAll() {
    Engines& engines = Instance();
    std::lock_guard<std::mutex> l(engines.mu_);
    engines.open_.clear();
  }

 private:
  static Engines& Instance() {
    static Engines* engines = new Engines();  // never destroyed: see CloseAll()
    return *engines;
  }

  struct Slot {
    std::string dir;
    std::unique_ptr<durable::Engine> engine;
    ~Slot() {
      engine.reset();
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  };
  std::mutex mu_;
  std::map<bool, Slot> open_;
};

bool OneActivityWorkflow(durable::Engine& e, const std::string& queue, const std::string& id,
                         std::string* error) {
  auto fail = [&](const char* step, const durable::Status& s) {
    *error = std::string(step) + ": " + s.ToString();
    return false;
  };
  v1::StartWorkflowExecutionRequest start;
  start.set_workflow_id(id);
  start.set_workflow_type("bench");
  start.set_task_queue(queue);
  *start.mutable_input() = Bytes("in");
  v1::StartWorkflowExecutionResponse started;
  if (auto s = e.StartWorkflowExecution(start, &started); !s.ok()) return fail("start", s);

  v1::PollWorkflowTaskQueueRequest poll_wft;
  poll_wft.set_task_queue(queue);
  poll_wft.set_identity("bench");
  poll_wft.set_timeout_us(5'000'000);
  v1::PollWorkflowTaskQueueResponse wft;
  if (auto s = e.PollWorkflowTaskQueue(poll_wft, &wft); !s.ok()) return fail("poll wft 1", s);
  if (wft.task_token().empty()) return fail("poll wft 1", durable::Status::Internal("no task"));
  v1::RespondWorkflowTaskCompletedRequest done1;
  done1.set_task_token(wft.task_token());
  done1.set_identity("bench");
  *done1.add_commands() = ScheduleActivity(1);
  v1::RespondWorkflowTaskCompletedResponse r1;
  if (auto s = e.RespondWorkflowTaskCompleted(done1, &r1); !s.ok()) return fail("complete wft 1", s);

  v1::PollActivityTaskQueueRequest poll_act;
  poll_act.set_task_queue(queue);
  poll_act.set_identity("bench");
  poll_act.set_timeout_us(5'000'000);
  v1::PollActivityTaskQueueResponse act;
  if (auto s = e.PollActivityTaskQueue(poll_act, &act); !s.ok()) return fail("poll activity", s);
  if (act.task_token().empty()) return fail("poll activity", durable::Status::Internal("no task"));
  v1::RespondActivityTaskCompletedRequest act_done;
  act_done.set_task_token(act.task_token());
  act_done.set_identity("bench");
  *act_done.mutable_result() = Bytes("out");
  v1::RespondActivityTaskCompletedResponse ra;
  if (auto s = e.RespondActivityTaskCompleted(act_done, &ra); !s.ok()) return fail("complete activity", s);

  v1::PollWorkflowTaskQueueResponse wft2;
  if (auto s = e.PollWorkflowTaskQueue(poll_wft, &wft2); !s.ok()) return fail("poll wft 2", s);
  if (wft2.task_token().empty()) return fail("poll wft 2", durable::Status::Internal("no task"));
  v1::RespondWorkflowTaskCompletedRequest done2;
  done2.set_task_token(wft2.task_token());
  done2.set_identity("bench");
  *done2.add_commands()->mutable_complete_workflow_execution()->mutable_result() = Bytes("done");
  v1::RespondWorkflowTaskCompletedResponse r2;
  if (auto s = e.RespondWorkflowTaskCompleted(done2, &r2); !s.ok()) return fail("complete wft 2", s);
  return true;
}

void BM_EngineOneActivityWorkflow(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  durable::Engine& e = Engines::Get(sync);
  // Own queue and ids per thread (and per run: Google Benchmark calls this several times).
  static std::atomic<int64_t> run{0};
  const std::string tag = std::to_string(run.fetch_add(1)) + "-" + std::to_string(state.thread_index());
  const std::string queue = "q-" + tag;
  int64_t i = 0;
  std::string error;
  for (auto _ : state) {
    if (!OneActivityWorkflow(e, queue, "wf-" + tag + "-" + std::to_string(i++), &error)) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());  // workflows
  state.counters["transitions/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 4, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineOneActivityWorkflow)
    ->ArgName("sync")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// --- Storage floor ----------------------------------------------------------------------

// The synced-write limit of this disk through durable's Store (RocksDB): each iteration is one
// WriteBatch the size of a one-activity transition (an execution row ~600 B, two history
// events ~150 B each, a task row), synced. RocksDB merges concurrent writers into one WAL write
// and one fsync (group commit), so N threads show what the engine could reach if every
// transition of N concurrent workflows were in flight at once (issue 15, "the floors").
void BM_StorageSyncedWriteBatch(benchmark::State& state) {
  static std::mutex mu;
  static std::unique_ptr<durable::Store> store;
  static std::string dir;
  if (state.thread_index() == 0) {
    std::lock_guard<std::mutex> l(mu);
    std::string tmpl = (std::filesystem::temp_directory_path() / "durable-probe-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    auto r = durable::OpenRocksDbStore(dir);
    if (!r.ok()) std::abort();
    store = std::move(r).value();
  }
  // Google Benchmark starts every thread's loop together, after thread 0's setup above.
  const std::string tag = std::to_string(state.thread_index());
  int64_t i = 0;
  for (auto _ : state) {
    durable::WriteBatch b;
    const std::string id = tag + "-" + std::to_string(i++);
    b.Put(durable::ColumnFamily::kExecutions, "e/" + id, std::string(600, 'x'));
    b.Put(durable::ColumnFamily::kHistory, "h/" + id + "/1", std::string(150, 'y'));
    b.Put(durable::ColumnFamily::kHistory, "h/" + id + "/2", std::string(150, 'z'));
    b.Put(durable::ColumnFamily::kTasks, "t/" + id, std::string(80, 't'));
    if (auto st = store->Write(b, /*sync=*/true); !st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());  // synced batches
  if (state.thread_index() == 0) {
    std::lock_guard<std::mutex> l(mu);
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}
BENCHMARK(BM_StorageSyncedWriteBatch)
    ->Threads(1)
    ->Threads(4)
    ->Threads(16)
    ->Threads(64)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  Engines::CloseAll();
  return 0;
}
