#include "visibility/visibility_store.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

namespace durable::visibility {

namespace {

constexpr int32_t kDefaultPageSize = 1000;
constexpr int32_t kMaxPageSize = 10000;
constexpr size_t kMaxCustomAttributes = 256;
// A default-order list whose index ranges hold at least this many keys walks the start-time
// order instead (matches are dense enough that a page is near).
constexpr size_t kDenseCandidates = 5000;

// One engine holds one namespace (durable/namespaces.h): the request's namespace chose the
// engine, and inside it every key uses the engine's own, "default".
std::string Ns(const std::string&) { return "default"; }

std::string Prefix(char kind, const std::string& ns) {
  std::string k(1, kind);
  k.push_back('\0');
  k += ns;
  k.push_back('\0');
  return k;
}

std::string RecordKey(const std::string& ns, const std::string& wf, const std::string& run) {
  std::string k = Prefix('r', ns) + wf;
  k.push_back('\0');
  return k + run;
}

std::string IndexPrefix(const std::string& ns, const std::string& attr) {
  std::string k = Prefix('i', ns) + attr;
  k.push_back('\0');
  return k;
}

std::string MetaKey(const std::string& ns, const std::string& attr) {
  return Prefix('m', ns) + attr;
}

const std::vector<BoundOrder>& DefaultOrder() {
  static const std::vector<BoundOrder> kOrder = {{BuiltinAttributes().at("StartTime"), true}};
  return kOrder;
}

// Every key the record owns besides its r key, with its value.
std::map<std::string, std::string> Entries(const v1::VisibilityRecord& r) {
  std::map<std::string, std::string> out;
  const std::string& ns = r.namespace_();
  std::string tail(1, '\0');
  tail += r.workflow_id();
  tail.push_back('\0');
  tail += r.run_id();
  out[Prefix('o', ns) + SortKey(DefaultOrder(), r)] = tail.substr(1);
  auto add = [&](const std::string& attr, const v1::SearchAttributeValue& v) {
    std::string k = IndexPrefix(ns, attr);
    AppendOrderedValue(&k, v);
    out[k + tail] = "";
  };
  for (const auto& [name, a] : BuiltinAttributes()) {
    if (a.builtin == Builtin::kNone || !a.indexed) continue;
    auto v = ValueOf(r, a);
    if (v) add(name, *v);
  }
  for (const auto& [name, v] : r.search_attributes().indexed_fields()) {
    switch (v.type()) {
      case v1::INDEXED_VALUE_TYPE_UNSPECIFIED:
      case v1::INDEXED_VALUE_TYPE_TEXT: break;
      case v1::INDEXED_VALUE_TYPE_KEYWORD_LIST:
        for (const auto& s : v.keyword_list()) {
          v1::SearchAttributeValue e;
          e.set_type(v1::INDEXED_VALUE_TYPE_KEYWORD);
          e.set_string_value(s);
          add(name, e);
        }
        break;
      default: add(name, v); break;
    }
  }
  return out;
}

// The workflow and run ids at the end of an index key (neither holds a NUL byte).
bool RunOfIndexKey(std::string_view key, std::string* wf, std::string* run) {
  size_t last = key.rfind('\0');
  if (last == std::string_view::npos || last == 0) return false;
  size_t prev = key.rfind('\0', last - 1);
  if (prev == std::string_view::npos) return false;
  *wf = std::string(key.substr(prev + 1, last - prev - 1));
  *run = std::string(key.substr(last + 1));
  return true;
}

bool SplitRun(std::string_view v, std::string* wf, std::string* run) {
  size_t sep = v.find('\0');
  if (sep == std::string_view::npos) return false;
  *wf = std::string(v.substr(0, sep));
  *run = std::string(v.substr(sep + 1));
  return true;
}

void ToInfo(const v1::VisibilityRecord& r, v1::WorkflowExecutionInfo* e) {
  e->mutable_execution()->set_workflow_id(r.workflow_id());
  e->mutable_execution()->set_run_id(r.run_id());
  e->set_workflow_type(r.workflow_type());
  e->set_task_queue(r.task_queue());
  e->set_status(r.status());
  e->set_start_time_us(r.start_time_us());
  e->set_close_time_us(r.close_time_us());
  e->set_execution_time_us(r.execution_time_us());
  e->set_history_length(r.history_length());
  if (!r.parent_workflow_id().empty()) {
    e->mutable_parent()->set_workflow_id(r.parent_workflow_id());
    e->mutable_parent()->set_run_id(r.parent_run_id());
  }
  *e->mutable_memo() = r.memo();
  *e->mutable_search_attributes() = r.search_attributes();
  // A record written before roots were recorded names none: the run is taken as its own.
  const bool rooted = !r.root_workflow_id().empty();
  e->mutable_root_execution()->set_workflow_id(rooted ? r.root_workflow_id() : r.workflow_id());
  e->mutable_root_execution()->set_run_id(rooted ? r.root_run_id() : r.run_id());
}

}  // namespace

Status VisibilityStore::GetRecord(const std::string& ns, const std::string& wf,
                                  const std::string& run, v1::VisibilityRecord* rec, bool* found) {
  std::string value;
  Status st = store_->Get(ColumnFamily::kVisibility, RecordKey(ns, wf, run), &value);
  *found = false;
  if (st.code() == StatusCode::kNotFound) return Status::OK();
  DURABLE_RETURN_IF_ERROR(st);
  if (!rec->ParseFromString(value)) {
    return Status::Internal("visibility record of workflow '" + wf + "' (run '" + run +
                            "') does not parse");
  }
  *found = true;
  return Status::OK();
}

Status VisibilityStore::WriteRecord(WriteBatch* batch, const v1::VisibilityRecord& rec_in) {
  v1::VisibilityRecord rec = rec_in;
  rec.set_namespace_(Ns(rec.namespace_()));
  v1::VisibilityRecord old;
  bool had = false;
  DURABLE_RETURN_IF_ERROR(GetRecord(rec.namespace_(), rec.workflow_id(), rec.run_id(), &old, &had));
  auto fresh = Entries(rec);
  if (had) {
    old.set_namespace_(rec.namespace_());
    for (const auto& [k, v] : Entries(old)) {
      auto it = fresh.find(k);
      if (it == fresh.end()) {
        batch->Delete(ColumnFamily::kVisibility, k);
      } else if (it->second == v) {
        fresh.erase(it);  // already there
      }
    }
  }
  for (auto& [k, v] : fresh) batch->Put(ColumnFamily::kVisibility, k, v);
  batch->Put(ColumnFamily::kVisibility, RecordKey(rec.namespace_(), rec.workflow_id(), rec.run_id()),
             rec.SerializeAsString());
  return Status::OK();
}

Status VisibilityStore::DeleteRecord(WriteBatch* batch, const std::string& ns_in,
                                     const std::string& wf, const std::string& run) {
  const std::string ns = Ns(ns_in);
  v1::VisibilityRecord old;
  bool had = false;
  DURABLE_RETURN_IF_ERROR(GetRecord(ns, wf, run, &old, &had));
  if (!had) return Status::OK();
  old.set_namespace_(ns);
  for (const auto& [k, v] : Entries(old)) batch->Delete(ColumnFamily::kVisibility, k);
  batch->Delete(ColumnFamily::kVisibility, RecordKey(ns, wf, run));
  return Status::OK();
}

Result<CustomAttributes> VisibilityStore::Custom(const std::string& ns) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = custom_.find(ns);
  if (it != custom_.end()) return it->second;
  CustomAttributes attrs;
  std::string prefix = Prefix('m', ns);
  Status st = store_->IteratePrefix(ColumnFamily::kVisibility, prefix,
                                    [&](std::string_view k, std::string_view v) {
    attrs[std::string(k.substr(prefix.size()))] =
        static_cast<v1::IndexedValueType>(std::atoi(std::string(v).c_str()));
    return true;
  });
  DURABLE_RETURN_IF_ERROR(st);
  custom_[ns] = attrs;
  return attrs;
}

Status VisibilityStore::AddSearchAttributes(const v1::AddSearchAttributesRequest& req) {
  const std::string ns = Ns(req.namespace_());
  auto existing = Custom(ns);
  if (!existing.ok()) return existing.status();
  WriteBatch batch;
  CustomAttributes added;
  for (const auto& [name, type] : req.search_attributes()) {
    DURABLE_RETURN_IF_ERROR(ValidateAttributeName(name));
    if (BuiltinAttributes().count(name)) {
      return Status::AlreadyExists("search attribute '" + name + "' is built in");
    }
    if (type <= v1::INDEXED_VALUE_TYPE_UNSPECIFIED || type > v1::INDEXED_VALUE_TYPE_KEYWORD_LIST) {
      return Status::InvalidArgument("search attribute '" + name + "' has no valid type");
    }
    auto it = existing.value().find(name);
    if (it != existing.value().end()) {
      if (it->second != type) {
        return Status::AlreadyExists("search attribute '" + name + "' is already registered as " +
                                     TypeName(it->second) + " in namespace '" + ns +
                                     "', cannot register it as " + TypeName(type));
      }
      continue;
    }
    added[name] = type;
    batch.Put(ColumnFamily::kVisibility, MetaKey(ns, name), std::to_string(static_cast<int>(type)));
  }
  if (existing.value().size() + added.size() > kMaxCustomAttributes) {
    return Status::ResourceExhausted("namespace '" + ns + "' would have more than " +
                                     std::to_string(kMaxCustomAttributes) +
                                     " custom search attributes");
  }
  if (batch.empty()) return Status::OK();
  std::lock_guard<std::mutex> l(mu_);
  DURABLE_RETURN_IF_ERROR(store_->Write(batch, /*sync=*/true));
  for (auto& [n, t] : added) custom_[ns][n] = t;
  return Status::OK();
}

Status VisibilityStore::ListSearchAttributes(const v1::ListSearchAttributesRequest& req,
                                             v1::ListSearchAttributesResponse* resp) {
  auto custom = Custom(Ns(req.namespace_()));
  if (!custom.ok()) return custom.status();
  for (const auto& [n, t] : custom.value()) (*resp->mutable_custom_attributes())[n] = t;
  for (const auto& [n, a] : BuiltinAttributes()) (*resp->mutable_system_attributes())[n] = a.type;
  return Status::OK();
}

Status VisibilityStore::Validate(const std::string& ns_in, const v1::SearchAttributes& attrs,
                                 bool allow_remove, const std::string& context) {
  if (attrs.indexed_fields().empty()) return Status::OK();
  const std::string ns = Ns(ns_in);
  auto custom = Custom(ns);
  if (!custom.ok()) return custom.status();
  for (const auto& [name, v] : attrs.indexed_fields()) {
    v1::IndexedValueType declared = v1::INDEXED_VALUE_TYPE_UNSPECIFIED;
    auto b = BuiltinAttributes().find(name);
    if (b != BuiltinAttributes().end()) {
      if (b->second.builtin != Builtin::kNone) {
        return Status::InvalidArgument("search attribute '" + name +
                                       "' is built in and cannot be set" + context);
      }
      declared = b->second.type;
    } else {
      auto c = custom.value().find(name);
      if (c == custom.value().end()) {
        return Status::InvalidArgument("search attribute '" + name +
                                       "' is not registered in namespace '" + ns + "'" + context +
                                       " (register it first: add_search_attributes)");
      }
      declared = c->second;
    }
    if (allow_remove && v.type() == v1::INDEXED_VALUE_TYPE_UNSPECIFIED) continue;
    Status st = ValidateValue(v, declared, name);
    if (!st.ok()) return Status::InvalidArgument(st.message() + context);
  }
  return Status::OK();
}

Status VisibilityStore::Candidates(const std::string& ns, const BoundQuery& q,
                                   const std::function<bool(const v1::VisibilityRecord&)>& fn) {
  std::optional<std::vector<KeyRange>> ranges;
  if (q.where) {
    ranges = PlanQuery(*q.where, [&](const std::string& attr) { return IndexPrefix(ns, attr); });
  }
  if (!ranges) {  // every record of the namespace
    Status inner;
    Status st = store_->IteratePrefix(ColumnFamily::kVisibility, Prefix('r', ns),
                                      [&](std::string_view, std::string_view v) {
      v1::VisibilityRecord rec;
      if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
        inner = Status::Internal("a visibility record does not parse");
        return false;
      }
      if (q.where && !Matches(*q.where, rec)) return true;
      return fn(rec);
    });
    DURABLE_RETURN_IF_ERROR(st);
    return inner;
  }
  std::set<std::pair<std::string, std::string>> runs;
  for (const auto& r : *ranges) {
    DURABLE_RETURN_IF_ERROR(store_->Iterate(ColumnFamily::kVisibility, r.start, r.end,
                                            [&](std::string_view k, std::string_view) {
      std::string wf, run;
      if (RunOfIndexKey(k, &wf, &run)) runs.emplace(std::move(wf), std::move(run));
      return true;
    }));
  }
  for (const auto& [wf, run] : runs) {
    v1::VisibilityRecord rec;
    bool found = false;
    DURABLE_RETURN_IF_ERROR(GetRecord(ns, wf, run, &rec, &found));
    if (!found || !Matches(*q.where, rec)) continue;
    if (!fn(rec)) break;
  }
  return Status::OK();
}

size_t VisibilityStore::CountUpTo(const std::vector<KeyRange>& ranges, size_t cap) {
  size_t n = 0;
  for (const auto& r : ranges) {
    Status st = store_->Iterate(ColumnFamily::kVisibility, r.start, r.end,
                                [&](std::string_view, std::string_view) { return ++n < cap; });
    if (!st.ok() || n >= cap) return n;
  }
  return n;
}

Status VisibilityStore::List(const v1::ListWorkflowExecutionsRequest& req,
                             v1::ListWorkflowExecutionsResponse* resp) {
  const std::string ns = Ns(req.namespace_());
  if (req.page_size() < 0) {
    return Status::InvalidArgument("page_size is negative (" + std::to_string(req.page_size()) + ")");
  }
  const size_t page = static_cast<size_t>(
      req.page_size() == 0 ? kDefaultPageSize : std::min(req.page_size(), kMaxPageSize));
  auto custom = Custom(ns);
  if (!custom.ok()) return custom.status();
  auto bound = BindQuery(req.query(), custom.value(), /*allow_group_by=*/false);
  if (!bound.ok()) return bound.status();
  const BoundQuery& q = bound.value();
  std::string after;  // sort key of the last row of the previous page
  bool resume = false;
  if (!req.next_page_token().empty()) {
    v1::VisibilityPageToken tok;
    if (!tok.ParseFromString(req.next_page_token()) || tok.query() != req.query()) {
      return Status::InvalidArgument("next_page_token does not belong to the query '" +
                                     req.query() + "'");
    }
    after = tok.last_sort_key();
    resume = true;
  }
  std::vector<std::pair<std::string, v1::VisibilityRecord>> rows;  // (sort key, record)
  bool use_order_index = false;
  if (q.default_order) {
    auto ranges = q.where ? PlanQuery(*q.where, [&](const std::string& a) {
                              return IndexPrefix(ns, a);
                            })
                          : std::nullopt;
    // With no usable index, or one that holds many candidates (dense matches), walking the
    // start-time order finds a page sooner than loading and sorting every candidate.
    use_order_index = !ranges.has_value() || CountUpTo(*ranges, kDenseCandidates) >= kDenseCandidates;
  }
  if (use_order_index) {
    // Walk the start-time index from the cursor: a page reads only its own rows (and the
    // non-matching ones between them).
    const std::string o = Prefix('o', ns);
    std::string start = o;
    if (resume) {
      start = o + after;
      start.push_back('\0');  // the smallest key after the cursor
    }
    Status inner;
    DURABLE_RETURN_IF_ERROR(store_->Iterate(ColumnFamily::kVisibility, start, PrefixSuccessor(o),
                                            [&](std::string_view k, std::string_view v) {
      std::string wf, run;
      if (!SplitRun(v, &wf, &run)) return true;
      v1::VisibilityRecord rec;
      bool found = false;
      inner = GetRecord(ns, wf, run, &rec, &found);
      if (!inner.ok()) return false;
      if (!found || (q.where && !Matches(*q.where, rec))) return true;
      rows.emplace_back(std::string(k.substr(o.size())), std::move(rec));
      return rows.size() <= page;  // one more than a page: is there a next one?
    }));
    DURABLE_RETURN_IF_ERROR(inner);
  } else {
    DURABLE_RETURN_IF_ERROR(Candidates(ns, q, [&](const v1::VisibilityRecord& rec) {
      std::string key = SortKey(q.order_by, rec);
      if (!resume || key > after) rows.emplace_back(std::move(key), rec);
      return true;
    }));
    auto by_key = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (rows.size() > page + 1) {
      std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(page + 1),
                        rows.end(), by_key);
      rows.resize(page + 1);
    } else {
      std::sort(rows.begin(), rows.end(), by_key);
    }
  }
  const bool more = rows.size() > page;
  if (more) rows.resize(page);
  for (const auto& [key, rec] : rows) ToInfo(rec, resp->add_executions());
  if (more && !rows.empty()) {
    v1::VisibilityPageToken tok;
    tok.set_last_sort_key(rows.back().first);
    tok.set_query(req.query());
    resp->set_next_page_token(tok.SerializeAsString());
  }
  return Status::OK();
}

Status VisibilityStore::Count(const v1::CountWorkflowExecutionsRequest& req,
                              v1::CountWorkflowExecutionsResponse* resp) {
  const std::string ns = Ns(req.namespace_());
  auto custom = Custom(ns);
  if (!custom.ok()) return custom.status();
  auto bound = BindQuery(req.query(), custom.value(), /*allow_group_by=*/true);
  if (!bound.ok()) return bound.status();
  const BoundQuery& q = bound.value();
  int64_t total = 0;
  std::map<std::string, int64_t> groups;
  DURABLE_RETURN_IF_ERROR(Candidates(ns, q, [&](const v1::VisibilityRecord& rec) {
    ++total;
    if (q.group_by) {
      auto v = ValueOf(rec, *q.group_by);
      groups[v ? v->string_value() : ""]++;
    }
    return true;
  }));
  resp->set_count(total);
  for (const auto& [value, n] : groups) {
    auto* g = resp->add_groups();
    auto* v = g->add_group_values();
    v->set_type(v1::INDEXED_VALUE_TYPE_KEYWORD);
    v->set_string_value(value);
    g->set_count(n);
  }
  return Status::OK();
}

}  // namespace durable::visibility
