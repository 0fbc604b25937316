#include "relay/dead_letter_redrive.h"

#include <curl/curl.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "evstore/v1/evstore.pb.h"
#include "relay/backoff.h"
#include "relay/dead_letter_claim.h"
#include "relay/dead_letter_file.h"

namespace evstore::relay {
namespace {

// The records of `files`, in order, each id once: a later record with the
// same id (appended back by a redrive that then died) replaces the earlier
// one in its place, keeping the higher attempts and the newer error.
absl::StatusOr<std::vector<DeadLetterRecord>> ReadUnique(
    const std::vector<std::string>& files, std::size_t& duplicates) {
  std::vector<DeadLetterRecord> records;
  absl::flat_hash_map<std::string, std::size_t> index_of_id;
  for (const std::string& file : files) {
    absl::StatusOr<std::vector<DeadLetterRecord>> read =
        ReadDeadLetterRecords(file);
    if (!read.ok()) return read.status();
    for (DeadLetterRecord& record : *read) {
      const auto [it, added] =
          index_of_id.try_emplace(record.summary.id, records.size());
      if (added) {
        records.push_back(std::move(record));
      } else {
        ++duplicates;
        records[it->second] = std::move(record);
      }
    }
  }
  return records;
}

// POSTs `record` until it is delivered, refused or out of attempts; updates
// its attempts and last error. Returns whether it was delivered.
bool Repost(const RedriveOptions& options, WebhookRequest& request,
            DeadLetterRecord& record) {
  for (int attempt = 1;; ++attempt) {
    request.Prepare(options.target, record.cloud_event_json);
    const WebhookAttempt result =
        request.Finish(curl_easy_perform(request.handle()));
    ++record.summary.attempts;
    if (result.delivered()) return true;
    record.summary.last_error = result.error;
    if (!result.retryable() || attempt >= options.max_attempts) return false;
    absl::SleepFor(BackoffWithJitter(attempt, options.initial_backoff,
                                     options.max_backoff));
  }
}

absl::Status AppendBack(const DeadLetterFile& live,
                        const DeadLetterRecord& record) {
  v1::RecordedEvent event;
  event.set_customer(record.summary.customer);
  event.set_position(record.summary.position);
  event.set_id(record.summary.id);
  event.set_stream(record.summary.stream);
  return live.Append(event,
                     {.sink = record.summary.sink,
                      .attempts = static_cast<int>(record.summary.attempts),
                      .last_error = record.summary.last_error,
                      .cloud_event_json = record.cloud_event_json});
}

bool OfThisSink(const RedriveOptions& options, const DeadLetterRecord& record) {
  return record.summary.customer == options.customer &&
         record.summary.sink == options.sink_name;
}

absl::StatusOr<RedriveTotals> DryRun(
    const RedriveOptions& options,
    const std::function<void(const RedriveResult&)>& on_result) {
  absl::StatusOr<std::vector<std::string>> files =
      RedriveFiles(options.dead_letter_file);
  if (!files.ok()) return files.status();
  files->push_back(options.dead_letter_file);
  RedriveTotals totals;
  absl::StatusOr<std::vector<DeadLetterRecord>> records =
      ReadUnique(*files, totals.duplicates);
  if (!records.ok()) return records.status();
  for (const DeadLetterRecord& record : *records) {
    const bool ours = OfThisSink(options, record);
    ++(ours ? totals.would_repost : totals.remaining);
    on_result({.record = record.summary,
               .outcome = ours ? RedriveResult::Outcome::kWouldRepost
                               : RedriveResult::Outcome::kOtherSink});
  }
  return totals;
}

}  // namespace

absl::StatusOr<RedriveTotals> RedriveDeadLetters(
    const RedriveOptions& options,
    const std::function<void(const RedriveResult&)>& on_result) {
  if (options.dry_run) return DryRun(options, on_result);
  absl::StatusOr<std::unique_ptr<WebhookRequest>> request =
      WebhookRequest::Create();
  if (!request.ok()) return request.status();
  absl::StatusOr<std::unique_ptr<DeadLetterClaim>> claim =
      DeadLetterClaim::Take(options.dead_letter_file);
  if (!claim.ok()) return claim.status();
  RedriveTotals totals;
  absl::StatusOr<std::vector<DeadLetterRecord>> records =
      ReadUnique((*claim)->files(), totals.duplicates);
  if (!records.ok()) return records.status();

  const DeadLetterFile live(options.dead_letter_file);
  for (DeadLetterRecord& record : *records) {
    RedriveResult::Outcome outcome = RedriveResult::Outcome::kOtherSink;
    if (OfThisSink(options, record)) {
      outcome = Repost(options, **request, record)
                    ? RedriveResult::Outcome::kDelivered
                    : RedriveResult::Outcome::kFailed;
    }
    if (outcome == RedriveResult::Outcome::kDelivered) {
      ++totals.delivered;
    } else {
      if (absl::Status appended = AppendBack(live, record); !appended.ok()) {
        return appended;
      }
      ++totals.remaining;
    }
    on_result({.record = record.summary, .outcome = outcome});
  }
  // Every record is delivered or back in the live file.
  if (absl::Status removed = (*claim)->Remove(); !removed.ok()) return removed;
  return totals;
}

}  // namespace evstore::relay
