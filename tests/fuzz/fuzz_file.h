#pragma once
// For fuzz targets whose entry point reads a file: each process writes its inputs to a file
// of its own in a private temporary directory, removed when the process exits normally (a crash
// leaves it, which is harmless: it is under the system's temporary directory).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace concord::fuzz {

class ScratchDir {
 public:
  ScratchDir()
      : root_(std::filesystem::temp_directory_path() /
              ("concord-fuzz-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(root_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  const std::filesystem::path& root() const { return root_; }

  // Replaces `name` in the directory with exactly `size` bytes of `data`; returns its path.
  std::filesystem::path Write(const std::string& name, const uint8_t* data, size_t size) const {
    auto file = root_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return file;
  }

 private:
  std::filesystem::path root_;
};

}  // namespace concord::fuzz
