// The list filter language of ListWorkflowExecutions / CountWorkflowExecutions (Temporal's):
//
//   query     := [expr] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}] [GROUP BY field]
//   expr      := term {OR term}          term := factor {AND factor}
//   factor    := NOT factor | '(' expr ')' | predicate
//   predicate := field op literal                     op: = != <> < <= > >=
//              | field [NOT] BETWEEN literal AND literal
//              | field [NOT] IN '(' literal {, literal} ')'
//              | field [NOT] STARTS_WITH literal
//              | field IS [NOT] NULL
//   field     := identifier | `back-quoted`           literal := 'string' | "string" | number
//                                                                | TRUE | FALSE
//
// Keywords are case-insensitive; strings escape their quote by doubling it or with a
// backslash. ParseQuery only checks the syntax: field names and literal types are checked by
// BindQuery (filter.h) against the namespace's attributes. Errors name the offending token and
// its position (1-based character offset in the query). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durable/status.h"

namespace durable::visibility {

struct Literal {
  enum class Kind { kString, kInt, kDouble, kBool };
  Kind kind = Kind::kString;
  std::string text;  // as written (strings: unquoted and unescaped)
  int64_t int_value = 0;
  double double_value = 0;
  bool bool_value = false;
  size_t pos = 0;  // 1-based
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Expr {
  enum class Kind { kAnd, kOr, kNot, kCompare, kBetween, kIn, kStartsWith, kIsNull };
  Kind kind = Kind::kCompare;
  std::vector<std::unique_ptr<Expr>> children;  // kAnd, kOr (two or more), kNot (one)
  std::string field;                            // predicates
  size_t field_pos = 0;                         // 1-based
  CompareOp op = CompareOp::kEq;                // kCompare
  std::vector<Literal> values;                  // kCompare: 1, kBetween: 2, kIn: 1+, kStartsWith: 1
};

struct OrderTerm {
  std::string field;
  size_t pos = 0;
  bool descending = false;
};

struct Query {
  std::unique_ptr<Expr> where;  // null: every execution
  std::vector<OrderTerm> order_by;
  std::optional<OrderTerm> group_by;  // descending unused
};

// Parses `text`. kInvalidArgument naming the token and position, e.g.
// "query: expected a value after '=' at position 16, got end of query".
Result<Query> ParseQuery(const std::string& text);

}  // namespace durable::visibility
