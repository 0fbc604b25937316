#include "client/cli/progress_line.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace evstore::cli {

bool ProgressWanted(bool flag_given) {
  return flag_given || ::isatty(STDERR_FILENO) == 1;
}

ProgressLine::ProgressLine(bool enabled, absl::string_view label)
    : enabled_(enabled), label_(label), start_(absl::Now()) {}

void ProgressLine::Update(std::uint64_t position, std::uint64_t head,
                          std::uint64_t events) {
  if (!enabled_) return;
  const absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(250)) return;
  last_draw_ = now;
  Draw(position, head, events, "");
}

void ProgressLine::Finish(std::uint64_t position, std::uint64_t head,
                          std::uint64_t events) {
  if (!enabled_) return;
  Draw(position, head, events, "\n");
}

void ProgressLine::Draw(std::uint64_t position, std::uint64_t head,
                        std::uint64_t events, absl::string_view end) {
  const double seconds =
      std::max(absl::ToDoubleSeconds(absl::Now() - start_), 1e-3);
  std::string line = absl::StrCat("\r", label_, ": position ", position);
  if (head != 0) {
    absl::StrAppend(
        &line, "/", head,
        absl::StrFormat(" (%.1f%%)", 100.0 * static_cast<double>(position) /
                                         static_cast<double>(head)));
  }
  absl::StrAppend(&line, "  ", events, " events  ",
                  absl::StrFormat("%.0f events/s", events / seconds), "\x1b[K",
                  end);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace evstore::cli
