#include "visibility/filter.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "durable/store.h"

namespace durable::visibility {

namespace {

using T = v1::IndexedValueType;

std::string At(size_t pos) { return " at position " + std::to_string(pos); }

const char* OpName(const BoundExpr& e) {
  switch (e.kind) {
    case Expr::Kind::kBetween: return "BETWEEN";
    case Expr::Kind::kIn: return "IN";
    case Expr::Kind::kStartsWith: return "STARTS_WITH";
    case Expr::Kind::kIsNull: return "IS NULL";
    default: break;
  }
  switch (e.op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "!=";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
  }
  return "?";
}

Result<AttributeInfo> Resolve(const std::string& name, size_t pos, const CustomAttributes& custom) {
  const auto& builtins = BuiltinAttributes();
  auto b = builtins.find(name);
  if (b != builtins.end()) return b->second;
  auto c = custom.find(name);
  if (c != custom.end()) {
    return AttributeInfo{name, c->second, Builtin::kNone,
                         c->second != v1::INDEXED_VALUE_TYPE_TEXT};
  }
  return Status::InvalidArgument("query: unknown search attribute '" + name + "'" + At(pos) +
                                 " (not built in and not registered in this namespace)");
}

Result<v1::SearchAttributeValue> Convert(const Literal& l, const AttributeInfo& a) {
  v1::SearchAttributeValue v;
  T t = a.type == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST ? v1::INDEXED_VALUE_TYPE_KEYWORD : a.type;
  v.set_type(t);
  auto wrong = [&](const char* expected) {
    return Status::InvalidArgument("query: value '" + l.text + "'" + At(l.pos) + " is not " +
                                   expected + " (" + a.name + " is " + TypeName(a.type) + ")");
  };
  switch (t) {
    case v1::INDEXED_VALUE_TYPE_KEYWORD:
    case v1::INDEXED_VALUE_TYPE_TEXT:
      if (l.kind != Literal::Kind::kString) return wrong("a quoted string");
      if (a.builtin == Builtin::kExecutionStatus) {
        bool known = false;
        for (int s = 1; s <= 7; ++s) {
          if (l.text == StatusValueName(static_cast<v1::WorkflowExecutionStatus>(s))) known = true;
        }
        if (!known) {
          return Status::InvalidArgument(
              "query: '" + l.text + "'" + At(l.pos) +
              " is not an execution status (Running, Completed, Failed, Canceled, Terminated, "
              "ContinuedAsNew, TimedOut)");
        }
      }
      v.set_string_value(l.text);
      return v;
    case v1::INDEXED_VALUE_TYPE_INT:
      if (l.kind != Literal::Kind::kInt) return wrong("an integer");
      v.set_int_value(l.int_value);
      return v;
    case v1::INDEXED_VALUE_TYPE_DOUBLE:
      if (l.kind != Literal::Kind::kInt && l.kind != Literal::Kind::kDouble) return wrong("a number");
      v.set_double_value(l.double_value);
      return v;
    case v1::INDEXED_VALUE_TYPE_BOOL:
      if (l.kind == Literal::Kind::kBool) {
        v.set_bool_value(l.bool_value);
        return v;
      }
      if (l.kind == Literal::Kind::kString && (l.text == "true" || l.text == "false")) {
        v.set_bool_value(l.text == "true");
        return v;
      }
      return wrong("TRUE or FALSE");
    case v1::INDEXED_VALUE_TYPE_DATETIME: {
      if (l.kind != Literal::Kind::kString) return wrong("a quoted RFC 3339 time");
      auto us = ParseRfc3339(l.text);
      if (!us.ok()) return wrong("an RFC 3339 time (e.g. '2026-12-02T09:30:00Z')");
      v.set_int_value(us.value());
      return v;
    }
    default: return wrong("a supported value");
  }
}

// Which operators each type supports.
Status CheckOperator(const BoundExpr& e, size_t pos) {
  T t = e.attr.type;
  bool ok = true;
  bool range = (e.kind == Expr::Kind::kCompare && e.op != CompareOp::kEq && e.op != CompareOp::kNe) ||
               e.kind == Expr::Kind::kBetween;
  if (t == v1::INDEXED_VALUE_TYPE_TEXT) {
    ok = (e.kind == Expr::Kind::kCompare && (e.op == CompareOp::kEq || e.op == CompareOp::kNe)) ||
         e.kind == Expr::Kind::kIsNull;
  } else if (t == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST || t == v1::INDEXED_VALUE_TYPE_BOOL) {
    ok = !range && (e.kind != Expr::Kind::kStartsWith || t == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST);
  } else if (e.kind == Expr::Kind::kStartsWith) {
    ok = t == v1::INDEXED_VALUE_TYPE_KEYWORD;
  }
  if (ok) return Status::OK();
  return Status::InvalidArgument(std::string("query: operator ") + OpName(e) +
                                 " is not supported for " + e.attr.name + " (" +
                                 TypeName(t) + ")" + At(pos));
}

Result<BoundExpr> Bind(const Expr& e, const CustomAttributes& custom) {
  BoundExpr b;
  b.kind = e.kind;
  if (e.kind == Expr::Kind::kAnd || e.kind == Expr::Kind::kOr || e.kind == Expr::Kind::kNot) {
    for (const auto& c : e.children) {
      auto bc = Bind(*c, custom);
      if (!bc.ok()) return bc.status();
      b.children.push_back(std::move(bc).value());
    }
    return b;
  }
  auto attr = Resolve(e.field, e.field_pos, custom);
  if (!attr.ok()) return attr.status();
  b.attr = std::move(attr).value();
  b.op = e.op;
  for (const auto& l : e.values) {
    auto v = Convert(l, b.attr);
    if (!v.ok()) return v.status();
    b.values.push_back(std::move(v).value());
  }
  DURABLE_RETURN_IF_ERROR(CheckOperator(b, e.field_pos));
  return b;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) >= 0x80)) {
      cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// -1, 0, 1 comparing two scalar values of one type.
int Compare(const v1::SearchAttributeValue& a, const v1::SearchAttributeValue& b) {
  switch (b.type()) {
    case v1::INDEXED_VALUE_TYPE_INT:
    case v1::INDEXED_VALUE_TYPE_DATETIME:
      return a.int_value() < b.int_value() ? -1 : a.int_value() > b.int_value() ? 1 : 0;
    case v1::INDEXED_VALUE_TYPE_DOUBLE:
      return a.double_value() < b.double_value() ? -1 : a.double_value() > b.double_value() ? 1 : 0;
    case v1::INDEXED_VALUE_TYPE_BOOL: return static_cast<int>(a.bool_value()) - b.bool_value();
    default: {
      int c = a.string_value().compare(b.string_value());
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
  }
}

bool Equal(const v1::SearchAttributeValue& have, const v1::SearchAttributeValue& want, T type) {
  if (type == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST) {
    const auto& l = have.keyword_list();
    return std::find(l.begin(), l.end(), want.string_value()) != l.end();
  }
  if (type == v1::INDEXED_VALUE_TYPE_TEXT) {
    auto text = Words(have.string_value());
    std::set<std::string> present(text.begin(), text.end());
    for (const auto& w : Words(want.string_value())) {
      if (!present.count(w)) return false;
    }
    return true;
  }
  return Compare(have, want) == 0;
}

bool Present(const std::optional<v1::SearchAttributeValue>& v) {
  return v.has_value() &&
         !(v->type() == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST && v->keyword_list_size() == 0);
}

bool MatchPredicate(const BoundExpr& e, const v1::VisibilityRecord& rec) {
  auto have = ValueOf(rec, e.attr);
  if (e.kind == Expr::Kind::kIsNull) return !Present(have);
  if (!Present(have)) return e.kind == Expr::Kind::kCompare && e.op == CompareOp::kNe;
  T type = e.attr.type;
  switch (e.kind) {
    case Expr::Kind::kCompare: {
      if (e.op == CompareOp::kEq) return Equal(*have, e.values[0], type);
      if (e.op == CompareOp::kNe) return !Equal(*have, e.values[0], type);
      int c = Compare(*have, e.values[0]);
      switch (e.op) {
        case CompareOp::kLt: return c < 0;
        case CompareOp::kLe: return c <= 0;
        case CompareOp::kGt: return c > 0;
        case CompareOp::kGe: return c >= 0;
        default: return false;
      }
    }
    case Expr::Kind::kBetween:
      return Compare(*have, e.values[0]) >= 0 && Compare(*have, e.values[1]) <= 0;
    case Expr::Kind::kIn:
      for (const auto& v : e.values) {
        if (Equal(*have, v, type)) return true;
      }
      return false;
    case Expr::Kind::kStartsWith: {
      const std::string& p = e.values[0].string_value();
      if (type == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST) {
        for (const auto& s : have->keyword_list()) {
          if (s.compare(0, p.size(), p) == 0) return true;
        }
        return false;
      }
      return have->string_value().compare(0, p.size(), p) == 0;
    }
    default: return false;
  }
}

// Lower is more selective (a guess: the index has no statistics).
int Selectivity(const BoundExpr& e) {
  if (e.attr.builtin == Builtin::kExecutionStatus) return 6;
  switch (e.kind) {
    case Expr::Kind::kCompare: return e.op == CompareOp::kEq ? 1 : 4;
    case Expr::Kind::kIn: return 2;
    case Expr::Kind::kStartsWith: return 3;
    case Expr::Kind::kBetween: return 4;
    default: return 7;
  }
}

struct Planned {
  std::vector<KeyRange> ranges;
  int score = 0;
};

std::optional<Planned> Plan(const BoundExpr& e,
                            const std::function<std::string(const std::string&)>& prefix_of) {
  switch (e.kind) {
    case Expr::Kind::kAnd: {
      std::optional<Planned> best;
      for (const auto& c : e.children) {
        auto p = Plan(c, prefix_of);
        if (p && (!best || p->score < best->score)) best = std::move(p);
      }
      return best;
    }
    case Expr::Kind::kOr: {
      Planned all;
      for (const auto& c : e.children) {
        auto p = Plan(c, prefix_of);
        if (!p) return std::nullopt;
        all.score = std::max(all.score, p->score);
        for (auto& r : p->ranges) all.ranges.push_back(std::move(r));
      }
      return all;
    }
    case Expr::Kind::kNot: {
      const BoundExpr& in = e.children[0];
      if (in.kind == Expr::Kind::kIsNull && in.attr.indexed) {  // IS NOT NULL
        std::string base = prefix_of(in.attr.name);
        return Planned{{{base, PrefixSuccessor(base)}}, 7};
      }
      return std::nullopt;
    }
    default: break;
  }
  if (!e.attr.indexed) return std::nullopt;
  const std::string base = prefix_of(e.attr.name);
  const std::string base_end = PrefixSuccessor(base);
  auto at = [&](const v1::SearchAttributeValue& v) {
    std::string k = base;
    AppendOrderedValue(&k, v);
    return k;
  };
  Planned p;
  p.score = Selectivity(e);
  switch (e.kind) {
    case Expr::Kind::kCompare: {
      if (e.op == CompareOp::kNe) return std::nullopt;
      std::string k = at(e.values[0]);
      switch (e.op) {
        case CompareOp::kEq: p.ranges.push_back({k, PrefixSuccessor(k)}); break;
        case CompareOp::kLt: p.ranges.push_back({base, k}); break;
        case CompareOp::kLe: p.ranges.push_back({base, PrefixSuccessor(k)}); break;
        case CompareOp::kGt: p.ranges.push_back({PrefixSuccessor(k), base_end}); break;
        case CompareOp::kGe: p.ranges.push_back({k, base_end}); break;
        default: break;
      }
      return p;
    }
    case Expr::Kind::kBetween:
      p.ranges.push_back({at(e.values[0]), PrefixSuccessor(at(e.values[1]))});
      return p;
    case Expr::Kind::kIn:
      for (const auto& v : e.values) {
        std::string k = at(v);
        p.ranges.push_back({k, PrefixSuccessor(k)});
      }
      return p;
    case Expr::Kind::kStartsWith: {
      std::string k = base;
      AppendOrderedStringPrefix(&k, e.values[0].string_value());
      p.ranges.push_back({k, PrefixSuccessor(k)});
      return p;
    }
    default: return std::nullopt;
  }
}

}  // namespace

Result<BoundQuery> BindQuery(const std::string& text, const CustomAttributes& custom,
                             bool allow_group_by) {
  auto parsed = ParseQuery(text);
  if (!parsed.ok()) return parsed.status();
  const Query& q = parsed.value();
  BoundQuery b;
  if (q.where) {
    auto w = Bind(*q.where, custom);
    if (!w.ok()) return w.status();
    b.where = std::move(w).value();
  }
  for (const auto& o : q.order_by) {
    auto a = Resolve(o.field, o.pos, custom);
    if (!a.ok()) return a.status();
    if (a.value().type == v1::INDEXED_VALUE_TYPE_TEXT ||
        a.value().type == v1::INDEXED_VALUE_TYPE_KEYWORD_LIST) {
      return Status::InvalidArgument("query: cannot ORDER BY " + o.field + " (" +
                                     TypeName(a.value().type) + ")" + At(o.pos));
    }
    b.order_by.push_back({std::move(a).value(), o.descending});
  }
  b.default_order = b.order_by.empty();
  if (b.default_order) b.order_by.push_back({BuiltinAttributes().at("StartTime"), true});
  if (q.group_by) {
    if (!allow_group_by) {
      return Status::InvalidArgument("query: GROUP BY" + At(q.group_by->pos) +
                                     " is only supported by CountWorkflowExecutions");
    }
    if (q.group_by->field != "ExecutionStatus") {
      return Status::InvalidArgument("query: GROUP BY '" + q.group_by->field + "'" +
                                     At(q.group_by->pos) + " is not supported (only ExecutionStatus)");
    }
    b.group_by = BuiltinAttributes().at("ExecutionStatus");
  }
  return b;
}

bool Matches(const BoundExpr& e, const v1::VisibilityRecord& rec) {
  switch (e.kind) {
    case Expr::Kind::kAnd:
      for (const auto& c : e.children) {
        if (!Matches(c, rec)) return false;
      }
      return true;
    case Expr::Kind::kOr:
      for (const auto& c : e.children) {
        if (Matches(c, rec)) return true;
      }
      return false;
    case Expr::Kind::kNot: return !Matches(e.children[0], rec);
    default: return MatchPredicate(e, rec);
  }
}

std::string SortKey(const std::vector<BoundOrder>& order, const v1::VisibilityRecord& rec) {
  std::string key;
  for (const auto& o : order) {
    std::string part;
    auto v = ValueOf(rec, o.attr);
    if (v) {
      part.push_back(1);
      AppendOrderedValue(&part, *v);
    } else {
      part.push_back(2);
    }
    if (o.descending) {
      for (char& c : part) c = static_cast<char>(~static_cast<unsigned char>(c));
    }
    key += part;
  }
  AppendOrderedString(&key, rec.workflow_id());
  AppendOrderedString(&key, rec.run_id());
  return key;
}

std::optional<std::vector<KeyRange>> PlanQuery(
    const BoundExpr& e, const std::function<std::string(const std::string&)>& index_prefix) {
  auto p = Plan(e, index_prefix);
  if (!p) return std::nullopt;
  return std::move(p->ranges);
}

}  // namespace durable::visibility
