// libFuzzer target: the visibility query language (ParseQuery, BindQuery, PlanQuery, Matches).
// Any input must give a result or a kInvalidArgument, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "visibility/filter.h"
#include "visibility/query.h"

namespace v = durable::visibility;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = v::ParseQuery(text);
  (void)parsed;
  static const v::CustomAttributes custom = {
      {"CustomKeywordField", durable::v1::INDEXED_VALUE_TYPE_KEYWORD},
      {"CustomIntField", durable::v1::INDEXED_VALUE_TYPE_INT},
      {"CustomDoubleField", durable::v1::INDEXED_VALUE_TYPE_DOUBLE},
      {"CustomBoolField", durable::v1::INDEXED_VALUE_TYPE_BOOL},
      {"CustomDatetimeField", durable::v1::INDEXED_VALUE_TYPE_DATETIME},
      {"CustomTextField", durable::v1::INDEXED_VALUE_TYPE_TEXT},
      {"CustomKeywordListField", durable::v1::INDEXED_VALUE_TYPE_KEYWORD_LIST}};
  auto bound = v::BindQuery(text, custom, /*allow_group_by=*/true);
  if (!bound.ok() || !bound.value().where) return 0;
  durable::v1::VisibilityRecord rec;
  rec.set_workflow_id("wf-1");
  rec.set_workflow_type("Wf");
  (void)v::Matches(*bound.value().where, rec);
  (void)v::SortKey(bound.value().order_by, rec);
  (void)v::PlanQuery(*bound.value().where, [](const std::string& a) { return a + '\0'; });
  return 0;
}
