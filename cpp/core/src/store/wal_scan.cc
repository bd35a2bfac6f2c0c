#include "store/wal_scan.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace durable::store {
namespace {

constexpr size_t kBlockSize = 32768;
constexpr size_t kHeaderSize = 7;
constexpr size_t kRecyclableHeaderSize = 11;

enum RecordType : uint8_t {
  kZeroType = 0,  // preallocated, never written
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
  kRecyclableFullType = 5,
  kRecyclableFirstType = 6,
  kRecyclableMiddleType = 7,
  kRecyclableLastType = 8,
  kSetCompressionType = 9,              // metadata, no user data
  kUserDefinedTimestampSizeType = 10,   // metadata (RocksDB 8+)
  kRecyclableUserDefinedTimestampSizeType = 11,
};

// crc32c (Castagnoli), table-driven, and RocksDB's mask (a crc of data containing crcs).
const std::array<uint32_t, 256>& Crc32cTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t Crc32c(const unsigned char* p, size_t n) {
  const auto& table = Crc32cTable();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

uint32_t DecodeFixed32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// Folds physical records into logical ones and keeps the counts of a WalScan.
class Scanner {
 public:
  explicit Scanner(WalScan* out) : out_(out) {}

  // A physical record that passed its checksum, at `offset`.
  void Record(int64_t offset, uint8_t type) {
    switch (type) {
      case kFullType:
      case kRecyclableFullType:
        if (in_fragment_) Bad(fragment_offset_, "record fragment without its end");
        in_fragment_ = false;
        Whole();
        return;
      case kFirstType:
      case kRecyclableFirstType:
        if (in_fragment_) Bad(fragment_offset_, "record fragment without its end");
        in_fragment_ = true;
        fragment_offset_ = offset;
        return;
      case kMiddleType:
      case kRecyclableMiddleType:
        if (!in_fragment_) Bad(offset, "record fragment without its start");
        return;
      case kLastType:
      case kRecyclableLastType:
        if (!in_fragment_) {
          Bad(offset, "record fragment without its start");
          return;
        }
        in_fragment_ = false;
        Whole();
        return;
      default:
        return;  // metadata records
    }
  }

  // The first damage is the one reported; later ones only interrupt counting.
  void Bad(int64_t offset, const std::string& what) {
    in_fragment_ = false;
    if (out_->damaged()) return;
    out_->damage_offset = offset;
    out_->damage = what;
  }

  // The file ended; an open fragment is a torn tail.
  void End() {
    if (in_fragment_) Bad(fragment_offset_, "record cut short at the end of the file");
  }

 private:
  void Whole() { ++(out_->damaged() ? out_->records_after : out_->records); }

  WalScan* out_;
  bool in_fragment_ = false;
  int64_t fragment_offset_ = 0;
};

size_t HeaderSize(uint8_t type) {
  const bool recyclable = (type >= kRecyclableFullType && type <= kRecyclableLastType) ||
                          type == kRecyclableUserDefinedTimestampSizeType;
  return recyclable ? kRecyclableHeaderSize : kHeaderSize;
}

// Scans one block (the file's last one when `last`). Returns at the end of the block or at the
// first bad record in it: after a bad record the reader resynchronises at the next block, as
// RocksDB's does.
void ScanBlock(const unsigned char* b, size_t n, int64_t block_offset, bool last, Scanner* s) {
  size_t pos = 0;
  while (n - pos >= kHeaderSize) {
    const unsigned char* h = b + pos;
    const int64_t at = block_offset + static_cast<int64_t>(pos);
    const uint8_t type = h[6];
    const size_t len = size_t(h[4]) | size_t(h[5]) << 8;
    if (type == kZeroType && len == 0) return;  // preallocated zeros: the rest is unwritten
    const size_t hdr = HeaderSize(type);
    if (hdr + len > n - pos) {
      s->Bad(at, last ? "record cut short at the end of the file" : "bad record length");
      return;
    }
    if (type > kRecyclableUserDefinedTimestampSizeType) {
      s->Bad(at, "unknown record type " + std::to_string(type));
      return;
    }
    // The checksum covers the type byte, the log number (recyclable) and the payload.
    if (MaskCrc(Crc32c(h + 6, hdr - 6 + len)) != DecodeFixed32(h)) {
      s->Bad(at, "checksum mismatch");
      return;
    }
    s->Record(at, type);
    pos += hdr + len;
  }
  // Fewer than a header's bytes left: padding in a full block, a cut header at the end.
  if (last && pos < n && n < kBlockSize) {
    bool zeros = true;
    for (size_t i = pos; i < n; ++i) zeros = zeros && b[i] == 0;
    if (!zeros) s->Bad(block_offset + static_cast<int64_t>(pos), "record header cut short");
  }
}

}  // namespace

Result<WalScan> ScanWal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Internal("cannot read write-ahead log '" + path + "': " +
                            std::strerror(errno));
  }
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  in.seekg(0);
  WalScan out;
  Scanner scanner(&out);
  std::vector<unsigned char> block(kBlockSize);
  for (int64_t offset = 0; offset < size; offset += kBlockSize) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(kBlockSize, size - offset));
    if (!in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(n))) {
      return Status::Internal("cannot read write-ahead log '" + path + "' at offset " +
                              std::to_string(offset));
    }
    ScanBlock(block.data(), n, offset, offset + static_cast<int64_t>(n) >= size, &scanner);
  }
  scanner.End();
  return out;
}

}  // namespace durable::store
