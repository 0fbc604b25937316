// GroupCommitter: the append path. Gathers concurrent appends into commit
// groups, writes each group as one RocksDB write batch, makes many groups
// durable with one WAL fsync, then publishes them to subscribers and
// acknowledges them, in position order.
//
//   Append ─▶ queue ─▶ [commit thread] sequence + encode one WriteBatch per
//                      group ─▶ DB::Write(sync=false)            (written)
//                 ─▶ [sync thread] DB::SyncWAL() for all groups written so
//                      far                                       (durable)
//                 ─▶ publish to FeedTails                        (visible)
//                 ─▶ run callbacks                               (acked)
//
// The two threads overlap encoding and memtable inserts of the next group
// with the fsync of the previous ones; RocksDB's own write path would
// serialise them (one thread calling Write(sync=true)). Because a single
// thread writes groups in position order into one sequential WAL, and WAL
// recovery replays a prefix of it, a crash can lose only a suffix of the
// unacknowledged groups: positions stay dense.
#ifndef EVSTORE_STORAGE_GROUP_COMMITTER_H_
#define EVSTORE_STORAGE_GROUP_COMMITTER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "base/mutex.h"
#include "storage/append_sequencer.h"
#include "storage/disk_space_guard.h"
#include "storage/event_log.h"
#include "storage/rocks_handles.h"
#include "storage/storage_metrics.h"

namespace evstore {

// Where durable events go to become visible: the event log's tails.
using PublishFn = std::function<void(
    const std::string& customer,
    std::vector<std::shared_ptr<const RecordedEvent>> events)>;

struct GroupCommitterOptions {
  Durability durability = Durability::kFsync;
  size_t max_queued_bytes = 0;
  size_t max_group_bytes = 0;
  // The data directory, and the free space its file system keeps in
  // reserve (0: no check); see DiskSpaceGuard.
  std::string data_dir;
  uint64_t disk_reserve_bytes = 0;
  // Null: no measurements (see storage_metrics.h).
  StorageMetricsSink* metrics_sink = nullptr;
};

// Thread-safe: Enqueue may be called from any thread. Owns two threads,
// started by the constructor and joined by Stop.
class GroupCommitter {
 public:
  GroupCommitter(const GroupCommitterOptions& options, RocksHandles* rocks,
                 AppendSequencer* sequencer, PublishFn publish);
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;
  ~GroupCommitter();

  // Queues an append; see EventLog::Append.
  void Enqueue(AppendBatch batch, AppendCallback done);

  // Queues several appends under one lock and with one wake-up of the commit
  // thread; see EventLog::AppendMany. They stay consecutive in the queue, so
  // they share a commit group unless it reaches max_group_bytes. When the
  // queue's byte budget runs out part-way, the appends that still fit are
  // queued and the rest fail with RESOURCE_EXHAUSTED.
  void EnqueueMany(std::vector<AppendBatch> batches, AppendManyCallback done);

  // OK while appends are accepted; RESOURCE_EXHAUSTED while they are
  // refused for lack of disk space (this passes by itself); UNAVAILABLE
  // after a storage failure (fail-stop: until restart) or once stopping.
  absl::Status Health() const;

  // Rejects new appends, commits everything already queued, and joins the
  // threads. Idempotent.
  void Stop();

 private:
  // The states of an append, in the only order they may occur.
  enum class AppendState { kQueued, kWritten, kDurable, kVisible, kAcked };

  // The caller of one Enqueue/EnqueueMany: where its outcomes go.
  struct Submission {
    AppendManyCallback done;
  };
  struct PendingAppend {
    AppendBatch batch;
    std::shared_ptr<Submission> submission;
    size_t index = 0;  // In the submission.
    size_t bytes = 0;
  };
  struct SequencedEntry {
    SequencedAppend sequenced;
    std::shared_ptr<Submission> submission;
    size_t index = 0;
    size_t bytes = 0;
    AppendState state = AppendState::kQueued;
  };
  // Accumulates outcomes and hands each submission's consecutive run of them
  // to its callback in one call.
  class OutcomeDelivery;
  struct Group {
    std::vector<SequencedEntry> entries;
    absl::Status write_status;
  };

  void CommitLoop();
  void SyncLoop();
  void WriteGroup(std::vector<PendingAppend> pending);
  // Answers appends that were never sequenced with `why`.
  void Reject(std::vector<PendingAppend>& pending, const absl::Status& why);
  // Publishes and acknowledges the groups made durable by one fsync (or
  // fails them with `sync_failure`), in position order. Each customer's
  // events of all these groups are published with one call, so a subscriber
  // waiting on a feed is woken once per fsync, not once per append.
  void Finish(std::deque<Group>& groups, const absl::Status& sync_failure);
  void FailStop(const absl::Status& cause) ABSL_LOCKS_EXCLUDED(mu_);
  int64_t NextRecordedAt();

  // Constant after construction.
  const GroupCommitterOptions options_;
  RocksHandles* const rocks_;
  AppendSequencer* const sequencer_;  // Used by the commit thread only.
  const PublishFn publish_;

  int64_t last_recorded_at_ = 0;  // Commit thread only.
  DiskSpaceGuard disk_guard_;     // Admit: commit thread only.

  mutable Mutex mu_;
  std::deque<PendingAppend> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;  // Until acked.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool commit_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);       // Fail-stop cause.
  std::deque<Group> written_ ABSL_GUARDED_BY(mu_);  // Awaiting fsync.

  std::thread commit_thread_;
  std::thread sync_thread_;
  Mutex stop_mu_;
};

}  // namespace evstore

#endif  // EVSTORE_STORAGE_GROUP_COMMITTER_H_
