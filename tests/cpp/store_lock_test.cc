// One open store per directory per machine, whatever path names the directory: a symlink in
// the same process and a second process both get kUnavailable naming the real path.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "durable/engine.h"
#include "durable/store.h"
#include "engine_test_helpers.h"

namespace durable {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(StoreLockTest, SecondOpenThroughASymlinkInOneProcessIsRefused) {
  TempDir tmp;
  const std::string real = fs::canonical(tmp.path()).string() + "/data";
  const std::string link = tmp.path() + "/link";
  fs::create_directory(real);
  fs::create_directory_symlink(real, link);

  auto first = OpenEngine(real, testing::FastOptions());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  testing::Start(**first, "wf-1");

  auto second = OpenEngine(link, testing::FastOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(), "directory '" + real + "' (opened as '" + link +
                                           "') is already open by this process");

  // The same path twice is refused as well (RocksDB alone would say so too).
  auto third = OpenRocksDbStore(real);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().message(), "directory '" + real + "' is already open by this process");

  // Closed, it opens again through either name, with what the first engine recorded.
  first->reset();
  auto reopened = OpenEngine(link, testing::FastOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  v1::StartWorkflowExecutionResponse resp;
  Status dup = (*reopened)->StartWorkflowExecution(testing::StartReq("wf-1", "Wf", "q"), &resp);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
}

TEST(StoreLockTest, SecondProcessIsRefusedNamingTheHolder) {
  TempDir dir;
  auto store = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Refused at the lock, before RocksDB starts any thread in this child.
    auto other = OpenRocksDbStore(dir.path());
    const std::string msg = other.ok() ? "opened" : other.status().ToString();
    (void)!write(fds[1], msg.data(), msg.size());
    _exit(other.ok() ? 1 : 0);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) msg.append(buf, size_t(n));
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << msg;
  const std::string real = fs::canonical(dir.path()).string();
  const std::string named =
      real == dir.path() ? "'" + real + "'" : "'" + real + "' (opened as '" + dir.path() + "')";
  EXPECT_EQ(msg, "Unavailable: directory " + named + " is already open by another process (pid " +
                     std::to_string(getpid()) + ")");
}

}  // namespace
}  // namespace durable
