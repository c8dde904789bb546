// input_files.cpp: see input_files.hpp.
#include "bench/cli/input_files.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/config.hpp"

namespace actorlab::bench {

std::string read_input_file(const std::string& path, std::string_view what, std::size_t max_bytes,
                            std::string_view expected) {
  if (path.empty()) throw core::ConfigError(fmt::format("{}: empty path", what));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw core::ConfigError(fmt::format("{} '{}': cannot open: {}", what, path, std::strerror(errno)));
  if (S_ISDIR(st.st_mode))
    throw core::ConfigError(fmt::format("{} '{}': is a directory; give {}", what, path, expected));
  if (!S_ISREG(st.st_mode))
    throw core::ConfigError(fmt::format("{} '{}': is not a regular file; give {}", what, path, expected));
  if (static_cast<std::size_t>(st.st_size) > max_bytes)
    throw core::ConfigError(
        fmt::format("{} '{}': is {} bytes; the limit is {} bytes", what, path, st.st_size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::ConfigError(fmt::format("{} '{}': cannot open: {}", what, path, std::strerror(errno)));
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes)  // grew since stat
    throw core::ConfigError(fmt::format("{} '{}': is larger than {} bytes", what, path, max_bytes));
  return text;
}

void check_output_path(const std::string& path, std::string_view flag) {
  namespace fs = std::filesystem;
  if (path.empty()) throw core::ConfigError(fmt::format("{}: empty path", flag));
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec))
    throw core::ConfigError(fmt::format("{}: '{}' is a directory; give a file path", flag, path));
  if (path.back() == '/')
    throw core::ConfigError(fmt::format("{}: '{}' names a directory; give a file path", flag, path));
  fs::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!fs::exists(dir, ec)) {
    if (!fs::create_directories(dir, ec) && ec)
      throw core::ConfigError(
          fmt::format("{}: cannot create the directory '{}': {}", flag, dir.string(), ec.message()));
  } else if (!fs::is_directory(dir, ec)) {
    throw core::ConfigError(fmt::format("{}: '{}' is not a directory", flag, dir.string()));
  }
  if (::access(dir.c_str(), W_OK) != 0)
    throw core::ConfigError(fmt::format("{}: cannot write in '{}': {}", flag, dir.string(), std::strerror(errno)));
  if (fs::exists(p, ec) && ::access(path.c_str(), W_OK) != 0)
    throw core::ConfigError(fmt::format("{}: cannot write '{}': {}", flag, path, std::strerror(errno)));
}

}  // namespace actorlab::bench
