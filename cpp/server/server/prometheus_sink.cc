#include "server/prometheus_sink.h"

namespace durable {

namespace {

// Seconds: 1 ms .. 1 min, for waits that are usually short and sometimes very long.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return b;
}

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const std::string& name,
                                                 const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

PrometheusSink::PrometheusSink()
    : registry_(std::make_shared<prometheus::Registry>()),
      started_(Counter(*registry_, "durable_workflow_started_total", "Workflow runs started")),
      completed_(Counter(*registry_, "durable_workflow_completed_total",
                         "Workflow runs completed")),
      failed_(Counter(*registry_, "durable_workflow_failed_total", "Workflow runs failed")),
      timed_out_(Counter(*registry_, "durable_workflow_timed_out_total",
                         "Workflow runs timed out")),
      terminated_(Counter(*registry_, "durable_workflow_terminated_total",
                          "Workflow runs terminated")),
      canceled_(Counter(*registry_, "durable_workflow_canceled_total", "Workflow runs canceled")),
      continued_as_new_(Counter(*registry_, "durable_workflow_continued_as_new_total",
                                "Workflow runs closed by continue-as-new")),
      schedule_to_start_(prometheus::BuildHistogram()
                             .Name("durable_task_schedule_to_start_seconds")
                             .Help("Time a task waited in its queue before a worker took it")
                             .Register(*registry_)),
      timer_lag_(prometheus::BuildHistogram()
                     .Name("durable_timer_lag_seconds")
                     .Help("How late timers fired after their due time")
                     .Register(*registry_)),
      transitions_(Counter(*registry_, "durable_transitions_total",
                           "State transitions written (one atomic batch each)")),
      wal_syncs_(Counter(*registry_, "durable_wal_syncs_total",
                         "Transitions written with a WAL sync")) {}

void PrometheusSink::WorkflowStarted(const std::string& ns, const std::string& workflow_type) {
  started_.Add({{"namespace", ns}, {"workflow_type", workflow_type}}).Increment();
}

void PrometheusSink::WorkflowClosed(const std::string& ns, const std::string& workflow_type,
                                    const std::string& status) {
  prometheus::Family<prometheus::Counter>* family =
      status == "completed"          ? &completed_
      : status == "failed"           ? &failed_
      : status == "timed_out"        ? &timed_out_
      : status == "terminated"       ? &terminated_
      : status == "canceled"         ? &canceled_
      : status == "continued_as_new" ? &continued_as_new_
                                     : nullptr;
  if (family == nullptr) return;
  family->Add({{"namespace", ns}, {"workflow_type", workflow_type}}).Increment();
}

void PrometheusSink::TaskScheduleToStart(const std::string& ns, const std::string& task_queue,
                                         const std::string& kind, double seconds) {
  schedule_to_start_
      .Add({{"namespace", ns}, {"task_queue", task_queue}, {"task_kind", kind}}, LatencyBuckets())
      .Observe(seconds);
}

void PrometheusSink::TimerLag(const std::string& ns, double seconds) {
  timer_lag_.Add({{"namespace", ns}}, LatencyBuckets()).Observe(seconds);
}

void PrometheusSink::TransitionWritten(const std::string& ns, bool synced) {
  transitions_.Add({{"namespace", ns}}).Increment();
  if (synced) wal_syncs_.Add({{"namespace", ns}}).Increment();
}

}  // namespace durable
