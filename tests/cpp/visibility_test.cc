// Visibility: the list filter parser (errors name token and position), binding (unknown
// attributes, wrong types), and index maintenance through the engine — every index key agrees
// with the execution after start, upsert, close and a reopen; list/count results, pagination.
#include <gtest/gtest.h>

#include <set>

#include "engine_test_helpers.h"
#include "visibility/attributes.h"
#include "visibility/filter.h"
#include "visibility/query.h"

namespace durable {
namespace {

using namespace durable::testing;
using visibility::BindQuery;
using visibility::ParseQuery;

std::string ParseError(const std::string& q) {
  auto r = ParseQuery(q);
  EXPECT_FALSE(r.ok()) << q;
  return r.ok() ? "" : r.status().message();
}

TEST(QueryParserTest, AcceptsEveryOperatorAndClause) {
  for (const char* q : {
           "",
           "WorkflowId = 'a'",
           "WorkflowType != \"b\" AND (ExecutionStatus = 'Running' OR StartTime > '2026-01-01T00:00:00Z')",
           "NOT CustomInt < 3 OR CustomInt <= 4 OR CustomInt >= 5 OR CustomInt <> 6",
           "CustomInt BETWEEN 1 AND 10 AND CustomInt NOT BETWEEN 3 AND 4",
           "WorkflowType IN ('a', 'b') AND WorkflowType NOT IN ('c')",
           "WorkflowId STARTS_WITH 'ord-' AND WorkflowId NOT STARTS_WITH 'ord-x'",
           "CloseTime IS NULL AND ParentWorkflowId IS NOT NULL",
           "`Custom Name` = 'x' ORDER BY StartTime DESC, WorkflowId ASC",
           "order by CloseTime",
           "ExecutionStatus = 'Failed' GROUP BY ExecutionStatus",
           "CustomBool = true and CustomDouble > -1.5e3",
           "WorkflowId = 'it''s' OR WorkflowId = 'it\\'s'",
       }) {
    auto r = ParseQuery(q);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  }
}

TEST(QueryParserTest, ErrorsNameTheTokenAndItsPosition) {
  EXPECT_EQ(ParseError("WorkflowId = "),
            "query: expected a value (a quoted string, a number, TRUE or FALSE) after '=' at "
            "position 14, got end of query");
  EXPECT_EQ(ParseError("WorkflowId == 'a' AND"),
            "query: expected a field name, NOT or '(' at position 22, got end of query");
  EXPECT_EQ(ParseError("WorkflowId 'a'"),
            "query: expected an operator (=, !=, <, <=, >, >=, BETWEEN, IN, STARTS_WITH, IS) "
            "after 'WorkflowId' at position 12, got 'a'");
  EXPECT_EQ(ParseError("(WorkflowId = 'a'"), "query: expected ')' at position 18, got end of query");
  EXPECT_EQ(ParseError("WorkflowId = 'a' WorkflowType = 'b'"),
            "query: expected AND, OR, ORDER BY, GROUP BY or the end of the query at position 18, "
            "got 'WorkflowType'");
  EXPECT_EQ(ParseError("WorkflowId = 'a"), "query: unterminated string starting at position 14");
  EXPECT_EQ(ParseError("WorkflowId ~ 'a'"),
            "query: unexpected character at position 12, got '~'");
  EXPECT_EQ(ParseError("X BETWEEN 1 OR 2"),
            "query: expected AND in BETWEEN ... AND ... at position 13, got 'OR'");
  EXPECT_EQ(ParseError("X IN 1"), "query: expected '(' after IN at position 6, got '1'");
  EXPECT_EQ(ParseError("X IS 1"), "query: expected NULL after IS at position 6, got '1'");
  EXPECT_EQ(ParseError("ORDER StartTime"),
            "query: expected BY after ORDER at position 7, got 'StartTime'");
}

TEST(QueryBinderTest, RefusesUnknownAttributesWrongTypesAndOperators) {
  visibility::CustomAttributes custom = {{"Amount", v1::INDEXED_VALUE_TYPE_INT},
                                         {"Notes", v1::INDEXED_VALUE_TYPE_TEXT},
                                         {"Tags", v1::INDEXED_VALUE_TYPE_KEYWORD_LIST}};
  auto err = [&](const std::string& q, bool group = false) {
    auto r = BindQuery(q, custom, group);
    EXPECT_FALSE(r.ok()) << q;
    return r.ok() ? "" : r.status().message();
  };
  EXPECT_EQ(err("Nope = 'x'"),
            "query: unknown search attribute 'Nope' at position 1 (not built in and not "
            "registered in this namespace)");
  EXPECT_EQ(err("Amount = 'x'"),
            "query: value 'x' at position 10 is not an integer (Amount is Int)");
  EXPECT_EQ(err("StartTime > 'yesterday'"),
            "query: value 'yesterday' at position 13 is not an RFC 3339 time (e.g. "
            "'2026-12-02T09:30:00Z') (StartTime is Datetime)");
  EXPECT_EQ(err("ExecutionStatus = 'Done'"),
            "query: 'Done' at position 19 is not an execution status (Running, Completed, "
            "Failed, Canceled, Terminated, ContinuedAsNew, TimedOut)");
  EXPECT_EQ(err("Notes > 'a'"), "query: operator > is not supported for Notes (Text) at position 1");
  EXPECT_EQ(err("Tags BETWEEN 'a' AND 'b'"),
            "query: operator BETWEEN is not supported for Tags (KeywordList) at position 1");
  EXPECT_EQ(err("ORDER BY Tags"), "query: cannot ORDER BY Tags (KeywordList) at position 10");
  EXPECT_EQ(err("GROUP BY ExecutionStatus"),
            "query: GROUP BY at position 10 is only supported by CountWorkflowExecutions");
  EXPECT_EQ(err("GROUP BY WorkflowType", true),
            "query: GROUP BY 'WorkflowType' at position 10 is not supported (only ExecutionStatus)");
  EXPECT_TRUE(BindQuery("Amount BETWEEN 1 AND 2 AND Tags = 'x' AND Notes = 'hello world'", custom,
                        false)
                  .ok());
}

TEST(Rfc3339Test, ParsesOffsetsAndFractionsAndFormatsUtc) {
  auto t = visibility::ParseRfc3339("2026-12-02T09:30:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value(), 1796203800LL * 1'000'000);
  EXPECT_EQ(visibility::ParseRfc3339("2026-12-02T10:30:00.25+01:00").value(),
            1796203800LL * 1'000'000 + 250'000);
  EXPECT_EQ(visibility::FormatRfc3339(1796203800LL * 1'000'000 + 250'000),
            "2026-12-02T09:30:00.250000Z");
  EXPECT_FALSE(visibility::ParseRfc3339("2026-13-02T09:30:00Z").ok());
  EXPECT_FALSE(visibility::ParseRfc3339("2026-12-02 09:30").ok());
}

TEST(OrderedEncodingTest, SortsLikeTheValues) {
  auto enc_i = [](int64_t v) { std::string s; visibility::AppendOrderedInt(&s, v); return s; };
  auto enc_d = [](double v) { std::string s; visibility::AppendOrderedDouble(&s, v); return s; };
  auto enc_s = [](const std::string& v) { std::string s; visibility::AppendOrderedString(&s, v); return s; };
  EXPECT_LT(enc_i(-5), enc_i(-1));
  EXPECT_LT(enc_i(-1), enc_i(0));
  EXPECT_LT(enc_i(0), enc_i(7));
  EXPECT_LT(enc_d(-2.5), enc_d(-1));
  EXPECT_LT(enc_d(-1), enc_d(0));
  EXPECT_EQ(enc_d(-0.0), enc_d(0.0));
  EXPECT_LT(enc_d(0.5), enc_d(3));
  EXPECT_LT(enc_s("a"), enc_s("ab"));
  EXPECT_LT(enc_s("ab"), enc_s("b"));
  EXPECT_LT(enc_s(std::string("a\0", 2)), enc_s("a\x01"));
}

// ---- through the engine ----------------------------------------------------------------

class VisibilityEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    auto store = OpenRocksDbStore(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store.value().get();
    auto e = OpenEngineOnStore(std::move(store).value(), FastOptions());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
  }
  void Reopen() {
    engine_.reset();
    Open();
  }
  void Register(const std::string& name, v1::IndexedValueType t) {
    v1::AddSearchAttributesRequest r;
    (*r.mutable_search_attributes())[name] = t;
    v1::AddSearchAttributesResponse resp;
    Status st = engine_->AddSearchAttributes(r, &resp);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  std::vector<std::string> List(const std::string& q, int page_size = 0) {
    std::vector<std::string> ids;
    std::string token;
    do {
      v1::ListWorkflowExecutionsRequest r;
      r.set_query(q);
      r.set_page_size(page_size);
      r.set_next_page_token(token);
      v1::ListWorkflowExecutionsResponse resp;
      Status st = engine_->ListWorkflowExecutions(r, &resp);
      EXPECT_TRUE(st.ok()) << q << ": " << st.ToString();
      if (!st.ok()) break;
      for (const auto& e : resp.executions()) ids.push_back(e.execution().workflow_id());
      token = resp.next_page_token();
    } while (!token.empty());
    return ids;
  }
  int64_t Count(const std::string& q) {
    v1::CountWorkflowExecutionsRequest r;
    r.set_query(q);
    v1::CountWorkflowExecutionsResponse resp;
    Status st = engine_->CountWorkflowExecutions(r, &resp);
    EXPECT_TRUE(st.ok()) << q << ": " << st.ToString();
    return resp.count();
  }
  // Every index key of the visibility family, as "attribute=workflow id".
  std::set<std::string> IndexEntries() {
    std::set<std::string> out;
    std::string prefix = std::string("i\0default\0", 10);
    (void)store_->IteratePrefix(ColumnFamily::kVisibility, prefix,
                                [&](std::string_view k, std::string_view) {
      std::string rest(k.substr(prefix.size()));
      std::string attr = rest.substr(0, rest.find('\0'));
      size_t last = rest.rfind('\0');
      size_t prev = rest.rfind('\0', last - 1);
      out.insert(attr + "=" + rest.substr(prev + 1, last - prev - 1));
      return true;
    });
    return out;
  }
  v1::SearchAttributeValue Kw(const std::string& s) {
    v1::SearchAttributeValue v;
    v.set_type(v1::INDEXED_VALUE_TYPE_KEYWORD);
    v.set_string_value(s);
    return v;
  }

  TempDir dir_;
  Store* store_ = nullptr;
  std::unique_ptr<Engine> engine_;
};

TEST_F(VisibilityEngineTest, IndexKeysFollowStartUpsertAndCloseAndSurviveReopen) {
  Register("Customer", v1::INDEXED_VALUE_TYPE_KEYWORD);
  auto req = StartReq("wf-1", "Order");
  (*req.mutable_search_attributes()->mutable_indexed_fields())["Customer"] = Kw("acme");
  v1::StartWorkflowExecutionResponse sresp;
  ASSERT_TRUE(engine_->StartWorkflowExecution(req, &sresp).ok());
  auto entries = IndexEntries();
  EXPECT_TRUE(entries.count("Customer=wf-1"));
  EXPECT_TRUE(entries.count("ExecutionStatus=wf-1"));
  EXPECT_FALSE(entries.count("CloseTime=wf-1"));
  EXPECT_EQ(List("Customer = 'acme'"), std::vector<std::string>{"wf-1"});
  EXPECT_EQ(List("ExecutionStatus = 'Running'"), std::vector<std::string>{"wf-1"});

  // The workflow upserts Customer and completes in one task: one batch.
  auto t = PollWft(*engine_);
  v1::Command up;
  (*up.mutable_upsert_workflow_search_attributes()->mutable_search_attributes()
        ->mutable_indexed_fields())["Customer"] = Kw("globex");
  v1::Command done;
  done.mutable_complete_workflow_execution();
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {up, done}).ok());

  EXPECT_EQ(List("Customer = 'acme'"), std::vector<std::string>{});
  EXPECT_EQ(List("Customer = 'globex' AND ExecutionStatus = 'Completed'"),
            std::vector<std::string>{"wf-1"});
  EXPECT_EQ(List("ExecutionStatus = 'Running'"), std::vector<std::string>{});
  EXPECT_EQ(List("CloseTime IS NOT NULL"), std::vector<std::string>{"wf-1"});
  auto before = IndexEntries();
  EXPECT_TRUE(before.count("CloseTime=wf-1"));
  // One status and one Customer entry: the old values' keys are gone.
  std::string prefix = std::string("i\0default\0ExecutionStatus\0", 26);
  int status_keys = 0;
  (void)store_->IteratePrefix(ColumnFamily::kVisibility, prefix,
                              [&](std::string_view, std::string_view) { return ++status_keys; });
  EXPECT_EQ(status_keys, 1);

  Reopen();
  EXPECT_EQ(IndexEntries(), before);
  EXPECT_EQ(List("Customer = 'globex'"), std::vector<std::string>{"wf-1"});
  EXPECT_EQ(Count(""), 1);
}

TEST_F(VisibilityEngineTest, UndeclaredOrMistypedAttributesAreRefusedAndNothingIsWritten) {
  Register("Amount", v1::INDEXED_VALUE_TYPE_INT);
  auto req = StartReq("wf-bad");
  (*req.mutable_search_attributes()->mutable_indexed_fields())["Nope"] = Kw("x");
  v1::StartWorkflowExecutionResponse resp;
  Status st = engine_->StartWorkflowExecution(req, &resp);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "search attribute 'Nope' is not registered in namespace 'default' (workflow "
            "'wf-bad') (register it first: add_search_attributes)");
  req.mutable_search_attributes()->mutable_indexed_fields()->clear();
  (*req.mutable_search_attributes()->mutable_indexed_fields())["Amount"] = Kw("x");
  st = engine_->StartWorkflowExecution(req, &resp);
  EXPECT_EQ(st.message(),
            "search attribute 'Amount' is declared Int, got a Keyword value (workflow 'wf-bad')");
  EXPECT_EQ(Count(""), 0);

  v1::AddSearchAttributesRequest again;
  (*again.mutable_search_attributes())["Amount"] = v1::INDEXED_VALUE_TYPE_KEYWORD;
  v1::AddSearchAttributesResponse aresp;
  st = engine_->AddSearchAttributes(again, &aresp);
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  (*again.mutable_search_attributes())["Amount"] = v1::INDEXED_VALUE_TYPE_INT;
  EXPECT_TRUE(engine_->AddSearchAttributes(again, &aresp).ok());  // same type: no-op
  v1::AddSearchAttributesRequest builtin;
  (*builtin.mutable_search_attributes())["WorkflowId"] = v1::INDEXED_VALUE_TYPE_KEYWORD;
  EXPECT_EQ(engine_->AddSearchAttributes(builtin, &aresp).code(), StatusCode::kAlreadyExists);
}

TEST_F(VisibilityEngineTest, PagesNeverRepeatOrSkipWhileWorkflowsStart) {
  for (int i = 0; i < 25; ++i) Start(*engine_, "old-" + std::to_string(i));
  std::vector<std::string> seen;
  std::string token;
  int added = 0;
  do {
    v1::ListWorkflowExecutionsRequest r;
    r.set_page_size(4);
    r.set_next_page_token(token);
    v1::ListWorkflowExecutionsResponse resp;
    ASSERT_TRUE(engine_->ListWorkflowExecutions(r, &resp).ok());
    for (const auto& e : resp.executions()) seen.push_back(e.execution().workflow_id());
    token = resp.next_page_token();
    Start(*engine_, "new-" + std::to_string(added++));  // newer: sorts before the cursor
  } while (!token.empty());
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  for (int i = 0; i < 25; ++i) EXPECT_TRUE(unique.count("old-" + std::to_string(i))) << i;
  // Same with an ORDER BY answered by sorting candidates.
  seen.clear();
  token.clear();
  do {
    v1::ListWorkflowExecutionsRequest r;
    r.set_query("WorkflowId STARTS_WITH 'old-' ORDER BY WorkflowId");
    r.set_page_size(3);
    r.set_next_page_token(token);
    v1::ListWorkflowExecutionsResponse resp;
    ASSERT_TRUE(engine_->ListWorkflowExecutions(r, &resp).ok());
    for (const auto& e : resp.executions()) seen.push_back(e.execution().workflow_id());
    token = resp.next_page_token();
    Start(*engine_, "old-new-" + std::to_string(added++));
  } while (!token.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  std::set<std::string> u2(seen.begin(), seen.end());
  EXPECT_EQ(u2.size(), seen.size());
  for (int i = 0; i < 25; ++i) EXPECT_TRUE(u2.count("old-" + std::to_string(i))) << i;

  v1::ListWorkflowExecutionsRequest other;
  other.set_query("WorkflowId = 'x'");
  other.set_next_page_token(token.empty() ? std::string("garbage") : token);
  v1::ListWorkflowExecutionsResponse oresp;
  EXPECT_EQ(engine_->ListWorkflowExecutions(other, &oresp).code(), StatusCode::kInvalidArgument);
}

TEST_F(VisibilityEngineTest, CountGroupsByExecutionStatus) {
  for (int i = 0; i < 3; ++i) Start(*engine_, "r-" + std::to_string(i));
  v1::TerminateWorkflowExecutionRequest term;
  term.mutable_workflow_execution()->set_workflow_id("r-0");
  v1::TerminateWorkflowExecutionResponse tresp;
  ASSERT_TRUE(engine_->TerminateWorkflowExecution(term, &tresp).ok());
  v1::CountWorkflowExecutionsRequest r;
  r.set_query("GROUP BY ExecutionStatus");
  v1::CountWorkflowExecutionsResponse resp;
  ASSERT_TRUE(engine_->CountWorkflowExecutions(r, &resp).ok());
  EXPECT_EQ(resp.count(), 3);
  std::map<std::string, int64_t> groups;
  for (const auto& g : resp.groups()) groups[g.group_values(0).string_value()] = g.count();
  EXPECT_EQ(groups, (std::map<std::string, int64_t>{{"Running", 2}, {"Terminated", 1}}));
  EXPECT_EQ(Count("ExecutionStatus = 'Terminated'"), 1);
  EXPECT_EQ(Count("ExecutionStatus != 'Terminated'"), 2);
}

}  // namespace
}  // namespace durable
