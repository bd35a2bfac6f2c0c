// The HTTP API's value conversions (server/http_api_values.h): what `durable-server --http`
// reads from requests and prints in answers, checked without a server.
#include "server/http_api_values.h"

#include <gtest/gtest.h>

namespace durable {
namespace {

TEST(HttpApiValuesTest, DurationsAsTheCliWritesThem) {
  EXPECT_EQ(ParseDuration("300ms", "f"), 300'000);
  EXPECT_EQ(ParseDuration("1h30m", "f"), 5'400'000'000);
  EXPECT_EQ(ParseDuration("7d", "f"), 604'800'000'000);
  EXPECT_EQ(ParseDuration(" 1.5 ", "f"), 1'500'000);
  for (const char* bad : {"", "soon", "-1s", "1x", "5m soon", "0s", "-3"}) {
    try {
      ParseDuration(bad, "runTimeout");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.status, 400);
      EXPECT_EQ(e.field, "runTimeout");
      EXPECT_NE(std::string(e.what()).find("runTimeout"), std::string::npos) << e.what();
    }
  }
}

TEST(HttpApiValuesTest, PayloadsRoundTripAsTheDefaultConverterWritesThem) {
  const Json value = Json::parse(R"({"b": [1, 2.5, "x"], "a": null})");
  const v1::Payload p = EncodeJson(value);
  EXPECT_EQ(p.metadata().at("encoding"), "json/plain");
  EXPECT_EQ(DecodePayload(p), value);
  const v1::Payload null = EncodeJson(nullptr);
  EXPECT_EQ(null.metadata().at("encoding"), "binary/null");
  EXPECT_TRUE(DecodePayload(null).is_null());
  v1::Payload bytes;
  (*bytes.mutable_metadata())["encoding"] = "binary/plain";
  bytes.set_data(std::string("\x01\xff", 2));
  EXPECT_EQ(DecodePayload(bytes), "01ff");  // as `-o json` prints bytes
  v1::Payload broken;
  (*broken.mutable_metadata())["encoding"] = "json/plain";
  broken.set_data("{");
  EXPECT_EQ(DecodePayload(broken), "7b");
  EXPECT_EQ(EncodeArgs(Json::array({1, "two"})).payloads_size(), 2);
}

TEST(HttpApiValuesTest, TimestampsAndFailures) {
  EXPECT_TRUE(Timestamp(0).is_null());
  EXPECT_EQ(Timestamp(1'796'417'214'733'673), "2026-12-04T20:46:54.733Z");
  v1::Failure f;
  f.set_message("activity failed");
  f.mutable_activity_failure_info();
  f.mutable_cause()->set_message("disk full");
  f.mutable_cause()->mutable_application_failure_info()->set_type("OSError");
  EXPECT_EQ(FailureChain(f), "ActivityError: activity failed <- OSError: disk full");
}

TEST(HttpApiValuesTest, EngineErrorsAsHttpStatuses) {
  EXPECT_EQ(ErrorOf(Status::NotFound("w")).status, 404);
  EXPECT_EQ(ErrorOf(Status::AlreadyExists("w")).status, 409);
  EXPECT_EQ(ErrorOf(Status::FailedPrecondition("w")).status, 409);
  EXPECT_EQ(ErrorOf(Status::InvalidArgument("w")).status, 400);
  EXPECT_EQ(ErrorOf(Status::Unavailable("w")).status, 503);
  EXPECT_EQ(ErrorOf(Status::Internal("w")).status, 500);
  EXPECT_STREQ(ErrorOf(Status::NotFound("workflow w-1")).what(), "workflow w-1");
}

TEST(HttpApiValuesTest, UuidsAreVersion4AndDistinct) {
  const std::string a = NewUuid(), b = NewUuid();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos) << a;
}

}  // namespace
}  // namespace durable
