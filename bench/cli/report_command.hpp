// report_command.hpp: `actorlab report RESULT.json [--trace FILE] --out=DIR`:
// one static HTML page (DIR/index.html, SVG plots beside it; no network,
// works from file://) that says why a configuration won: the result table,
// throughput bars, latency spectra and CDFs, the counters side by side with
// the differences that stand out, and with a trace the per-worker
// utilisation strips. The page is drawn by scripts/report.py (the plotting
// code of scripts/plot), which this command finds and runs with Debian's
// /usr/bin/python3 after checking every input itself. Exit 0 written, 2 a
// missing or malformed input, a bad --out or no report script (the message
// names which), 1 the script failed. Threads: main thread.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace actorlab::bench {

struct ReportCli {
  std::string result_path;
  std::string trace_path;
  std::string out_dir;
};

CLI::App* add_report_command(CLI::App& app, ReportCli& cli);
int run_report_command(const ReportCli& cli);

// Where scripts/report.py is: $ACTORLAB_SCRIPTS if set, else scripts/ (or
// share/actorlab/scripts/) in the program's folder or up to four folders
// above it, else the source tree this program was built from. Empty when
// none holds it; `looked` gets the places tried.
std::string find_report_script(std::vector<std::string>& looked);

}  // namespace actorlab::bench
