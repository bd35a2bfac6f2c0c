// Store: the engine's key-value storage, split into column families. The embedded default
// is RocksDB (OpenRocksDbStore); every backend-specific line lives behind this interface so
// that another backend (PostgreSQL) or a test double (one that injects write failures) can
// replace it.
//
// Keys are byte strings compared lexicographically (big-endian integers sort numerically).
// A WriteBatch is applied atomically: all of its operations or none.
//
// Thread-safe: every method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "durable/status.h"

namespace durable {

// The column families. See DESIGN.md §3 for their keys and values.
enum class ColumnFamily : int {
  kExecutions = 0,  // ns / workflow_id / run_id -> mutable state
  kCurrent,         // ns / workflow_id -> current run
  kHistory,         // ns / workflow_id / run_id / event_id -> HistoryEvent
  kTasks,           // ns / queue / kind / seq -> task reference
  kTimers,          // fire_time / ns / workflow_id / run_id / key -> timer
  kVisibility,      // index / value / ... -> visibility record
  kSchedules,       // ns / schedule_id -> schedule
  kBatches,         // ns / job_id -> batch operation
  kCount,
};

const char* ColumnFamilyName(ColumnFamily cf);

// A list of puts and deletes applied together by Store::Write. Plain value, not thread-safe.
class WriteBatch {
 public:
  struct Op {
    ColumnFamily cf;
    bool is_delete;
    std::string key;
    std::string value;  // empty for deletes
  };

  void Put(ColumnFamily cf, std::string key, std::string value) {
    ops_.push_back({cf, false, std::move(key), std::move(value)});
  }
  void Delete(ColumnFamily cf, std::string key) {
    ops_.push_back({cf, true, std::move(key), {}});
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

class Store {
 public:
  virtual ~Store() = default;

  // Reads one key. kNotFound when absent; kInternal on a storage error.
  virtual Status Get(ColumnFamily cf, std::string_view key, std::string* value) = 0;

  // Visits, in key order, every key k with start <= k < end (end empty = no upper bound).
  // `fn` returns false to stop early. kInternal on a storage error.
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  virtual Status Iterate(ColumnFamily cf, std::string_view start, std::string_view end,
                         const Visitor& fn) = 0;

  // Visits every key that starts with `prefix`.
  Status IteratePrefix(ColumnFamily cf, std::string_view prefix, const Visitor& fn);

  // Applies the batch atomically. With `sync`, returns only once the write is durable (WAL
  // synced); concurrent writers share syncs (group commit). On failure nothing of the batch
  // was applied: kResourceExhausted when the disk is full, kInternal otherwise.
  virtual Status Write(const WriteBatch& batch, bool sync) = 0;

  // An integer property of the storage engine (RocksDB's DB::GetIntProperty, summed over
  // column families), for metrics. false when unknown (the default, for test stores).
  virtual bool GetIntProperty(const std::string& name, uint64_t* value) { return false; }
};

struct RocksDbStoreOptions {
  // Open even when the write-ahead log is corrupt, keeping the records before the damage
  // and dropping the ones after it (RocksDB's point-in-time recovery); what was dropped is
  // written to stderr. Default: false (a corrupt log is a kDataLoss error).
  bool accept_data_loss = false;
};

// Opens (creating if needed) a RocksDB store on `directory`, one per directory per machine
// whatever path names it (a flock on `durable.lock` in its real path, see store/dir_lock.h).
// Errors, each naming the directory or file:
// - kUnavailable: the directory is already open, by this process or another one;
// - kDataLoss: a write-ahead log is corrupt at an offset with records after it (opening
//   would silently drop them), unless `accept_data_loss`; a log whose last record was cut
//   short (a crash during an append, never acknowledged) opens silently without that record;
// - kResourceExhausted: no space left on the device;
// - kInternal: other storage errors.
//
// Writes on a full disk (or after a failed write) fail with kResourceExhausted (kInternal for
// other I/O errors) and leave the data as it was; once space is back the next write resumes
// the database (RocksDB's DB::Resume) and succeeds. Reads keep working meanwhile.
Result<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& directory,
                                                const RocksDbStoreOptions& options = {});

// The smallest key greater than every key starting with `prefix` ("" if none exists).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace durable
