// RocksDB implementation of Store: one column family per ColumnFamily, WAL synced on
// request (RocksDB's write groups let concurrent synced writers share one fsync). Opening
// refuses a corrupt write-ahead log (store/wal_scan.h says where and how much) and a
// directory already open under any name (store/dir_lock.h); a full disk refuses writes until
// space returns (see OpenRocksDbStore in durable/store.h).
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <filesystem>
#include <vector>

#include "durable/store.h"
#include "store/dir_lock.h"
#include "store/wal_scan.h"

namespace durable {

const char* ColumnFamilyName(ColumnFamily cf) {
  switch (cf) {
    case ColumnFamily::kExecutions: return "executions";
    case ColumnFamily::kCurrent: return "current";
    case ColumnFamily::kHistory: return "history";
    case ColumnFamily::kTasks: return "tasks";
    case ColumnFamily::kTimers: return "timers";
    case ColumnFamily::kVisibility: return "visibility";
    case ColumnFamily::kSchedules: return "schedules";
    case ColumnFamily::kBatches: return "batches";
    case ColumnFamily::kCount: break;
  }
  return "?";
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    if (c != 0xff) {
      s.back() = static_cast<char>(c + 1);
      return s;
    }
    s.pop_back();
  }
  return s;  // empty: no upper bound
}

Status Store::IteratePrefix(ColumnFamily cf, std::string_view prefix, const Visitor& fn) {
  std::string end = PrefixSuccessor(prefix);
  return Iterate(cf, prefix, end, fn);
}

namespace {

// How often a refused write may ask RocksDB to resume (each attempt on a still-full disk
// costs a failed flush).
constexpr auto kResumeInterval = std::chrono::milliseconds(100);

// RocksDB's info LOG, written with stdio. RocksDB's own file logger asserts (Debian builds
// keep assertions) on its next line after a failed append — on a full disk that aborts the
// process — so a line that cannot be written is dropped instead.
class InfoLog : public rocksdb::Logger {
 public:
  explicit InfoLog(const std::string& path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), file_(std::fopen(path.c_str(), "a")) {}
  ~InfoLog() override {
    if (file_) std::fclose(file_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (!file_) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::vfprintf(file_, format, ap);
    std::fputc('\n', file_);
    std::fflush(file_);
  }

 private:
  std::mutex mu_;
  std::FILE* file_;
};

// RocksDB's automatic recovery from a full disk waits (polling every 5 s) for free space of
// the sum of the write buffers (128 MiB here), which a small disk never has, and meanwhile
// answers DB::Resume with Busy. Turned off: Store::Write resumes by itself (TryResume).
class ManualRecovery : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

bool IsNoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos;
}

class RocksDbStore : public Store {
 public:
  RocksDbStore(std::string dir, std::unique_ptr<store::DirLock> lock, rocksdb::DB* db,
               std::vector<rocksdb::ColumnFamilyHandle*> h)
      : dir_(std::move(dir)), lock_(std::move(lock)), db_(db), handles_(std::move(h)) {}

  ~RocksDbStore() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
    delete db_;
    // lock_ goes last: the directory is free only once RocksDB has let go of it.
  }

  Status Get(ColumnFamily cf, std::string_view key, std::string* value) override {
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(cf),
                                 rocksdb::Slice(key.data(), key.size()), value);
    if (s.IsNotFound()) return Status::NotFound("key not found");
    if (!s.ok()) {
      return Status::Internal(std::string("rocksdb get in ") + ColumnFamilyName(cf) + " of '" +
                              dir_ + "': " + s.ToString());
    }
    return Status::OK();
  }

  Status Iterate(ColumnFamily cf, std::string_view start, std::string_view end,
                 const Visitor& fn) override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end.data(), end.size());
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handle(cf)));
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key(), v = it->value();
      if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) break;
    }
    if (!it->status().ok()) {
      return Status::Internal(std::string("rocksdb iterate in ") + ColumnFamilyName(cf) +
                              " of '" + dir_ + "': " + it->status().ToString());
    }
    return Status::OK();
  }

  Status Write(const WriteBatch& batch, bool sync) override {
    rocksdb::WriteBatch wb;
    for (const auto& op : batch.ops()) {
      rocksdb::Status s = op.is_delete ? wb.Delete(handle(op.cf), op.key)
                                       : wb.Put(handle(op.cf), op.key, op.value);
      if (!s.ok()) return Status::Internal("rocksdb batch: " + s.ToString());
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, &wb);
    if (!s.ok() && TryResume()) s = db_->Write(wo, &wb);
    if (s.ok()) return Status::OK();
    if (IsNoSpace(s)) {
      return Status::ResourceExhausted("no space left on the device of '" + dir_ +
                                       "': new work is refused until space is freed (" +
                                       s.ToString() + ")");
    }
    return Status::Internal("rocksdb write to '" + dir_ + "': " + s.ToString());
  }

  bool GetIntProperty(const std::string& name, uint64_t* value) override {
    return db_->GetAggregatedIntProperty(name, value);
  }

 private:
  rocksdb::ColumnFamilyHandle* handle(ColumnFamily cf) {
    return handles_[static_cast<int>(cf) + 1];  // [0] is "default"
  }

  // After a failed write (disk full, I/O error) RocksDB refuses every write until its
  // background error is cleared (its own recovery is off, see ManualRecovery). So a refused
  // write asks for DB::Resume (flush the memtables to a new WAL, then accept writes again),
  // at most every kResumeInterval. True when RocksDB takes writes again.
  bool TryResume() {
    const int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    int64_t last = last_resume_.load();
    const int64_t interval =
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(kResumeInterval)
            .count();
    if (now - last < interval || !last_resume_.compare_exchange_strong(last, now)) return false;
    return db_->Resume().ok();
  }

  std::string dir_;
  std::unique_ptr<store::DirLock> lock_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::atomic<int64_t> last_resume_{0};  // steady_clock ticks of the last Resume attempt
};

struct Opened {
  rocksdb::Status status;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
};

Opened OpenDb(const std::string& directory, rocksdb::WALRecoveryMode recovery) {
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.enable_pipelined_write = false;
  dbo.max_background_jobs = 2;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  dbo.info_log = std::make_shared<InfoLog>(directory + "/LOG");
  dbo.listeners.push_back(std::make_shared<ManualRecovery>());
  dbo.wal_recovery_mode = recovery;

  rocksdb::ColumnFamilyOptions cfo;
  rocksdb::BlockBasedTableOptions bbo;
  bbo.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(bbo));
  cfo.write_buffer_size = 16 << 20;

  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName, cfo);
  for (int i = 0; i < static_cast<int>(ColumnFamily::kCount); ++i) {
    cfs.emplace_back(ColumnFamilyName(static_cast<ColumnFamily>(i)), cfo);
  }
  Opened o;
  o.status = rocksdb::DB::Open(dbo, directory, cfs, &o.handles, &o.db);
  return o;
}

// The first damage found in the directory's write-ahead logs, oldest log first.
struct WalDamage {
  std::string file;       // "" when every log reads whole
  store::WalScan scan;    // of `file`
  int64_t lost = 0;       // records after the damage, in that log and the later ones
  bool torn_tail() const { return !file.empty() && lost == 0; }
};

Result<WalDamage> FindWalDamage(const std::string& directory) {
  std::vector<std::pair<uint64_t, std::string>> logs;  // by log number
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = e.path().filename().string();
    const bool numbered_log = name.size() > 4 && e.path().extension() == ".log" &&
                              name.find_first_not_of("0123456789") == name.size() - 4;
    if (!numbered_log) continue;
    logs.emplace_back(std::stoull(name.substr(0, name.size() - 4)), e.path().string());
  }
  if (ec) return Status::Internal("cannot list '" + directory + "': " + ec.message());
  std::sort(logs.begin(), logs.end());
  WalDamage d;
  for (const auto& [number, path] : logs) {
    DURABLE_ASSIGN_OR_RETURN(store::WalScan scan, store::ScanWal(path));
    if (!d.file.empty()) {
      d.lost += scan.records;  // a point-in-time recovery stops at the first damage
    } else if (scan.damaged()) {
      d.file = path;
      d.scan = scan;
      d.lost = scan.records_after;
    }
  }
  return d;
}

std::string Describe(const WalDamage& d) {
  return "write-ahead log '" + d.file + "' is corrupt at offset " +
         std::to_string(d.scan.damage_offset) + " (" + d.scan.damage + ")";
}

Status OpenError(const std::string& directory, const rocksdb::Status& s) {
  const std::string msg = s.ToString();
  if (s.IsIOError() && msg.find("lock") != std::string::npos) {
    return Status::Unavailable("directory '" + directory +
                               "' is already open in another process (RocksDB LOCK held): " + msg);
  }
  if (IsNoSpace(s)) {
    return Status::ResourceExhausted("cannot open RocksDB in '" + directory +
                                     "': no space left on the device (" + msg + ")");
  }
  if (s.IsCorruption()) return Status::DataLoss("RocksDB in '" + directory + "' is corrupt: " + msg);
  return Status::Internal("cannot open RocksDB in '" + directory + "': " + msg);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& directory,
                                                const RocksDbStoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return Status::Internal("cannot create directory '" + directory + "': " + ec.message());
  }
  DURABLE_ASSIGN_OR_RETURN(auto lock, store::DirLock::Acquire(directory));

  // kTolerateCorruptedTailRecords opens a log whose last record was cut short (the normal
  // state after SIGKILL or power loss) and refuses any other damage, where RocksDB's default
  // (point-in-time) would silently drop everything after the first bad record.
  Opened o = OpenDb(directory, rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords);
  if (o.status.IsCorruption()) {
    DURABLE_ASSIGN_OR_RETURN(WalDamage damage, FindWalDamage(directory));
    if (damage.file.empty()) return OpenError(directory, o.status);  // not the WAL
    // A torn tail whose bytes are garbage rather than missing (the last record's checksum
    // fails, nothing readable after it): dropping it loses nothing that was acknowledged.
    if (!damage.torn_tail()) {
      if (!options.accept_data_loss) {
        return Status::DataLoss(
            Describe(damage) + ": at least " + std::to_string(damage.lost) +
            " records (transitions) after it would be lost; open with accept_data_loss "
            "(--accept-data-loss) to recover the " + std::to_string(damage.scan.records) +
            " records before it");
      }
      std::fprintf(stderr,
                   "durable: %s; opened with accept_data_loss: kept the %lld records before "
                   "it, dropped at least %lld after it\n",
                   Describe(damage).c_str(), static_cast<long long>(damage.scan.records),
                   static_cast<long long>(damage.lost));
    }
    o = OpenDb(directory, rocksdb::WALRecoveryMode::kPointInTimeRecovery);
  }
  if (!o.status.ok()) return OpenError(directory, o.status);
  return std::unique_ptr<Store>(
      new RocksDbStore(directory, std::move(lock), o.db, std::move(o.handles)));
}

}  // namespace durable
