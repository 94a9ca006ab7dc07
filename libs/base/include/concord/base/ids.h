#pragma once
// Strong identifier types, so that a community uuid cannot be passed where a user id is
// expected, plus UUID generation and validation.
//
//   CommunityUuid c = NewCommunityUuid(rng);
//   if (!IsUuid(text)) return InvalidArgument("communityUuid", "...");

#include <compare>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>

namespace concord {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const StrongId&, const StrongId&) = default;
  friend bool operator==(const StrongId&, const StrongId&) = default;

 private:
  std::string value_;
};

using CommunityUuid = StrongId<struct CommunityUuidTag>;
using UserId = StrongId<struct UserIdTag>;
using WidgetInstanceId = StrongId<struct WidgetInstanceIdTag>;
using EventId = StrongId<struct EventIdTag>;

// True for the canonical lowercase 8-4-4-4-12 hex form that Concord generates and stores.
bool IsUuid(std::string_view text);

// A random (version 4) UUID from the operating system's secure generator.
std::string NewUuid();

// A version 4 UUID drawn from `rng`: deterministic for a given seed (used by `populate`).
std::string NewUuid(std::mt19937_64& rng);

// A version 7 UUID (RFC 9562): `unix_ms` in its first 48 bits, the rest drawn from `rng`. UUIDs
// made in time order sort in that order, so rows keyed by them are appended to their B-trees
// rather than inserted all over them (`populate`'s communities, made oldest first).
std::string NewTimeOrderedUuid(int64_t unix_ms, std::mt19937_64& rng);

// The version 4 UUID made of these 128 bits (version and variant bits overwritten).
std::string FormatUuid(uint64_t hi, uint64_t lo);

}  // namespace concord

template <typename Tag>
struct std::hash<concord::StrongId<Tag>> {
  size_t operator()(const concord::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.value());
  }
};
