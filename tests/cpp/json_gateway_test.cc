// JsonGateway without HTTP: protobuf JSON in and out of the engines' Service calls, errors
// as {code, message} with their HTTP status, and API keys per namespace.
#include "server/json_gateway.h"

#include <gtest/gtest.h>

#include <fstream>

#include "engine_test_helpers.h"

namespace durable {
namespace {

using ::durable::testing::TempDir;

class JsonGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = OpenNamespaces(dir_.path() + "/db");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    namespaces_ = std::move(opened).value();
  }
  std::optional<ApiKeys> Keys(const std::string& text) {
    const std::string path = dir_.path() + "/keys.txt";
    std::ofstream(path) << text;
    auto keys = ApiKeys::Load(path);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return std::move(keys).value();
  }
  TempDir dir_;
  std::unique_ptr<Namespaces> namespaces_;
};

TEST_F(JsonGatewayTest, StartsAndListsThroughTheEngine) {
  JsonGateway gw(namespaces_.get(), std::nullopt);
  JsonReply started = gw.Call("StartWorkflowExecution",
                              R"({"workflowId": "w", "workflowType": "T", "taskQueue": "q"})", "", "");
  ASSERT_EQ(started.http_status, 200) << started.body;
  EXPECT_NE(started.body.find("\"runId\""), std::string::npos);
  JsonReply listed = gw.Call("ListWorkflowExecutions", "", "", "default");
  ASSERT_EQ(listed.http_status, 200) << listed.body;
  EXPECT_NE(listed.body.find("\"workflowId\":\"w\""), std::string::npos) << listed.body;
  JsonReply again = gw.Call("StartWorkflowExecution",
                            R"({"workflowId": "w", "workflowType": "T", "taskQueue": "q"})", "", "");
  EXPECT_EQ(again.http_status, 409);
  EXPECT_NE(again.body.find("\"code\":\"AlreadyExists\""), std::string::npos) << again.body;
}

TEST_F(JsonGatewayTest, BadJsonAndUnknownMethodsNameTheProblem) {
  JsonGateway gw(namespaces_.get(), std::nullopt);
  JsonReply bad = gw.Call("ListSchedules", "{", "", "");
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_NE(bad.body.find("durable.v1.ListSchedulesRequest"), std::string::npos) << bad.body;
  EXPECT_EQ(bad.body.find("\\n"), std::string::npos) << "one line: " << bad.body;
  JsonReply unknown_field = gw.Call("ListSchedules", R"({"pageSise": 1})", "", "");
  EXPECT_EQ(unknown_field.http_status, 400);
  EXPECT_NE(unknown_field.body.find("pageSise"), std::string::npos) << unknown_field.body;
  JsonReply unknown = gw.Call("PollActivityTaskQueue", "{}", "", "");
  EXPECT_EQ(unknown.http_status, 404);
  EXPECT_NE(unknown.body.find("PollActivityTaskQueue"), std::string::npos);
  JsonReply no_ns = gw.Call("ListSchedules", "{}", "", "nowhere");
  EXPECT_EQ(no_ns.http_status, 404);
}

TEST_F(JsonGatewayTest, ApiKeysCoverNamespaces) {
  JsonGateway gw(namespaces_.get(), Keys("k-admin *\nk-a team-a\n"));
  EXPECT_EQ(gw.Call("ListNamespaces", "{}", "", "").http_status, 401);
  EXPECT_EQ(gw.Call("ListNamespaces", "{}", "Bearer k-nope", "").http_status, 401);
  EXPECT_EQ(gw.Call("RegisterNamespace", R"({"namespaceInfo": {"name": "team-a"}})",
                    "Bearer k-admin", "").http_status, 200);
  EXPECT_EQ(gw.Call("ListSchedules", "{}", "Bearer k-a", "default").http_status, 403);
  EXPECT_EQ(gw.Call("ListSchedules", "{}", "Bearer k-a", "team-a").http_status, 200);
  EXPECT_EQ(gw.Call("DescribeNamespace", R"({"name": "default"})", "Bearer k-a", "team-a")
                .http_status, 403);  // the namespace the request names counts
}

TEST(JsonGatewayStatusTest, EveryCodeHasAnHttpStatus) {
  EXPECT_EQ(JsonGateway::HttpStatusOf(StatusCode::kOk), 200);
  EXPECT_EQ(JsonGateway::HttpStatusOf(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(JsonGateway::HttpStatusOf(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(JsonGateway::HttpStatusOf(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(JsonGateway::HttpStatusOf(StatusCode::kNotFound), 404);
  EXPECT_EQ(JsonGateway::HttpStatusOf(StatusCode::kUnavailable), 503);
  JsonReply err = JsonGateway::Error(Status::NotFound("workflow \"x\"\nnot found"));
  EXPECT_EQ(err.body, R"({"code":"NotFound","message":"workflow \"x\"\nnot found"})");
}

}  // namespace
}  // namespace durable
