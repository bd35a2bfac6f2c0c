// Cross-execution effects: child workflows, external signals and cancels, parent close
// policies. The initiating transition writes an outbox row (timers family, due at once);
// here it is carried out one execution at a time (never two stripes held): first the
// target's transition, then the source's, which deletes the row. A crash in between
// replays the row: starting a child is idempotent (the child's parent info is checked),
// a signal may be delivered twice (at least once).
#include <algorithm>

#include "engine/engine_impl.h"

namespace durable {

namespace {
bool ParentMatches(const v1::ExecutionState& child, const std::string& parent_wf,
                   const std::string& parent_run, int64_t initiated) {
  const auto& p = child.started().parent();
  return p.workflow_id() == parent_wf && p.run_id() == parent_run &&
         (initiated == 0 || p.initiated_event_id() == initiated);
}
}  // namespace

void EngineImpl::OnOutbox(const v1::TimerRow& row, const std::string& key) {
  const v1::OutboxItem& item = row.outbox();
  const std::string& src_wf = row.workflow_id();
  const std::string& src_run = row.run_id();
  TransitionScope ts(active_transitions_);

  switch (item.kind()) {
    case v1::OUTBOX_KIND_START_CHILD: {
      const auto& sc = item.start_child();
      const int64_t init = item.initiated_event_id();
      std::string child_run, cause;
      // First the child (under its stripe), if the parent still wants it.
      v1::ExecutionState seen;
      Status pst = LoadState(src_wf, src_run, &seen);
      if (!pst.ok() && pst.code() != StatusCode::kNotFound) return RetryTimerLater(row, key);
      const bool parent_wants = pst.ok() && IsOpen(seen) && seen.children().count(init) > 0;
      if (parent_wants) {
        std::lock_guard<std::mutex> lock(Stripe(sc.workflow_id()));
        v1::CurrentRun cur;
        Status st = LoadCurrent(sc.workflow_id(), &cur);
        v1::ExecutionState existing;
        if (st.ok()) st = LoadState(sc.workflow_id(), cur.run_id(), &existing);
        if (st.ok()) {
          if (ParentMatches(existing, src_wf, src_run, init)) {
            child_run = existing.run_id();
          } else if (IsOpen(existing)) {
            cause = "workflow_already_exists";
          } else if (sc.workflow_id_reuse_policy() == v1::WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
                     (sc.workflow_id_reuse_policy() ==
                          v1::WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
                      existing.status() == v1::WORKFLOW_EXECUTION_STATUS_COMPLETED)) {
            cause = "workflow_already_exists";
          }
        } else if (st.code() != StatusCode::kNotFound) {
          return RetryTimerLater(row, key);
        }
        if (child_run.empty() && cause.empty()) {
          Txn txn(Now());
          NewRunParams p;
          p.workflow_id = sc.workflow_id();
          auto& s = p.started;
          s.set_workflow_type(sc.workflow_type());
          s.set_task_queue(sc.task_queue());
          *s.mutable_input() = sc.input();
          s.set_execution_timeout_us(sc.execution_timeout_us());
          s.set_run_timeout_us(sc.run_timeout_us());
          s.set_task_timeout_us(sc.task_timeout_us());
          if (sc.has_retry_policy()) *s.mutable_retry_policy() = sc.retry_policy();
          *s.mutable_header() = sc.header();
          *s.mutable_memo() = sc.memo();
          *s.mutable_search_attributes() = sc.search_attributes();
          s.set_attempt(1);
          s.mutable_parent()->set_workflow_id(src_wf);
          s.mutable_parent()->set_run_id(src_run);
          s.mutable_parent()->set_initiated_event_id(init);
          if (item.has_root()) {
            *s.mutable_root_workflow_execution() = item.root();
          } else {  // a row written before roots were recorded
            s.mutable_root_workflow_execution()->set_workflow_id(src_wf);
            s.mutable_root_workflow_execution()->set_run_id(src_run);
          }
          v1::ExecutionState child;
          Status cst = CreateRun(txn, std::move(p), &child);
          if (cst.ok()) cst = Commit(txn, {&child});
          if (!cst.ok()) return RetryTimerLater(row, key);
          child_run = child.run_id();
        }
      }
      // The parent records the outcome.
      return RunTimerTransition(row, key, RowRun(row), [&](TimerFire& f) {
        v1::ExecutionState& parent = f.ms;
        if (!parent.children().count(init)) return Status::OK();
        v1::HistoryEvent ev;
        if (!child_run.empty()) {
          auto* a = ev.mutable_child_workflow_execution_started();
          a->set_initiated_event_id(init);
          a->mutable_workflow_execution()->set_workflow_id(sc.workflow_id());
          a->mutable_workflow_execution()->set_run_id(child_run);
          a->set_workflow_type(sc.workflow_type());
          (*parent.mutable_children())[init].set_run_id(child_run);
        } else {
          auto* a = ev.mutable_start_child_workflow_execution_failed();
          a->set_initiated_event_id(init);
          a->set_workflow_id(sc.workflow_id());
          a->set_workflow_type(sc.workflow_type());
          a->set_cause(cause.empty() ? "workflow_already_exists" : cause);
          parent.mutable_children()->erase(init);
        }
        AddOrBufferEvent(f.txn, parent, std::move(ev));
        f.changed = true;
        return Status::OK();
      });
    }

    case v1::OUTBOX_KIND_CHILD_CLOSED: {
      const std::string& pwf = item.target().workflow_id();
      const std::string& prun = item.target().run_id();
      const int64_t init = item.initiated_event_id();
      return RunTimerTransition(row, key, TimerTarget{pwf, prun, nullptr}, [&](TimerFire& f) {
        v1::ExecutionState& parent = f.ms;
        if (!parent.children().count(init)) return Status::OK();
        const auto& ch = parent.children().at(init);
        if (ch.run_id().empty()) {
          return Status::Unavailable("the start of child " + ExecName(src_wf, src_run) +
                                     " is not recorded in its parent yet");  // retried
        }
        const int64_t started = ch.started_event_id() > 0 ? ch.started_event_id() : -1;
        v1::WorkflowExecution exec;
        exec.set_workflow_id(src_wf);
        exec.set_run_id(src_run);
        const v1::HistoryEvent& ce = item.child_close_event();
        v1::HistoryEvent ev;
        if (ce.has_workflow_execution_completed()) {
          auto* a = ev.mutable_child_workflow_execution_completed();
          a->set_initiated_event_id(init);
          a->set_started_event_id(started);
          *a->mutable_workflow_execution() = exec;
          *a->mutable_result() = ce.workflow_execution_completed().result();
        } else if (ce.has_workflow_execution_failed()) {
          auto* a = ev.mutable_child_workflow_execution_failed();
          a->set_initiated_event_id(init);
          a->set_started_event_id(started);
          *a->mutable_workflow_execution() = exec;
          *a->mutable_failure() = ce.workflow_execution_failed().failure();
          a->set_retry_state(ce.workflow_execution_failed().retry_state());
        } else if (ce.has_workflow_execution_canceled()) {
          auto* a = ev.mutable_child_workflow_execution_canceled();
          a->set_initiated_event_id(init);
          a->set_started_event_id(started);
          *a->mutable_workflow_execution() = exec;
          *a->mutable_details() = ce.workflow_execution_canceled().details();
        } else if (ce.has_workflow_execution_timed_out()) {
          auto* a = ev.mutable_child_workflow_execution_timed_out();
          a->set_initiated_event_id(init);
          a->set_started_event_id(started);
          *a->mutable_workflow_execution() = exec;
          a->set_retry_state(ce.workflow_execution_timed_out().retry_state());
        } else {
          auto* a = ev.mutable_child_workflow_execution_terminated();
          a->set_initiated_event_id(init);
          a->set_started_event_id(started);
          *a->mutable_workflow_execution() = exec;
        }
        parent.mutable_children()->erase(init);
        AddOrBufferEvent(f.txn, parent, std::move(ev));
        f.changed = true;
        return Status::OK();
      });
    }

    case v1::OUTBOX_KIND_SIGNAL_EXTERNAL:
    case v1::OUTBOX_KIND_CANCEL_EXTERNAL: {
      const bool is_signal = item.kind() == v1::OUTBOX_KIND_SIGNAL_EXTERNAL;
      const std::string& twf = item.target().workflow_id();
      const int64_t init = item.initiated_event_id();
      bool delivered = false;
      std::string target_run;
      {
        std::lock_guard<std::mutex> lock(Stripe(twf));
        Status st = ResolveRun(twf, item.target().run_id(), &target_run);
        v1::ExecutionState target;
        if (st.ok()) st = LoadState(twf, target_run, &target);
        if (st.ok() && IsOpen(target)) {
          Txn txn(Now());
          if (is_signal) {
            v1::HistoryEvent ev;
            auto* a = ev.mutable_workflow_execution_signaled();
            a->set_signal_name(item.signal_external().signal_name());
            *a->mutable_input() = item.signal_external().input();
            *a->mutable_header() = item.signal_external().header();
            a->set_identity("workflow:" + src_wf);
            AddOrBufferEvent(txn, target, std::move(ev));
          } else if (!target.cancel_requested()) {
            target.set_cancel_requested(true);
            v1::HistoryEvent ev;
            auto* a = ev.mutable_workflow_execution_cancel_requested();
            a->set_cause(item.cancel_external().reason());
            a->set_external_initiated_event_id(init);
            a->mutable_external_workflow_execution()->set_workflow_id(src_wf);
            a->mutable_external_workflow_execution()->set_run_id(src_run);
            AddOrBufferEvent(txn, target, std::move(ev));
          }
          if (!Commit(txn, {&target}).ok()) return RetryTimerLater(row, key);
          delivered = true;
        } else if (!st.ok() && st.code() != StatusCode::kNotFound) {
          return RetryTimerLater(row, key);
        }
      }
      // The source records the outcome.
      return RunTimerTransition(row, key, RowRun(row), [&](TimerFire& f) {
        v1::WorkflowExecution exec = item.target();
        v1::HistoryEvent ev;
        if (is_signal && delivered) {
          ev.mutable_external_workflow_execution_signaled()->set_initiated_event_id(init);
          *ev.mutable_external_workflow_execution_signaled()->mutable_workflow_execution() = exec;
        } else if (is_signal) {
          auto* a = ev.mutable_signal_external_workflow_execution_failed();
          a->set_initiated_event_id(init);
          *a->mutable_workflow_execution() = exec;
          a->set_cause("external_workflow_execution_not_found");
        } else if (delivered) {
          ev.mutable_external_workflow_execution_cancel_requested()->set_initiated_event_id(init);
          *ev.mutable_external_workflow_execution_cancel_requested()->mutable_workflow_execution() = exec;
        } else {
          auto* a = ev.mutable_request_cancel_external_workflow_execution_failed();
          a->set_initiated_event_id(init);
          *a->mutable_workflow_execution() = exec;
          a->set_cause("external_workflow_execution_not_found");
        }
        AddOrBufferEvent(f.txn, f.ms, std::move(ev));
        // The external command is resolved: it no longer counts against the pending limit.
        if (is_signal) {
          f.ms.set_pending_signal_externals(std::max<int64_t>(0, f.ms.pending_signal_externals() - 1));
        } else {
          f.ms.set_pending_cancel_externals(std::max<int64_t>(0, f.ms.pending_cancel_externals() - 1));
        }
        f.changed = true;
        return Status::OK();
      });
    }

    case v1::OUTBOX_KIND_PARENT_CLOSE_POLICY: {
      // The child's current run, if it is still this parent's.
      return RunTimerTransition(row, key, TimerTarget{item.target().workflow_id(), "", nullptr},
                                [&](TimerFire& f) {
        v1::ExecutionState& child = f.ms;
        if (!ParentMatches(child, src_wf, src_run, 0)) return Status::OK();
        const std::string reason = "parent close policy: parent " + ExecName(src_wf, src_run) + " closed";
        if (item.parent_close_policy() == v1::PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
          if (!child.cancel_requested()) {
            child.set_cancel_requested(true);
            v1::HistoryEvent ev;
            auto* a = ev.mutable_workflow_execution_cancel_requested();
            a->set_cause(reason);
            a->mutable_external_workflow_execution()->set_workflow_id(src_wf);
            a->mutable_external_workflow_execution()->set_run_id(src_run);
            AddOrBufferEvent(f.txn, child, std::move(ev));
          }
        } else {
          TerminateLocked(f.txn, child, reason, nullptr, "engine");
        }
        f.changed = true;
        return Status::OK();
      });
    }

    default: {
      Txn txn(Now());
      txn.batch.Delete(ColumnFamily::kTimers, key);
      (void)Commit(txn, {});
    }
  }
}

}  // namespace durable
