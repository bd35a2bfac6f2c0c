// RocksDB implementation of Store: one column family per ColumnFamily, WAL synced on
// request (RocksDB's write groups let concurrent synced writers share one fsync).
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <vector>

#include "durable/store.h"

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

class RocksDbStore : public Store {
 public:
  RocksDbStore(std::string dir, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> h)
      : dir_(std::move(dir)), db_(db), handles_(std::move(h)) {}

  ~RocksDbStore() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
    delete db_;
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
    if (!s.ok()) return Status::Internal("rocksdb write to '" + dir_ + "': " + s.ToString());
    return Status::OK();
  }

  bool GetIntProperty(const std::string& name, uint64_t* value) override {
    return db_->GetAggregatedIntProperty(name, value);
  }

 private:
  rocksdb::ColumnFamilyHandle* handle(ColumnFamily cf) {
    return handles_[static_cast<int>(cf) + 1];  // [0] is "default"
  }

  std::string dir_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksDbStore(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return Status::Internal("cannot create directory '" + directory + "': " + ec.message());
  }
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.enable_pipelined_write = false;
  dbo.max_background_jobs = 2;
  dbo.keep_log_file_num = 3;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

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
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(dbo, directory, cfs, &handles, &db);
  if (!s.ok()) {
    std::string msg = s.ToString();
    if (s.IsIOError() && msg.find("lock") != std::string::npos) {
      return Status::Unavailable("directory '" + directory +
                                 "' is already open in another process (RocksDB LOCK held): " +
                                 msg);
    }
    return Status::Internal("cannot open RocksDB in '" + directory + "': " + msg);
  }
  return std::unique_ptr<Store>(new RocksDbStore(directory, db, std::move(handles)));
}

}  // namespace durable
