// WAL scan: reads one RocksDB write-ahead log file by itself (no RocksDB internals) to say
// whether it is damaged, where, and how many records lie after the damage — what a
// point-in-time recovery would drop. RocksDB's own refusal ("Corruption: checksum mismatch")
// names neither the file nor the offset, and cannot tell a torn tail from a hole.
//
// The format (RocksDB's documented log format, stable since leveldb): 32 KiB blocks; each
// physical record is a header crc32c(4, masked, over type+payload) length(2, LE) type(1)
// followed by `length` payload bytes; a record never crosses a block, a block's last <7 bytes
// are zero padding; a logical record (one WriteBatch) is a FULL record or FIRST MIDDLE* LAST.
// Recyclable types (5-8, 11) carry a 4-byte log number after the type.
//
// Pure function of the file's bytes; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "durable/status.h"

namespace durable::store {

struct WalScan {
  int64_t records = 0;         // whole logical records before the damage (all if none)
  int64_t damage_offset = -1;  // byte offset of the first bad record; -1 = undamaged
  std::string damage;          // what is wrong there ("checksum mismatch", ...)
  int64_t records_after = 0;   // whole records readable after the damage (lost if dropped)
  bool damaged() const { return damage_offset >= 0; }
  // Damage with nothing readable after it: the last append was interrupted (SIGKILL, power
  // loss) — a torn tail, whose record was never acknowledged as synced.
  bool torn_tail() const { return damaged() && records_after == 0; }
};

// Scans the log file at `path`. kInternal when it cannot be read.
Result<WalScan> ScanWal(const std::string& path);

}  // namespace durable::store
