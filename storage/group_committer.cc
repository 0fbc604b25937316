#include "storage/group_committer.h"

#include <pthread.h>
#include <rocksdb/write_batch.h>

#include <cassert>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace evstore {
namespace {

// What an append costs the queue's memory budget, approximately.
size_t AppendBytes(const AppendBatch& batch) {
  size_t bytes = 64 + batch.customer.size();
  for (const StreamWrite& write : batch.writes) {
    bytes += 64 + write.stream.size();
    for (const ProposedEvent& event : write.events) {
      bytes += 96 + event.data.size() + event.type.size() +
               event.content_type.size();
      for (const auto& [key, value] : event.metadata) {
        bytes += 32 + key.size() + value.size();
      }
    }
  }
  return bytes;
}

}  // namespace

GroupCommitter::GroupCommitter(const GroupCommitterOptions& options,
                               RocksHandles* rocks, AppendSequencer* sequencer,
                               PublishFn publish)
    : options_(options),
      rocks_(rocks),
      sequencer_(sequencer),
      publish_(std::move(publish)),
      disk_guard_(options.data_dir, options.disk_reserve_bytes) {
  commit_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "evstore-commit");
    CommitLoop();
  });
  sync_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "evstore-walsync");
    SyncLoop();
  });
}

GroupCommitter::~GroupCommitter() { Stop(); }

// Consecutive outcomes of one submission are delivered in one callback.
class GroupCommitter::OutcomeDelivery {
 public:
  OutcomeDelivery() = default;
  OutcomeDelivery(const OutcomeDelivery&) = delete;
  OutcomeDelivery& operator=(const OutcomeDelivery&) = delete;
  ~OutcomeDelivery() { Flush(); }

  void Add(const std::shared_ptr<Submission>& submission, size_t index,
           absl::StatusOr<AppendResult> result) {
    if (submission != submission_) {
      Flush();
      submission_ = submission;
    }
    outcomes_.push_back(IndexedAppendResult{index, std::move(result)});
  }

  // Delivers what has been added since the last Flush.
  void Flush() {
    if (submission_ != nullptr && !outcomes_.empty()) {
      submission_->done(std::move(outcomes_));
    }
    outcomes_ = {};
    submission_ = nullptr;
  }

 private:
  std::shared_ptr<Submission> submission_;
  std::vector<IndexedAppendResult> outcomes_;
};

void GroupCommitter::Enqueue(AppendBatch batch, AppendCallback done) {
  std::vector<AppendBatch> batches;
  batches.push_back(std::move(batch));
  EnqueueMany(std::move(batches),
              [done = std::move(done)](
                  std::vector<IndexedAppendResult> outcomes) mutable {
                done(std::move(outcomes.front().result));
              });
}

void GroupCommitter::EnqueueMany(std::vector<AppendBatch> batches,
                                 AppendManyCallback done) {
  if (batches.empty()) return;
  auto submission = std::make_shared<Submission>(Submission{std::move(done)});
  std::vector<size_t> bytes;
  bytes.reserve(batches.size());
  for (const AppendBatch& batch : batches) bytes.push_back(AppendBytes(batch));
  absl::Status rejection;
  size_t admitted = 0;
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      rejection = absl::UnavailableError(
          "evstored is shutting down; retry the append (with the same event "
          "ids) on another instance or after restart");
    } else if (!failure_.ok()) {
      rejection = absl::UnavailableError(absl::StrCat(
          "appends are stopped after a storage failure: ", failure_.message()));
    } else {
      for (; admitted < batches.size(); ++admitted) {
        const size_t append_bytes = bytes[admitted];
        if (queued_bytes_ > 0 &&
            queued_bytes_ + append_bytes > options_.max_queued_bytes) {
          rejection = absl::ResourceExhaustedError(absl::StrCat(
              "the append queue is full (", queued_bytes_,
              " bytes waiting to become durable); retry with backoff"));
          break;
        }
        queued_bytes_ += append_bytes;
        queue_.push_back(PendingAppend{std::move(batches[admitted]), submission,
                                       admitted, append_bytes});
      }
    }
  }
  if (admitted == batches.size()) return;
  std::vector<IndexedAppendResult> outcomes;
  outcomes.reserve(batches.size() - admitted);
  for (size_t i = admitted; i < batches.size(); ++i) {
    outcomes.push_back(IndexedAppendResult{i, rejection});
  }
  submission->done(std::move(outcomes));
}

absl::Status GroupCommitter::Health() const {
  MutexLock lock(&mu_);
  if (!failure_.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "appends are stopped after a storage failure: ", failure_.message()));
  }
  if (stopping_) return absl::UnavailableError("shutting down");
  if (disk_guard_.low()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "appends are refused: the data directory's disk is almost full (",
        disk_guard_.reserve_bytes(), " bytes are kept in reserve)"));
  }
  return absl::OkStatus();
}

void GroupCommitter::Stop() {
  MutexLock stop_lock(&stop_mu_);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (commit_thread_.joinable()) commit_thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
}

void GroupCommitter::FailStop(const absl::Status& cause) {
  MutexLock lock(&mu_);
  if (failure_.ok()) failure_ = cause;
}

int64_t GroupCommitter::NextRecordedAt() {
  const int64_t now = absl::GetCurrentTimeNanos() / 1000;
  if (now > last_recorded_at_) last_recorded_at_ = now;
  return last_recorded_at_;
}

void GroupCommitter::CommitLoop() {
  for (;;) {
    std::vector<PendingAppend> pending;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](GroupCommitter* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->queue_.empty() || self->stopping_;
          },
          this));
      if (queue_.empty()) {
        commit_done_ = true;  // stopping_ and drained
        return;
      }
      size_t group_bytes = 0;
      // Removals (DeleteStream, segment drops) get a group of their own: they
      // read what earlier groups wrote and must not meet a later append's
      // records in the same batch.
      const auto alone = [](const PendingAppend& p) {
        return p.batch.kind == AppendBatch::Kind::kDeleteStream ||
               p.batch.kind == AppendBatch::Kind::kDropSegment;
      };
      while (
          !queue_.empty() &&
          (pending.empty() ||
           (!alone(pending.front()) && !alone(queue_.front()) &&
            group_bytes + queue_.front().bytes <= options_.max_group_bytes))) {
        group_bytes += queue_.front().bytes;
        pending.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    WriteGroup(std::move(pending));
  }
}

void GroupCommitter::WriteGroup(std::vector<PendingAppend> pending) {
  Group group;
  group.entries.reserve(pending.size());
  absl::Status failure;
  {
    MutexLock lock(&mu_);
    failure = failure_;
  }
  if (!failure.ok()) {
    Reject(pending, absl::UnavailableError(absl::StrCat(
                        "appends are stopped after a storage failure: ",
                        failure.message())));
    return;
  }
  uint64_t group_bytes = 0;
  for (const PendingAppend& p : pending) group_bytes += p.bytes;
  if (absl::Status space = disk_guard_.Admit(group_bytes); !space.ok()) {
    Reject(pending, space);
    return;
  }
  rocksdb::WriteBatch batch;
  {
    sequencer_->BeginGroup(NextRecordedAt());
    for (PendingAppend& p : pending) {
      group.entries.push_back(SequencedEntry{
          sequencer_->Sequence(std::move(p.batch)), std::move(p.submission),
          p.index, p.bytes, AppendState::kQueued});
    }
    sequencer_->SealGroup(&batch);
    if (batch.Count() > 0) {
      rocksdb::WriteOptions write_options;
      write_options.sync = false;  // The sync thread makes it durable.
      rocksdb::Status s = rocks_->db->Write(write_options, &batch);
      if (!s.ok()) {
        group.write_status = absl::UnavailableError(
            absl::StrCat("writing to RocksDB failed: ", s.ToString()));
        FailStop(group.write_status);
      }
    }
    sequencer_->EndGroup();
    size_t events = 0;
    for (SequencedEntry& entry : group.entries) {
      entry.state = AppendState::kWritten;
      if (entry.sequenced.result.ok()) events += entry.sequenced.events.size();
    }
    if (options_.metrics_sink != nullptr && group.write_status.ok()) {
      options_.metrics_sink->OnGroupWritten(group.entries.size(), events);
    }
  }
  MutexLock lock(&mu_);
  written_.push_back(std::move(group));
}

void GroupCommitter::Reject(std::vector<PendingAppend>& pending,
                            const absl::Status& why) {
  size_t bytes = 0;
  {
    OutcomeDelivery delivery;
    for (PendingAppend& p : pending) {
      delivery.Add(p.submission, p.index, why);
      bytes += p.bytes;
    }
  }
  MutexLock lock(&mu_);
  queued_bytes_ -= bytes;
}

void GroupCommitter::SyncLoop() {
  for (;;) {
    std::deque<Group> groups;
    absl::Status failure;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](GroupCommitter* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->written_.empty() || self->commit_done_;
          },
          this));
      if (written_.empty()) return;  // commit thread finished and drained
      groups.swap(written_);
      failure = failure_;
    }
    absl::Status sync_failure;
    if (!failure.ok()) {
      // Never SyncWAL after a failed write: RocksDB's WAL writer refuses
      // (and a RocksDB built with assertions, like Debian's, aborts). The
      // groups written since the last sync are not durable: not acked.
      sync_failure = failure;
    } else if (options_.durability == Durability::kFsync) {
      // Covers every group written before this call: the WAL is one
      // sequential file and SyncWAL syncs all of it that exists.
      const absl::Time sync_start = absl::Now();
      rocksdb::Status s = rocks_->db->SyncWAL();
      if (options_.metrics_sink != nullptr) {
        options_.metrics_sink->OnWalSynced(absl::Now() - sync_start);
      }
      if (!s.ok()) {
        sync_failure = absl::UnavailableError(absl::StrCat(
            "fsync of the write-ahead log failed: ", s.ToString(),
            "; the append may or may not have been written, and evstored "
            "accepts no more appends until it is restarted"));
        FailStop(sync_failure);
      }
    }
    Finish(groups, sync_failure);
  }
}

void GroupCommitter::Finish(std::deque<Group>& groups,
                            const absl::Status& sync_failure) {
  auto failure_of = [&sync_failure](const Group& group) {
    return sync_failure.ok() ? group.write_status : sync_failure;
  };
  // Each customer's events in position order: groups and their entries are
  // in commit order, which is position order.
  absl::flat_hash_map<std::string,
                      std::vector<std::shared_ptr<const RecordedEvent>>>
      visible;
  for (Group& group : groups) {
    const absl::Status failure = failure_of(group);
    for (SequencedEntry& entry : group.entries) {
      if (!failure.ok()) {
        // Never acknowledge what may not be durable, duplicates included.
        entry.sequenced.result = absl::UnavailableError(
            absl::StrCat("the append was not acknowledged: ", failure.message(),
                         "; retrying it with the same event ids is safe"));
        continue;
      }
      entry.state = AppendState::kDurable;
      if (entry.sequenced.result.ok() && !entry.sequenced.events.empty()) {
        std::vector<std::shared_ptr<const RecordedEvent>>& events =
            visible[entry.sequenced.customer];
        for (auto& event : entry.sequenced.events) {
          events.push_back(std::move(event));
        }
      }
    }
  }
  for (auto& [customer, events] : visible) {
    if (options_.metrics_sink != nullptr) {
      uint64_t data_bytes = 0;
      for (const auto& event : events) data_bytes += event->data.size();
      options_.metrics_sink->OnEventsDurable(customer, events.size(),
                                             data_bytes);
    }
    publish_(customer, std::move(events));
  }
  size_t bytes = 0;
  {
    // One callback per submission for everything this fsync decided.
    OutcomeDelivery delivery;
    for (Group& group : groups) {
      const bool durable = failure_of(group).ok();
      for (SequencedEntry& entry : group.entries) {
        if (durable) {
          assert(entry.state == AppendState::kDurable);
          entry.state = AppendState::kVisible;
        }
        // Durable and visible before acknowledged (or failed, never acked).
        assert(!durable || entry.state == AppendState::kVisible);
        delivery.Add(entry.submission, entry.index,
                     std::move(entry.sequenced.result));
        entry.state = AppendState::kAcked;
        bytes += entry.bytes;
      }
    }
  }
  MutexLock lock(&mu_);
  queued_bytes_ -= bytes;
}

}  // namespace evstore
