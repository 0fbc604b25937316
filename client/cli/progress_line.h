// ProgressLine: a one-line progress display on stderr for long commands
// (export, import): "position P/HEAD  N events  R events/s", redrawn in
// place at most every 250 ms, only when enabled (stderr is a terminal, or
// --progress).
#ifndef EVSTORE_CLIENT_CLI_PROGRESS_LINE_H_
#define EVSTORE_CLIENT_CLI_PROGRESS_LINE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace evstore::cli {

// Whether progress is shown: --progress, or stderr is a terminal.
bool ProgressWanted(bool flag_given);

// Not thread-safe.
class ProgressLine {
 public:
  // `label` starts the line, e.g. "export".
  ProgressLine(bool enabled, absl::string_view label);

  // Reports that `events` events are done, the last at `position` of
  // `head` (0: unknown). Redraws when 250 ms passed since the last redraw.
  void Update(std::uint64_t position, std::uint64_t head, std::uint64_t events);
  // Draws the final state and ends the line.
  void Finish(std::uint64_t position, std::uint64_t head, std::uint64_t events);

 private:
  void Draw(std::uint64_t position, std::uint64_t head, std::uint64_t events,
            absl::string_view end);

  const bool enabled_;
  const std::string label_;
  const absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
};

}  // namespace evstore::cli

#endif  // EVSTORE_CLIENT_CLI_PROGRESS_LINE_H_
