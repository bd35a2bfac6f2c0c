// DirLock: one open store per directory per machine, whatever path names the directory.
//
// RocksDB's own LOCK is not enough: within one process it is keyed by the path string, so
// the same directory opened through a symlink (or "a/../a") opens a second DB on the same
// files. DirLock takes flock(LOCK_EX) on "durable.lock" in the directory's real path; flock
// locks belong to the open file description, so they conflict between processes and between
// two opens within one process alike, and the kernel drops them when the holder dies.
//
// Thread-safe. The lock is held until the DirLock is destroyed.
#pragma once

#include <memory>
#include <string>

#include "durable/status.h"

namespace durable::store {

class DirLock {
 public:
  // Locks `directory` (which must exist). kUnavailable when it is already open, naming its
  // real path, the path it was asked as, and whether this process or another one (with its
  // pid) holds it; kInternal when the lock file cannot be made.
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& directory);

  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

  const std::string& real_path() const { return real_path_; }

 private:
  DirLock(int fd, std::string real_path) : fd_(fd), real_path_(std::move(real_path)) {}

  int fd_;
  std::string real_path_;
};

}  // namespace durable::store
