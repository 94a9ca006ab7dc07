#pragma once
// Passwords and secrets: Argon2id password hashes (libsodium's crypto_pwhash, the
// "interactive" cost: 64 MiB and about 170 ms per hash on the reference machine), random
// passwords, and a keyed digest for caching verified credentials without keeping them.
// All functions are thread-safe once InitSecrets() has returned.

#include <string>
#include <string_view>

#include "concord/base/error.h"

namespace concord {

// Initializes libsodium. Call once at start-up; returns kInternal if the library cannot start.
Status InitSecrets();

// An encoded "$argon2id$..." hash of `password` with a fresh random salt.
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `encoded_hash`. Constant-time in the password.
bool VerifyPassword(std::string_view password, std::string_view encoded_hash);

// A random password of `length` characters from an unambiguous alphabet.
std::string RandomPassword(size_t length = 24);

// SHA-256 of `text`, hex: the same everywhere (what a database keeps of a secret token).
std::string Sha256Hex(std::string_view text);

// A keyed BLAKE2b digest (hex) of `text` under a key drawn at process start: equal inputs map
// to equal digests within one process, and the digest reveals nothing usable outside it.
std::string ProcessKeyedDigest(std::string_view text);

}  // namespace concord
