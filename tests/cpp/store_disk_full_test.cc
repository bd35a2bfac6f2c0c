// A full disk: writes are refused with kResourceExhausted naming the directory, reads keep
// working, nothing acknowledged is lost, and writes succeed again once space is freed.
// Runs on a small tmpfs mounted by the test (needs root, as here and in CI).
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "durable/engine.h"
#include "durable/store.h"
#include "engine_test_helpers.h"

namespace durable {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// An 8 MiB tmpfs on a temporary directory, unmounted at the end.
class SmallDisk {
 public:
  SmallDisk() {
    if (mount("tmpfs", tmp_.path().c_str(), "tmpfs", 0, "size=8m") != 0) {
      error_ = std::strerror(errno);
    }
  }
  ~SmallDisk() {
    if (error_.empty()) umount2(tmp_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  std::string path(const std::string& name) const { return tmp_.path() + "/" + name; }

  // Fills the disk with a file until writing fails for lack of space.
  void Fill() {
    std::ofstream f(path("filler"), std::ios::binary);
    const std::string mb(1 << 20, 'f');
    while (f.write(mb.data(), static_cast<std::streamsize>(mb.size()))) f.flush();
  }
  void Free() { fs::remove(path("filler")); }

 private:
  TempDir tmp_;
  std::string error_;
};

#define REQUIRE_SMALL_DISK(disk)                                                      \
  if (!(disk).mounted()) {                                                            \
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root: " << (disk).error(); \
    FAIL() << "cannot mount a tmpfs: " << (disk).error();                             \
  }

WriteBatch Batch(int i) {
  WriteBatch b;
  b.Put(ColumnFamily::kExecutions, "k" + std::to_string(1000000 + i), std::string(1000, 'v'));
  return b;
}

TEST(StoreDiskFullTest, WritesAreRefusedUntilSpaceReturnsAndNothingIsLost) {
  SmallDisk disk;
  REQUIRE_SMALL_DISK(disk);
  const std::string dir = disk.path("data");
  int acknowledged = 0;
  {
    auto store = OpenRocksDbStore(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (; acknowledged < 100; ++acknowledged) {
      ASSERT_TRUE((*store)->Write(Batch(acknowledged), true).ok());
    }
    disk.Fill();
    Status refused;
    for (int i = 0; i < 20000 && refused.ok(); ++i) {
      refused = (*store)->Write(Batch(acknowledged), true);
      if (refused.ok()) ++acknowledged;
    }
    ASSERT_EQ(refused.code(), StatusCode::kResourceExhausted) << refused.ToString();
    EXPECT_NE(refused.message().find("no space left on the device of '" + dir + "'"),
              std::string::npos)
        << refused.message();
    // Still refused while full, and reads still work.
    EXPECT_EQ((*store)->Write(Batch(acknowledged), true).code(), StatusCode::kResourceExhausted);
    std::string value;
    EXPECT_TRUE((*store)->Get(ColumnFamily::kExecutions, "k1000000", &value).ok());

    disk.Free();
    Status resumed = refused;
    for (int i = 0; i < 10000 && !resumed.ok(); ++i) {  // Resume is tried every 100 ms
      resumed = (*store)->Write(Batch(acknowledged), true);
      if (!resumed.ok()) usleep(10000);
    }
    ASSERT_TRUE(resumed.ok()) << resumed.ToString();
    ++acknowledged;
    for (int i = 0; i < 10; ++i, ++acknowledged) {
      ASSERT_TRUE((*store)->Write(Batch(acknowledged), true).ok());
    }
  }
  // Every acknowledged write is there after a reopen, and the log opens clean.
  auto store = OpenRocksDbStore(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  int n = 0;
  ASSERT_TRUE((*store)->Iterate(ColumnFamily::kExecutions, "", "", [&](std::string_view k,
                                                                     std::string_view) {
    EXPECT_EQ(k, "k" + std::to_string(1000000 + n));
    ++n;
    return true;
  }).ok());
  EXPECT_EQ(n, acknowledged);
}

TEST(StoreDiskFullTest, EngineRefusesNewWorkflowsWithResourceExhaustedThenServesAgain) {
  SmallDisk disk;
  REQUIRE_SMALL_DISK(disk);
  const std::string dir = disk.path("data");
  EngineOptions options;  // synced writes
  auto engine = OpenEngine(dir, options);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  testing::Start(**engine, "before");

  disk.Fill();
  v1::StartWorkflowExecutionResponse resp;
  Status st;
  int started = 0;
  for (; started < 20000 && st.ok(); ++started) {
    st = (*engine)->StartWorkflowExecution(
        testing::StartReq("full-" + std::to_string(started), "Wf", "q"), &resp);
  }
  ASSERT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
  EXPECT_NE(st.message().find("'" + dir + "'"), std::string::npos) << st.message();

  disk.Free();
  st = Status::ResourceExhausted("not tried yet");
  for (int i = 0; i < 10000 && !st.ok(); ++i) {
    st = (*engine)->StartWorkflowExecution(testing::StartReq("after", "Wf", "q"), &resp);
    if (!st.ok()) usleep(10000);
  }
  ASSERT_TRUE(st.ok()) << st.ToString();
  // The workflow started before the disk filled is still there and runs.
  v1::DescribeWorkflowExecutionRequest dreq;
  dreq.mutable_execution()->set_workflow_id("before");
  v1::DescribeWorkflowExecutionResponse dresp;
  EXPECT_TRUE((*engine)->DescribeWorkflowExecution(dreq, &dresp).ok());
}

}  // namespace
}  // namespace durable
