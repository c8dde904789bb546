// bench_cli.cpp: see bench_cli.hpp.
#include "bench/cli/bench_cli.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "core/config.hpp"  // parse_unsigned, ConfigError
#include "sched/knobs.hpp"

namespace actorlab::bench {

void add_knob(CLI::App& app, BenchFlags& flags, const std::string& key, const std::string& help,
              const std::string& default_text, const std::string& group) {
  app.add_option_function<std::string>(
         "--" + key, [&flags, key](const std::string& v) { set_flag(flags, key, v); }, help)
      ->default_str(default_text)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)  // a later flag wins (scripts/bench "$@")
      ->type_name("")
      ->group(group);
}

void add_bench_setting(CLI::App& app, BenchFlags& flags, const std::string& key) {
  for (const auto& s : bench_settings())
    if (key == s.name) return add_knob(app, flags, key, s.help, s.default_text);
  throw std::logic_error("add_bench_setting: no setting " + key);
}

void add_runtime_knobs(CLI::App& app, BenchFlags& flags) {
  for (const auto& k : sched::knobs()) {
    const char* group = k.scope == sched::KnobScope::kNet       ? "Network knobs"
                        : k.scope == sched::KnobScope::kProcess ? "Process knob"
                                                                : "Runtime knobs (preset, parts, queues)";
    std::string help = k.help + "; " + sched::allowed_text(k);
    if (!k.applies_to.empty()) help += " (applies to: " + k.applies_to + ")";
    add_knob(app, flags, k.name, help, sched::default_text(k), group);
  }
}

CLI::Validator finite_number(double min, double max, bool zero_ok) {
  const std::string allowed = fmt::format("{}a finite number in [{}, {}]", zero_ok ? "0 or " : "", min, max);
  return CLI::Validator(
      [min, max, zero_ok, allowed](std::string& text) -> std::string {
        double v = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        const bool parsed = !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
        if (parsed && std::isfinite(v) && ((v >= min && v <= max) || (zero_ok && v == 0))) return {};
        return fmt::format("'{}' is not valid; valid: {}", text, allowed);
      },
      allowed);
}

CLI::Validator whole_number(uint64_t min, uint64_t max) {
  const std::string allowed = fmt::format("a whole number in [{}, {}]", min, max);
  return CLI::Validator(
      [min, max, allowed](std::string& text) -> std::string {
        try {
          (void)core::parse_unsigned(text, min, max, "");  // the knobs' parser: digits only, in range
          return {};
        } catch (const core::ConfigError&) {
          return fmt::format("'{}' is not valid; valid: {}", text, allowed);
        }
      },
      allowed);
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](std::string& text) -> std::string { return text.empty() ? "empty value; give a value" : std::string(); },
      "not empty");
}

int exit_status(const CLI::App& app, const CLI::ParseError& e) {
  const int code = app.exit(e);  // prints the help or the message
  return code == 0 ? 0 : 2;
}

}  // namespace actorlab::bench
