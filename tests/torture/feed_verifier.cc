#include "tests/torture/feed_verifier.h"

#include <algorithm>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "tests/torture/request_factory.h"

namespace evstore::torture {
namespace {

// The feed as read back; index i holds position i + 1.
struct FeedEntry {
  std::string id;
  std::string stream;
  uint64_t revision = 0;
};

struct Feed {
  std::vector<FeedEntry> entries;
  absl::flat_hash_map<std::string, uint64_t> position_of;
};

class Checker {
 public:
  Checker(const client::Client& client, int customer,
          const VerifyOptions& options, std::mt19937_64& rng,
          CustomerModel& model, FeedSubscriber& subscriber,
          std::vector<std::string>* violations)
      : client_(client),
        name_(CustomerName(customer)),
        options_(options),
        rng_(rng),
        model_(model),
        subscriber_(subscriber),
        violations_(violations) {}

  VerifyCounts Run() {
    absl::Time phase_start = absl::Now();
    // Adds the time since the previous phase ended to `phase`.
    auto timed = [&](absl::Duration& phase) {
      const absl::Time now = absl::Now();
      phase += now - phase_start;
      phase_start = now;
    };
    const bool read = ReadFeed();
    timed(counts_.read_time);
    if (!read) {
      SummarizeViolations();
      return counts_;
    }
    CheckStreamRevisions();
    CheckAckedEventsInFeed();
    std::vector<SentAppend> unknown = model_.TakeUnknown();
    CheckFeedEventsAreKnown(unknown);
    timed(counts_.check_time);
    CheckGetEvents();
    timed(counts_.get_events_time);
    for (SentAppend& sent : unknown) ResolveUnknown(sent);
    CheckAckedRetries();
    timed(counts_.retry_time);
    CheckSubscriber();
    timed(counts_.subscriber_time);
    counts_.feed_head = feed_.entries.size();
    SummarizeViolations();
    return counts_;
  }

 private:
  // Reports the first few violations of each kind in full and the number of
  // the others at the end, so that a broken store gives a readable diagnosis.
  void Violation(std::string text) {
    const std::string kind = text.substr(0, text.find(':'));
    if (++violations_by_kind_[kind] <= kDetailedPerKind) {
      violations_->push_back(std::move(text));
    }
  }

  void SummarizeViolations() {
    for (const auto& [kind, count] : violations_by_kind_) {
      if (count > kDetailedPerKind) {
        violations_->push_back(absl::StrCat(
            kind, ": ", count - kDetailedPerKind, " more like the above"));
      }
    }
  }

  // Reads the feed in pages, each its own call: the client's deadline covers
  // a whole Read, and the feed grows with every cycle.
  bool ReadFeed() {
    constexpr uint64_t kPageEvents = 50'000;
    for (;;) {
      const uint64_t before = feed_.entries.size();
      v1::ReadRequest request;
      request.set_customer(name_);
      request.set_start(before + 1);
      request.set_direction(v1::READ_DIRECTION_FORWARDS);
      request.set_max_count(kPageEvents);
      request.set_include_data(false);
      bool dense = true;
      absl::Status read =
          client_.Read(request, [&](const v1::RecordedEvent& e) {
            dense = TakeFeedEvent(e);
            return dense;
          });
      if (!read.ok()) {
        Violation(absl::StrCat("READ FAILED: from position ", before + 1, ": ",
                               read.ToString()));
        return false;
      }
      if (!dense) return false;
      if (feed_.entries.size() - before < kPageEvents) return true;
    }
  }

  // Adds the next event of the feed; false when it is not the next position.
  bool TakeFeedEvent(const v1::RecordedEvent& e) {
    const uint64_t expected = feed_.entries.size() + 1;
    if (e.position() != expected) {
      Violation(absl::StrCat("FEED GAP: position ", expected,
                             " expected, the feed has ", e.position(), " (id ",
                             e.id(), ") there"));
      return false;
    }
    if (e.customer() != name_) {
      Violation(absl::StrCat("WRONG CUSTOMER: position ", e.position(),
                             " carries customer ", e.customer()));
    }
    auto [it, inserted] = feed_.position_of.try_emplace(e.id(), expected);
    if (!inserted) {
      ++counts_.duplicated;
      Violation(absl::StrCat("DUPLICATED: id ", e.id(), " at positions ",
                             it->second, " and ", expected));
    }
    feed_.entries.push_back(FeedEntry{e.id(), e.stream(), e.revision()});
    return true;
  }

  void CheckStreamRevisions() {
    absl::flat_hash_map<std::string, uint64_t> revisions;
    for (size_t i = 0; i < feed_.entries.size(); ++i) {
      const FeedEntry& entry = feed_.entries[i];
      const uint64_t expected = ++revisions[entry.stream];
      if (entry.revision != expected) {
        Violation(absl::StrCat("STREAM GAP: stream ", entry.stream,
                               " at position ", i + 1, " (id ", entry.id,
                               ") has revision ", entry.revision, ", expected ",
                               expected));
        revisions[entry.stream] = entry.revision;
      }
    }
  }

  void CheckAckedEventsInFeed() {
    std::vector<std::pair<uint64_t, std::string>> lost;  // position, id
    for (const auto& [id, fact] : model_.acked_events()) {
      ++counts_.events_verified;
      auto it = feed_.position_of.find(id);
      if (it == feed_.position_of.end()) {
        lost.emplace_back(fact.position, id);
        continue;
      }
      const FeedEntry& entry = feed_.entries[it->second - 1];
      if (it->second != fact.position || entry.stream != fact.stream ||
          entry.revision != fact.revision) {
        Violation(absl::StrCat(
            "MOVED: acknowledged id ", id, " at position ", fact.position,
            " stream ", fact.stream, " revision ", fact.revision,
            " is in the feed at position ", it->second, " stream ",
            entry.stream, " revision ", entry.revision));
      }
    }
    if (lost.empty()) return;
    std::sort(lost.begin(), lost.end());
    counts_.lost += lost.size();
    violations_->push_back(absl::StrCat(
        "LOST: ", lost.size(), " of ", model_.acked_events().size(),
        " acknowledged events are not in the feed (acknowledged positions ",
        lost.front().first, "..", lost.back().first, "; the feed's head is ",
        feed_.entries.size(), ")"));
    for (const auto& [position, id] : lost) {
      const EventFact& fact = model_.acked_events().at(id);
      Violation(absl::StrCat("LOST: acknowledged id ", id, " (position ",
                             position, ", stream ", fact.stream, " revision ",
                             fact.revision, ") is not in the feed"));
    }
  }

  void CheckFeedEventsAreKnown(const std::vector<SentAppend>& unknown) {
    absl::flat_hash_set<std::string> unknown_ids;
    for (const SentAppend& sent : unknown) {
      for (const v1::StreamWrite& write : sent.request.writes()) {
        for (const v1::ProposedEvent& event : write.events()) {
          unknown_ids.insert(event.id());
        }
      }
    }
    for (size_t i = 0; i < feed_.entries.size(); ++i) {
      const std::string& id = feed_.entries[i].id;
      if (model_.acked_events().contains(id) || unknown_ids.contains(id)) {
        continue;
      }
      Violation(absl::StrCat(model_.IsConflicted(id)
                                 ? "CONFLICT WROTE: the rejected append's id "
                                 : "PHANTOM: unknown id ",
                             id, " is in the feed at position ", i + 1));
    }
  }

  void CheckGetEvents() {
    const std::vector<std::string>& ids = model_.acked_ids();
    std::vector<std::string> sample;
    const size_t want = static_cast<size_t>(options_.get_sample);
    if (want == 0 || ids.size() <= 2 * want) {
      sample = ids;
    } else {
      sample.assign(ids.end() - static_cast<std::ptrdiff_t>(want), ids.end());
      std::uniform_int_distribution<size_t> pick(0, ids.size() - want - 1);
      for (size_t i = 0; i < want; ++i) sample.push_back(ids[pick(rng_)]);
    }
    constexpr size_t kChunk = 2000;
    for (size_t begin = 0; begin < sample.size(); begin += kChunk) {
      v1::GetEventsRequest request;
      request.set_customer(name_);
      request.set_include_data(false);
      for (size_t i = begin; i < std::min(sample.size(), begin + kChunk); ++i) {
        request.add_ids(sample[i]);
      }
      absl::StatusOr<v1::GetEventsResponse> got = client_.GetEvents(request);
      if (!got.ok()) {
        Violation(absl::StrCat("GETEVENTS FAILED: ", got.status().ToString()));
        return;
      }
      CheckGetEventsByPosition(request);
      for (const std::string& id : got->missing_ids()) {
        Violation(absl::StrCat(
            "GETEVENTS MISSING: acknowledged id ", id, " (position ",
            model_.acked_events().at(id).position, ") is missing"));
      }
      for (const v1::RecordedEvent& event : got->events()) {
        ++counts_.get_events_checked;
        auto it = model_.acked_events().find(event.id());
        if (it == model_.acked_events().end()) {
          Violation(
              absl::StrCat("GETEVENTS: returned unasked id ", event.id()));
          continue;
        }
        const EventFact& fact = it->second;
        if (event.position() != fact.position ||
            event.stream() != fact.stream ||
            event.revision() != fact.revision) {
          Violation(absl::StrCat("GETEVENTS: id ", event.id(), " at position ",
                                 event.position(), " revision ",
                                 event.revision(), ", acknowledged at ",
                                 fact.position, " revision ", fact.revision));
        }
      }
    }
  }

  // Fetches the positions of the ids in `by_id` (and one past the head,
  // which must be missing) and checks that each holds its id.
  void CheckGetEventsByPosition(const v1::GetEventsRequest& by_id) {
    v1::GetEventsRequest request;
    request.set_customer(name_);
    request.set_include_data(false);
    for (const std::string& id : by_id.ids()) {
      request.add_positions(model_.acked_events().at(id).position);
    }
    const uint64_t past_head = feed_.entries.size() + 1;
    request.add_positions(past_head);
    absl::StatusOr<v1::GetEventsResponse> got = client_.GetEvents(request);
    if (!got.ok()) {
      Violation(absl::StrCat("GETEVENTS FAILED: by position: ",
                             got.status().ToString()));
      return;
    }
    bool past_head_missing = false;
    for (uint64_t position : got->missing_positions()) {
      if (position == past_head) {
        past_head_missing = true;
        continue;
      }
      Violation(absl::StrCat("GETEVENTS MISSING: acknowledged position ",
                             position, " is missing"));
    }
    if (!past_head_missing) {
      Violation(absl::StrCat("GETEVENTS BEYOND HEAD: position ", past_head,
                             " (the head is ", past_head - 1,
                             ") is not reported missing"));
    }
    for (const v1::RecordedEvent& event : got->events()) {
      ++counts_.get_events_checked;
      if (event.position() == 0 || event.position() >= past_head ||
          feed_.entries[event.position() - 1].id != event.id()) {
        Violation(absl::StrCat("GETEVENTS: position ", event.position(),
                               " returned id ", event.id(),
                               " which the feed does not have there"));
      }
    }
  }

  // Checks that `sent` is in the feed completely or not at all; returns the
  // position of its first event, or 0 when it is absent.
  uint64_t AppliedAt(const SentAppend& sent) {
    std::vector<uint64_t> positions;
    int missing = 0;
    for (const v1::StreamWrite& write : sent.request.writes()) {
      for (const v1::ProposedEvent& event : write.events()) {
        auto it = feed_.position_of.find(event.id());
        if (it == feed_.position_of.end()) {
          ++missing;
        } else {
          positions.push_back(it->second);
        }
      }
    }
    if (positions.empty()) return 0;
    const std::string what = absl::StrCat(
        "unknown-outcome ", ChannelName(sent.channel), " append of cycle ",
        sent.cycle, " (first id ", sent.request.writes(0).events(0).id(), ")");
    if (missing > 0) {
      Violation(absl::StrCat("PARTIAL: ", what, " has ", positions.size(),
                             " of its events in the feed (first at position ",
                             positions.front(), "), ", missing, " missing"));
      return positions.front();
    }
    size_t k = 0;
    for (const v1::StreamWrite& write : sent.request.writes()) {
      uint64_t first_revision = 0;
      for (int e = 0; e < write.events_size(); ++e, ++k) {
        const uint64_t position = positions[k];
        const FeedEntry& entry = feed_.entries[position - 1];
        if (e == 0) first_revision = entry.revision;
        if (position != positions.front() + k ||
            entry.stream != write.stream() ||
            entry.revision != first_revision + static_cast<uint64_t>(e)) {
          Violation(absl::StrCat("TORN: ", what, ": event ", k,
                                 " is at position ", position, " stream ",
                                 entry.stream, " revision ", entry.revision,
                                 ", not next to the append's other events"));
          return positions.front();
        }
      }
    }
    return positions.front();
  }

  absl::StatusOr<v1::AppendResponse> AppendWithRetries(
      const v1::AppendRequest& request) {
    absl::StatusOr<v1::AppendResponse> result;
    for (int attempt = 0; attempt < 3; ++attempt) {
      result = client_.Append(request);
      if (result.ok() || !IsTransportFailure(result.status())) break;
    }
    return result;
  }

  void ResolveUnknown(const SentAppend& sent) {
    ++counts_.unknown_resolved;
    const uint64_t applied_at = AppliedAt(sent);
    absl::StatusOr<v1::AppendResponse> retried =
        AppendWithRetries(sent.request);
    ++counts_.retries_checked;
    const std::string what =
        absl::StrCat("UNKNOWN RETRY: unknown-outcome ",
                     ChannelName(sent.channel), " append of cycle ", sent.cycle,
                     " (first id ", sent.request.writes(0).events(0).id(), ", ",
                     EventCount(sent.request), " events)");
    if (!retried.ok()) {
      if (absl::IsFailedPrecondition(retried.status()) && applied_at == 0) {
        ++counts_.unknown_conflicts;
        model_.RecordConflict(sent.request);
        return;
      }
      Violation(absl::StrCat(what, " failed: ", retried.status().ToString(),
                             applied_at == 0
                                 ? " (it was not applied)"
                                 : absl::StrCat(" (it was applied at position ",
                                                applied_at, ")")));
      return;
    }
    if (applied_at != 0) {
      ++counts_.unknown_applied;
      if (!retried->duplicate() || retried->first_position() != applied_at) {
        if (!retried->duplicate()) ++counts_.duplicated;
        Violation(absl::StrCat(what, ": applied at position ", applied_at,
                               " before the crash, the retry answered ",
                               retried->ShortDebugString(),
                               " instead of the original result"));
        return;
      }
    } else {
      ++counts_.unknown_retried_fresh;
      if (retried->duplicate() ||
          retried->first_position() != feed_.entries.size() + 1) {
        Violation(absl::StrCat(what, ": absent from the feed (head ",
                               feed_.entries.size(), "), the retry answered ",
                               retried->ShortDebugString()));
        return;
      }
      // The verifier is the only writer now: the fresh events extend the
      // feed, which the subscriber check relies on.
      uint64_t position = retried->first_position();
      for (int w = 0; w < sent.request.writes_size(); ++w) {
        const v1::StreamWrite& write = sent.request.writes(w);
        uint64_t revision = retried->streams(w).first_revision();
        for (const v1::ProposedEvent& event : write.events()) {
          feed_.position_of.emplace(event.id(), position++);
          feed_.entries.push_back(
              FeedEntry{event.id(), write.stream(), revision++});
        }
      }
    }
    model_.RecordAck(sent.request, *retried, violations_);
  }

  void CheckAckedRetries() {
    const std::vector<AckedAppend>& acked = model_.acked();
    if (acked.empty()) return;
    std::vector<size_t> chosen;
    const size_t want = static_cast<size_t>(options_.retry_sample);
    if (want == 0 || acked.size() <= want) {
      for (size_t i = 0; i < acked.size(); ++i) chosen.push_back(i);
    } else {
      std::uniform_int_distribution<size_t> pick(0, acked.size() - 1);
      for (size_t i = 0; i < want; ++i) chosen.push_back(pick(rng_));
    }
    std::unique_ptr<client::AppendSession> session =
        client_.OpenAppendSession();
    std::vector<std::future<absl::StatusOr<v1::AppendResponse>>> replies;
    replies.reserve(chosen.size());
    for (size_t index : chosen) {
      replies.push_back(session->Append(acked[index].request));
    }
    for (size_t k = 0; k < chosen.size(); ++k) {
      const AckedAppend& original = acked[chosen[k]];
      absl::StatusOr<v1::AppendResponse> reply = replies[k].get();
      ++counts_.retries_checked;
      const std::string what = absl::StrCat(
          "acknowledged append (first id ",
          original.request.writes(0).events(0).id(), ", original positions ",
          original.response.first_position(), "..",
          original.response.last_position(), ")");
      if (!reply.ok()) {
        Violation(absl::StrCat("RETRY FAILED: ", what,
                               " failed: ", reply.status().ToString()));
        continue;
      }
      bool same =
          reply->duplicate() &&
          reply->first_position() == original.response.first_position() &&
          reply->last_position() == original.response.last_position() &&
          reply->streams_size() == original.response.streams_size();
      for (int s = 0; same && s < reply->streams_size(); ++s) {
        const v1::StreamAppendResult& a = reply->streams(s);
        const v1::StreamAppendResult& b = original.response.streams(s);
        same = a.stream() == b.stream() &&
               a.first_revision() == b.first_revision() &&
               a.last_revision() == b.last_revision();
      }
      if (same) continue;
      if (reply->duplicate()) {
        Violation(absl::StrCat("RETRY RESULT: ", what, " answered ",
                               reply->ShortDebugString()));
      } else if (feed_.position_of.contains(
                     original.request.writes(0).events(0).id())) {
        ++counts_.duplicated;
        Violation(absl::StrCat("APPLIED TWICE: ", what, " was appended again: ",
                               reply->ShortDebugString()));
      } else {
        Violation(absl::StrCat("RE-APPLIED: ", what,
                               " was lost, the retry appended it anew: ",
                               reply->ShortDebugString()));
      }
    }
    (void)session->Close(absl::Seconds(30));  // every reply is already in
  }

  void CheckSubscriber() {
    const uint64_t head = feed_.entries.size();
    if (!subscriber_.WaitForPosition(head, options_.subscriber_timeout)) {
      Violation(absl::StrCat(
          "SUBSCRIBER: stuck at position ", subscriber_.last_position(),
          " of head ", head,
          " (its stream: ", subscriber_.end_status().ToString(), ")"));
    }
    // The server is up and idle: a live subscription has no reason to end.
    if (absl::Status ended = subscriber_.end_status(); !ended.ok()) {
      Violation(absl::StrCat(
          "SUBSCRIBER: subscription ended while the server was up: ",
          ended.ToString()));
    }
    for (std::string& text : subscriber_.violations()) {
      Violation(std::move(text));
    }
    counts_.duplicated += subscriber_.repeated_deliveries();
    const std::vector<std::string> delivered = subscriber_.delivered();
    if (delivered.size() > head) {
      Violation(absl::StrCat("SUBSCRIBER: delivered position ",
                             delivered.size(), " beyond the head ", head));
    }
    for (size_t i = 0; i < std::min<size_t>(delivered.size(), head); ++i) {
      if (delivered[i] != feed_.entries[i].id) {
        Violation(absl::StrCat("SUBSCRIBER: got id ", delivered[i],
                               " at position ", i + 1, ", the feed has ",
                               feed_.entries[i].id));
        break;
      }
    }
  }

  const client::Client& client_;
  const std::string name_;
  const VerifyOptions& options_;
  std::mt19937_64& rng_;
  CustomerModel& model_;
  FeedSubscriber& subscriber_;
  std::vector<std::string>* violations_;
  Feed feed_;
  VerifyCounts counts_;
  static constexpr int kDetailedPerKind = 5;
  std::map<std::string, int> violations_by_kind_;
};

}  // namespace

VerifyCounts VerifyCustomer(const client::Client& client, int customer,
                            const VerifyOptions& options, std::mt19937_64& rng,
                            CustomerModel& model, FeedSubscriber& subscriber,
                            std::vector<std::string>* violations) {
  return Checker(client, customer, options, rng, model, subscriber, violations)
      .Run();
}

}  // namespace evstore::torture
