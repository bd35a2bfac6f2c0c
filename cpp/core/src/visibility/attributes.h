// Search attributes: the built-in ones every execution has (WorkflowId, ExecutionStatus,
// StartTime, ...), the system attributes the engine itself sets (TemporalScheduledById), and
// the custom ones a namespace registers. Also the order-preserving byte encoding of values
// used by index keys and sort keys, and RFC 3339 times. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "durable/status.h"
#include "durable/v1/common.pb.h"
#include "durable/v1/state.pb.h"

namespace durable::visibility {

namespace v1 = ::durable::v1;

// A built-in attribute: read from the record's own fields, never from search_attributes.
enum class Builtin {
  kNone,  // a custom or system attribute (in search_attributes)
  kWorkflowId,
  kRunId,
  kWorkflowType,
  kTaskQueue,
  kExecutionStatus,
  kStartTime,
  kCloseTime,
  kExecutionTime,
  kParentWorkflowId,
  kParentRunId,
  kRootWorkflowId,
  kRootRunId,
  kHistoryLength,
};

struct AttributeInfo {
  std::string name;
  v1::IndexedValueType type = v1::INDEXED_VALUE_TYPE_UNSPECIFIED;
  Builtin builtin = Builtin::kNone;
  bool indexed = true;  // has index keys (TEXT, RunId and HistoryLength do not)
};

// Built-in attributes and system search attributes, by name.
const std::map<std::string, AttributeInfo>& BuiltinAttributes();
// System attributes kept in search_attributes (set by the engine, e.g. by schedules).
inline constexpr char kScheduledById[] = "TemporalScheduledById";
inline constexpr char kScheduledStartTime[] = "TemporalScheduledStartTime";

// "Keyword", "Int", ... (Temporal's names).
const char* TypeName(v1::IndexedValueType type);

// "Running", "Completed", ... (the values ExecutionStatus compares with).
const char* StatusValueName(v1::WorkflowExecutionStatus status);

// The value of `attr` in `rec`; nullopt when absent (a running execution's CloseTime, an
// unset search attribute).
std::optional<v1::SearchAttributeValue> ValueOf(const v1::VisibilityRecord& rec,
                                                const AttributeInfo& attr);

// Checks a custom attribute name (letters, digits, '_'; starting with a letter; at most 64).
Status ValidateAttributeName(const std::string& name);

// Checks one value against its declared type: type tag, no NUL in strings, finite doubles.
// `what` names the attribute in errors.
Status ValidateValue(const v1::SearchAttributeValue& value, v1::IndexedValueType declared,
                     const std::string& what);

// Order-preserving encodings (byte strings compare like the values do).
void AppendOrderedInt(std::string* out, int64_t v);
void AppendOrderedDouble(std::string* out, double v);
// Escapes NUL as 00 FF and ends with 00 00, so no encoding is a prefix of another.
void AppendOrderedString(std::string* out, const std::string& v);
// Escaped prefix without the terminator: every AppendOrderedString(v) with v starting with
// `prefix` starts with it.
void AppendOrderedStringPrefix(std::string* out, const std::string& prefix);
// A scalar value (not KEYWORD_LIST) in the encoding of its type.
void AppendOrderedValue(std::string* out, const v1::SearchAttributeValue& v);

// Parses an RFC 3339 time ("2026-12-02T09:30:00Z", "2026-12-02T09:30:00.5+01:00") into Unix
// microseconds. kInvalidArgument when malformed.
Result<int64_t> ParseRfc3339(const std::string& text);
// Formats Unix microseconds as RFC 3339 UTC ("2026-12-02T09:30:00Z", fraction only if any).
std::string FormatRfc3339(int64_t unix_us);

}  // namespace durable::visibility
