// A parsed list query bound to a namespace's attributes: every field resolved to a built-in,
// system or registered custom attribute, every literal converted to that attribute's type.
// Then: whether a record matches (Matches), where it sorts (SortKey), and which index key
// ranges hold every match (PlanQuery; the caller re-checks each candidate with Matches).
//
// Semantics (docs/visibility.md): a comparison with an absent attribute is false; `!=`,
// NOT IN, NOT BETWEEN and NOT STARTS_WITH are the negation of their positive form (so an
// absent attribute satisfies them); KeywordList `=` holds when the list contains the value;
// Text `=` holds when every word of the value is a word of the text (case-insensitive).
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "durable/status.h"
#include "visibility/attributes.h"
#include "visibility/query.h"

namespace durable::visibility {

struct BoundExpr {
  Expr::Kind kind = Expr::Kind::kCompare;
  std::vector<BoundExpr> children;
  AttributeInfo attr;                        // predicates
  CompareOp op = CompareOp::kEq;
  std::vector<v1::SearchAttributeValue> values;
};

struct BoundOrder {
  AttributeInfo attr;
  bool descending = false;
};

struct BoundQuery {
  std::optional<BoundExpr> where;
  std::vector<BoundOrder> order_by;   // never empty: StartTime DESC when the query has none
  bool default_order = true;          // no ORDER BY (the order of the start-time index)
  std::optional<AttributeInfo> group_by;
};

// Custom attributes of a namespace: name -> type.
using CustomAttributes = std::map<std::string, v1::IndexedValueType>;

// Parses and binds `text`. kInvalidArgument naming the field or value and its position for an
// unknown attribute, a literal of the wrong type, an operator the type does not support, ORDER
// BY a Text or KeywordList attribute, or GROUP BY when !allow_group_by (or by anything but
// ExecutionStatus).
Result<BoundQuery> BindQuery(const std::string& text, const CustomAttributes& custom,
                             bool allow_group_by);

// Whether `rec` satisfies `e`.
bool Matches(const BoundExpr& e, const v1::VisibilityRecord& rec);

// The record's position in the query's order as a byte string (compare with <): the order
// terms (absent values last in ascending order), then workflow id and run id.
std::string SortKey(const std::vector<BoundOrder>& order, const v1::VisibilityRecord& rec);

// Index key ranges [start, end) whose entries cover every match of `e`; nullopt when no index
// can answer (the caller scans every record). `index_prefix(attr)` is the key prefix of an
// attribute's index; entries are prefix + AppendOrderedValue(value) + '\0' + ... .
struct KeyRange {
  std::string start, end;
};
std::optional<std::vector<KeyRange>> PlanQuery(
    const BoundExpr& e, const std::function<std::string(const std::string&)>& index_prefix);

}  // namespace durable::visibility
