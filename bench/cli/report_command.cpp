// report_command.cpp: see report_command.hpp.
#include "bench/cli/report_command.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench/cli/input_files.hpp"
#include "bench/runner/runner.hpp"
#include "core/config.hpp"

extern char** environ;

namespace actorlab::bench {
namespace {

constexpr const char* kProgram = "actorlab report";
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with python3-matplotlib (scripts/setup)
constexpr std::size_t kMaxResultBytes = std::size_t{256} << 20;

// The result set must be JSON with a context object and a benchmarks list.
void check_result(const std::string& path) {
  const std::string text = read_input_file(path, "RESULT", kMaxResultBytes, "a result JSON file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw core::ConfigError(fmt::format("RESULT '{}': not JSON: {}", path, e.what()));
  }
  if (!j.is_object() || !j.contains("context") || !j["context"].is_object() || !j.contains("benchmarks") ||
      !j["benchmarks"].is_array())
    throw core::ConfigError(fmt::format("RESULT '{}': not a result set (give the JSON of `actorlab bench` or "
                                        "`actorlab suite`: a context object and a benchmarks list)",
                                        path));
}

// A trace must be a readable regular file that starts like Chrome trace JSON;
// the script parses it fully.
void check_trace(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw core::ConfigError(fmt::format("--trace: '{}' is not a file (give the file of `actorlab bench --trace`)", path));
  std::ifstream in(path);
  char first = 0;
  while (in.get(first) && std::isspace(static_cast<unsigned char>(first))) {
  }
  if (!in || (first != '{' && first != '['))
    throw core::ConfigError(fmt::format("--trace: '{}' is not a trace (Chrome trace event JSON)", path));
}

}  // namespace

std::string find_report_script(std::vector<std::string>& looked) {
  namespace fs = std::filesystem;
  auto holds = [&looked](const fs::path& dir) {
    const fs::path p = dir / "report.py";
    looked.push_back(p.string());
    std::error_code ec;
    return fs::is_regular_file(p, ec) && fs::is_regular_file(dir / "actorlab_plot.py", ec);
  };
  if (const char* env = std::getenv("ACTORLAB_SCRIPTS"); env != nullptr && *env != '\0')
    return holds(env) ? (fs::path(env) / "report.py").string() : std::string();
  std::error_code ec;
  fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (int up = 0; !ec && up <= 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    for (const fs::path& sub : {fs::path("scripts"), fs::path("share/actorlab/scripts")})
      if (holds(dir / sub)) return (dir / sub / "report.py").string();
    if (dir == dir.root_path()) break;
  }
#ifdef ACTORLAB_SOURCE_DIR
  if (holds(fs::path(ACTORLAB_SOURCE_DIR) / "scripts"))
    return (fs::path(ACTORLAB_SOURCE_DIR) / "scripts" / "report.py").string();
#endif
  return {};
}

CLI::App* add_report_command(CLI::App& app, ReportCli& cli) {
  CLI::App* report = app.add_subcommand(
      "report", "write one static HTML page (no network; opens from file://) of a result set: table, throughput, "
                "latency spectra and CDFs, counters side by side, and with --trace per-worker utilisation "
                "(docs/trace.md)");
  report->add_option("RESULT", cli.result_path, "result set (JSON) of `actorlab bench`, `suite` or `ablate`")
      ->required();
  report->add_option("--trace", cli.trace_path, "trace file of the same run (`--trace=FILE`)")->type_name("FILE");
  report->add_option("--out", cli.out_dir, "folder for index.html and its pictures (created)")
      ->required()
      ->type_name("DIR");
  return report;
}

int run_report_command(const ReportCli& cli) {
  std::string script;
  try {
    check_result(cli.result_path);
    if (!cli.trace_path.empty()) check_trace(cli.trace_path);
    check_output_path((std::filesystem::path(cli.out_dir) / "index.html").string(), "--out");
    std::vector<std::string> looked;
    script = find_report_script(looked);
    if (script.empty()) {
      std::string places;
      for (const auto& p : looked) places += "\n  " + p;
      throw core::ConfigError(
          "cannot find scripts/report.py with scripts/actorlab_plot.py beside it; set ACTORLAB_SCRIPTS to the "
          "folder holding them (looked in:" + places + ")");
    }
    if (access(kPython, X_OK) != 0)
      throw core::ConfigError(fmt::format("{} is missing: install python3 and python3-matplotlib (scripts/setup)",
                                          kPython));
  } catch (const core::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return kExitUsage;
  }
  std::vector<std::string> args = {kPython, script, cli.result_path, "--out", cli.out_dir};
  if (!cli.trace_path.empty()) args.insert(args.end(), {"--trace", cli.trace_path});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = 0;
  if (const int rc = posix_spawn(&pid, kPython, nullptr, nullptr, argv.data(), environ); rc != 0) {
    std::fprintf(stderr, "%s: cannot run %s: %s\n", kProgram, kPython, std::strerror(rc));
    return kExitFailed;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "%s: waiting for %s: %s\n", kProgram, script.c_str(), std::strerror(errno));
      return kExitFailed;
    }
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == kExitUsage))
    return WEXITSTATUS(status);
  std::fprintf(stderr, "%s: %s failed (status %d)\n", kProgram, script.c_str(), status);
  return kExitFailed;
}

}  // namespace actorlab::bench
