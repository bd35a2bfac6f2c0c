// VisibilityStore: the visibility column family — one record per run, the index keys that
// answer list and count queries, and each namespace's registered search attributes.
//
// Keys (components separated by NUL; ns first, as in every family):
//   r / ns / workflow_id / run_id                         -> VisibilityRecord
//   o / ns / SortKey(StartTime DESC)                      -> workflow_id NUL run_id
//   i / ns / attribute / ordered value / workflow_id / run_id -> ""  (one per indexed value:
//       built-ins WorkflowId, WorkflowType, TaskQueue, ExecutionStatus, StartTime, CloseTime,
//       ExecutionTime, ParentWorkflowId, and every custom attribute but Text; one per element
//       of a KeywordList)
//   m / ns / attribute                                    -> IndexedValueType (decimal)
//
// WriteRecord adds a run's record and the difference between its old and new index keys to
// the caller's WriteBatch, so they commit atomically with the transition that changed them.
// The caller must hold the run's stripe lock (nobody else writes that run's keys meanwhile).
//
// List and Count read one index range per predicate the planner picks (filter.h) and check
// every candidate against the whole query; with no usable predicate they scan the namespace's
// records. A list without ORDER BY walks the start-time order (a page costs only the rows up
// to it) when no predicate has an index or its ranges hold many (>= 5000) candidates.
// Pages resume after the sort key of the last row returned (VisibilityPageToken): a row never
// repeats or is skipped while others are added, because a row's place in the order only
// changes when its own ORDER BY values do.
//
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "durable/store.h"
#include "durable/v1/service.pb.h"
#include "durable/v1/state.pb.h"
#include "visibility/filter.h"

namespace durable::visibility {

class VisibilityStore {
 public:
  explicit VisibilityStore(Store* store) : store_(store) {}
  VisibilityStore(const VisibilityStore&) = delete;
  VisibilityStore& operator=(const VisibilityStore&) = delete;

  // Adds `rec` (namespace rec.namespace_()) and its index keys to `batch`, deleting the index
  // keys of the record stored before. kInternal on a read error.
  Status WriteRecord(WriteBatch* batch, const v1::VisibilityRecord& rec);

  // kInvalidArgument for a malformed query (naming token and position) or a token of another
  // query.
  // Adds the removal of a run's record and all its index keys to `batch` (retention); OK
  // when the run has none. The caller holds the run's stripe lock.
  Status DeleteRecord(WriteBatch* batch, const std::string& ns, const std::string& wf,
                      const std::string& run);
  Status List(const v1::ListWorkflowExecutionsRequest& req, v1::ListWorkflowExecutionsResponse* resp);
  Status Count(const v1::CountWorkflowExecutionsRequest& req,
               v1::CountWorkflowExecutionsResponse* resp);

  // Registers attributes (durably). Registering a name again with the same type is a no-op;
  // kAlreadyExists for another type or a built-in name; kInvalidArgument for a bad name or type.
  Status AddSearchAttributes(const v1::AddSearchAttributesRequest& req);
  Status ListSearchAttributes(const v1::ListSearchAttributesRequest& req,
                              v1::ListSearchAttributesResponse* resp);

  // Checks attributes a start or upsert sets: each registered (or a system attribute) and of
  // its declared type; with `allow_remove`, a value of type UNSPECIFIED (removal) is accepted.
  // kInvalidArgument naming the attribute and `context` (e.g. " (workflow 'x')").
  Status Validate(const std::string& ns, const v1::SearchAttributes& attrs, bool allow_remove,
                  const std::string& context);

 private:
  Result<CustomAttributes> Custom(const std::string& ns);
  // Candidates of `q` in `ns`: records that may match, each once.
  Status Candidates(const std::string& ns, const BoundQuery& q,
                    const std::function<bool(const v1::VisibilityRecord&)>& fn);
  // Index keys in `ranges`, counting no further than `cap`.
  size_t CountUpTo(const std::vector<KeyRange>& ranges, size_t cap);
  Status GetRecord(const std::string& ns, const std::string& wf, const std::string& run,
                   v1::VisibilityRecord* rec, bool* found);

  Store* store_;
  std::mutex mu_;
  std::map<std::string, CustomAttributes> custom_;  // loaded namespaces; guarded by mu_
};

}  // namespace durable::visibility
