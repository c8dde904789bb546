// input_files.hpp: the files a user names on the command line, checked
// before anything runs: an input (suite file, --config) must be a
// regular file of bounded size, so a directory or /dev/zero is an error, not
// an abort or an endless read; an output path (--out) must be writable, so a
// run's results are never lost to a bad path after the run. Neither check
// creates the output file (a failed command leaves no partial file); the
// output's directory is created when missing, as the writer would.
// Threads: main thread, start-up only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace actorlab::bench {

constexpr std::size_t kMaxInputFileBytes = 1u << 20;

// The file's text; throws core::ConfigError "WHAT 'PATH': why" (a
// directory or device: "give EXPECTED").
std::string read_input_file(const std::string& path, std::string_view what,
                            std::size_t max_bytes = kMaxInputFileBytes, std::string_view expected = "a TOML file");

// Throws core::ConfigError "FLAG: 'PATH' ..." unless a file can be written at
// `path` (not a directory; its directory exists or can be created, and is
// writable; an existing file is writable).
void check_output_path(const std::string& path, std::string_view flag);

}  // namespace actorlab::bench
