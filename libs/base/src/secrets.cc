#include "concord/base/secrets.h"

#include <sodium.h>

#include <array>
#include <mutex>

namespace concord {
namespace {

std::array<unsigned char, crypto_generichash_KEYBYTES> g_digest_key;
std::once_flag g_init_once;
bool g_init_ok = false;

}  // namespace

Status InitSecrets() {
  std::call_once(g_init_once, [] {
    g_init_ok = sodium_init() >= 0;
    if (g_init_ok) randombytes_buf(g_digest_key.data(), g_digest_key.size());
  });
  if (!g_init_ok) return Internal("libsodium failed to initialize");
  return Ok();
}

Result<std::string> HashPassword(std::string_view password) {
  CONCORD_RETURN_IF_ERROR(InitSecrets());
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Internal("password hashing ran out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view password, std::string_view encoded_hash) {
  if (!InitSecrets()) return false;
  std::string hash(encoded_hash);  // crypto_pwhash_str_verify needs a NUL-terminated string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::string RandomPassword(size_t length) {
  (void)InitSecrets();
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    out.push_back(kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)]);
  }
  return out;
}

std::string Sha256Hex(std::string_view text) {
  (void)InitSecrets();
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string ProcessKeyedDigest(std::string_view text) {
  (void)InitSecrets();
  std::array<unsigned char, 32> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     g_digest_key.data(), g_digest_key.size());
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return hex;
}

}  // namespace concord
