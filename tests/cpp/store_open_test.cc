// Opening a RocksDB store on a damaged write-ahead log: corruption with records after it is a
// kDataLoss error naming the file (unless accept_data_loss), a torn tail recovers silently.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "durable/store.h"
#include "engine_test_helpers.h"

namespace durable {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int kRecords = 1000;  // ~130 KB of WAL: several 32 KiB blocks

std::string Key(int i) {
  char k[32];
  std::snprintf(k, sizeof(k), "k%06d", i);
  return k;
}

std::string OnlyWal(const std::string& dir);

// kRecords synced batches, one key each: all of them only in the WAL when the store closes.
// `*boundary` is the WAL's size after the first `mark` of them (a record boundary).
void WriteRecords(const std::string& dir, int mark = 0, int64_t* boundary = nullptr) {
  auto store = OpenRocksDbStore(dir);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < kRecords; ++i) {
    if (boundary && i == mark) *boundary = static_cast<int64_t>(fs::file_size(OnlyWal(dir)));
    WriteBatch b;
    b.Put(ColumnFamily::kExecutions, Key(i), std::string(100, 'v'));
    ASSERT_TRUE((*store)->Write(b, /*sync=*/true).ok());
  }
}

std::string OnlyWal(const std::string& dir) {
  std::vector<std::string> logs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log") logs.push_back(e.path().string());
  }
  EXPECT_EQ(logs.size(), 1u);
  return logs.empty() ? "" : logs[0];
}

void Overwrite(const std::string& path, int64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void FlipByte(const std::string& path, int64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  char c = 0;
  f.seekg(offset);
  f.read(&c, 1);
  c ^= 0x40;
  f.seekp(offset);
  f.write(&c, 1);
}

// The keys 0..n-1 are there, and nothing else.
int CountKeys(Store& store) {
  int n = 0;
  EXPECT_TRUE(store.Iterate(ColumnFamily::kExecutions, "", "", [&](std::string_view k,
                                                                   std::string_view) {
    EXPECT_EQ(k, Key(n));
    ++n;
    return true;
  }).ok());
  return n;
}

TEST(StoreOpenTest, FlippedByteAtTheStartOfTheWalIsAnErrorNamingTheFile) {
  TempDir dir;
  WriteRecords(dir.path());
  const std::string wal = OnlyWal(dir.path());
  FlipByte(wal, 0);

  auto store = OpenRocksDbStore(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  const std::string& msg = store.status().message();
  EXPECT_NE(msg.find("write-ahead log '" + wal + "' is corrupt at offset 0 (checksum mismatch)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("accept_data_loss"), std::string::npos) << msg;
  EXPECT_NE(msg.find("recover the 0 records before it"), std::string::npos) << msg;
  // Refusing changed nothing: the damaged log is still there to be examined or accepted.
  EXPECT_EQ(OnlyWal(dir.path()), wal);
}

TEST(StoreOpenTest, HundredBytesOverwrittenMidLogIsAnError) {
  TempDir dir;
  WriteRecords(dir.path());
  const std::string wal = OnlyWal(dir.path());
  Overwrite(wal, static_cast<int64_t>(fs::file_size(wal) / 2), std::string(100, 'Z'));

  auto store = OpenRocksDbStore(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find("'" + wal + "' is corrupt at offset "),
            std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("records (transitions) after it would be lost"),
            std::string::npos);
}

TEST(StoreOpenTest, AcceptDataLossOpensWithWhatPrecedesTheDamage) {
  TempDir dir;
  WriteRecords(dir.path());
  const std::string wal = OnlyWal(dir.path());
  Overwrite(wal, static_cast<int64_t>(fs::file_size(wal) / 2), std::string(100, 'Z'));

  RocksDbStoreOptions accept;
  accept.accept_data_loss = true;
  int kept = 0;
  {
    auto store = OpenRocksDbStore(dir.path(), accept);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    kept = CountKeys(**store);
    EXPECT_GT(kept, kRecords / 3);
    EXPECT_LT(kept, kRecords);
  }
  // The loss was accepted once: the directory now opens normally with the same prefix.
  auto again = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(CountKeys(**again), kept);
}

TEST(StoreOpenTest, TornTailRecoversSilentlyWithEverythingBeforeIt) {
  TempDir dir;
  WriteRecords(dir.path());
  const std::string wal = OnlyWal(dir.path());
  fs::resize_file(wal, fs::file_size(wal) - 5);  // the last append cut short

  auto store = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(CountKeys(**store), kRecords - 1);
}

TEST(StoreOpenTest, GarbledLastRecordIsATornTail) {
  TempDir dir;
  WriteRecords(dir.path());
  const std::string wal = OnlyWal(dir.path());
  FlipByte(wal, static_cast<int64_t>(fs::file_size(wal)) - 1);  // half-persisted last record

  auto store = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(CountKeys(**store), kRecords - 1);
}

TEST(StoreOpenTest, TruncationAtARecordBoundaryKeepsThePrefix) {
  TempDir dir;
  int64_t boundary = 0;
  WriteRecords(dir.path(), 300, &boundary);
  fs::resize_file(OnlyWal(dir.path()), static_cast<uintmax_t>(boundary));

  auto store = OpenRocksDbStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(CountKeys(**store), 300);
}

}  // namespace
}  // namespace durable
