#include "concord/base/ids.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace concord {
namespace {

std::string FormatUuid(std::array<unsigned char, 16> b, unsigned char version = 4) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

}  // namespace

bool IsUuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string NewUuid() {
  std::array<unsigned char, 16> b{};
  randombytes_buf(b.data(), b.size());
  return FormatUuid(b);
}

std::string FormatUuid(uint64_t hi, uint64_t lo) {
  std::array<unsigned char, 16> b{};
  std::memcpy(b.data(), &hi, 8);
  std::memcpy(b.data() + 8, &lo, 8);
  return FormatUuid(b);
}

std::string NewUuid(std::mt19937_64& rng) {
  uint64_t hi = rng();
  uint64_t lo = rng();
  return FormatUuid(hi, lo);
}

std::string NewTimeOrderedUuid(int64_t unix_ms, std::mt19937_64& rng) {
  std::array<unsigned char, 16> b{};
  uint64_t hi = rng();
  uint64_t lo = rng();
  std::memcpy(b.data(), &hi, 8);
  std::memcpy(b.data() + 8, &lo, 8);
  auto ms = static_cast<uint64_t>(std::max<int64_t>(unix_ms, 0));
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  return FormatUuid(b, 7);
}

}  // namespace concord
