#include "storage/checkpoint_store.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/absl_string_view.h"
#include "storage/key_format.h"

namespace evstore {
namespace {

// The most requests one write batch carries.
constexpr size_t kMaxRequestsPerBatch = 1024;

absl::Status UnknownCustomer(std::string_view customer) {
  return absl::NotFoundError(
      absl::StrCat("customer \"", AsAbsl(customer), "\" does not exist"));
}

absl::Status ValidateId(const CheckpointId& id) {
  if (absl::Status s = ValidateCheckpointName(id.name); !s.ok()) return s;
  if (!id.partition.IsValid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition: index ", id.partition.index, " of count ",
        id.partition.count, " is not a partition (index < count <= ",
        kMaxPartitionCount, ", or both 0 for the whole feed)"));
  }
  return absl::OkStatus();
}

std::string KeyOf(CustomerKey customer, const CheckpointId& id) {
  return keys::CheckpointKey(customer, id.name, id.partition.count,
                             id.partition.index);
}

// The stored value at `key`: nullopt when there is none.
absl::StatusOr<std::optional<keys::CheckpointValue>> ReadValue(
    rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta,
    const std::string& key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, key, &value);
  if (s.IsNotFound()) return std::optional<keys::CheckpointValue>();
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the checkpoint: ", s.ToString()));
  }
  std::optional<keys::CheckpointValue> parsed =
      keys::ParseCheckpointValue(value);
  if (!parsed) return absl::DataLossError("malformed checkpoint record");
  return parsed;
}

}  // namespace

CheckpointStore::CheckpointStore(rocksdb::DB* db,
                                 rocksdb::ColumnFamilyHandle* meta, bool sync,
                                 CheckpointCustomerResolver resolve)
    : db_(db), meta_(meta), sync_(sync), resolve_(std::move(resolve)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

CheckpointStore::~CheckpointStore() { Stop(); }

void CheckpointStore::Commit(std::string_view customer, CheckpointCommit commit,
                             CheckpointCommitCallback done) {
  if (absl::Status s = ValidateId(commit.id); !s.ok()) {
    done(s);
    return;
  }
  Request request;
  request.customer = std::string(customer);
  request.commit = std::move(commit);
  request.commit_done = std::move(done);
  Enqueue(std::move(request));
}

void CheckpointStore::Delete(std::string_view customer, CheckpointId id,
                             CheckpointDeleteCallback done) {
  if (absl::Status s = ValidateId(id); !s.ok()) {
    done(s);
    return;
  }
  Request request;
  request.customer = std::string(customer);
  request.commit.id = std::move(id);
  request.is_delete = true;
  request.delete_done = std::move(done);
  Enqueue(std::move(request));
}

void CheckpointStore::Enqueue(Request request) {
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(request));
      return;
    }
  }
  const absl::Status closed =
      absl::UnavailableError("the checkpoint store is closed");
  if (request.is_delete) {
    request.delete_done(closed);
  } else {
    request.commit_done(closed);
  }
}

absl::StatusOr<Checkpoint> CheckpointStore::Get(std::string_view customer,
                                                const CheckpointId& id) {
  if (absl::Status s = ValidateId(id); !s.ok()) return s;
  const std::optional<CheckpointCustomer> found = resolve_(customer);
  if (!found) return UnknownCustomer(customer);
  absl::StatusOr<std::optional<keys::CheckpointValue>> value =
      ReadValue(db_, meta_, KeyOf(found->key, id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "checkpoint ", DescribeCheckpoint(id), " of customer \"",
        AsAbsl(customer), "\" does not exist (never committed, or deleted)"));
  }
  return Checkpoint{id, (*value)->position, (*value)->committed_at_micros};
}

absl::StatusOr<CheckpointPage> CheckpointStore::List(
    std::string_view customer, std::string_view name_prefix,
    const std::optional<CheckpointId>& after, size_t limit) {
  const std::optional<CheckpointCustomer> found = resolve_(customer);
  if (!found) return UnknownCustomer(customer);
  const std::string prefix =
      keys::CheckpointNamePrefixKey(found->key, name_prefix);
  std::string start = prefix;
  if (after) {
    // The smallest key after `after`'s.
    std::string after_key = KeyOf(found->key, *after);
    after_key.push_back('\0');
    start = std::max(start, after_key);
  }
  const std::string end = keys::CustomerCheckpointsEnd(found->key);
  CheckpointPage page;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), meta_));
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    if (!key.starts_with(prefix) || key >= std::string_view(end)) break;
    if (page.checkpoints.size() == limit) {
      page.more = true;
      break;
    }
    std::optional<keys::CheckpointKeyParts> parts =
        keys::ParseCheckpointKey(key);
    std::optional<keys::CheckpointValue> value =
        keys::ParseCheckpointValue(it->value().ToStringView());
    if (!parts || !value) {
      return absl::DataLossError("malformed checkpoint record");
    }
    page.checkpoints.push_back(Checkpoint{
        CheckpointId{std::move(parts->name),
                     Partition{parts->partition_index, parts->partition_count}},
        value->position, value->committed_at_micros});
  }
  if (!it->status().ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read the checkpoints: ", it->status().ToString()));
  }
  return page;
}

void CheckpointStore::Stop() {
  MutexLock stop_lock(&stop_mu_);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
}

void CheckpointStore::WriterLoop() {
  while (true) {
    std::vector<Request> requests;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CheckpointStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // Stopping, and everything is written.
      while (!queue_.empty() && requests.size() < kMaxRequestsPerBatch) {
        requests.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    WriteRequests(std::move(requests));
  }
}

void CheckpointStore::WriteRequests(std::vector<Request> requests) {
  const int64_t now_micros = absl::ToUnixMicros(absl::Now());
  // The value each key has after the requests decided so far (nullopt:
  // deleted), so that several requests for one key in a batch see each
  // other.
  absl::flat_hash_map<std::string, std::optional<keys::CheckpointValue>>
      decided;
  // Each request's outcome before the write; `writes` marks those that
  // need the write to succeed.
  std::vector<absl::StatusOr<Checkpoint>> commit_results(requests.size());
  std::vector<absl::StatusOr<bool>> delete_results(requests.size());
  std::vector<bool> writes(requests.size(), false);
  rocksdb::WriteBatch batch;

  for (size_t i = 0; i < requests.size(); ++i) {
    Request& request = requests[i];
    const CheckpointId& id = request.commit.id;
    const std::optional<CheckpointCustomer> customer =
        resolve_(request.customer);
    if (!customer) {
      commit_results[i] = UnknownCustomer(request.customer);
      delete_results[i] = commit_results[i].status();
      continue;
    }
    const std::string key = KeyOf(customer->key, id);
    std::optional<keys::CheckpointValue> current;
    if (auto it = decided.find(key); it != decided.end()) {
      current = it->second;
    } else {
      absl::StatusOr<std::optional<keys::CheckpointValue>> stored =
          ReadValue(db_, meta_, key);
      if (!stored.ok()) {
        commit_results[i] = stored.status();
        delete_results[i] = stored.status();
        continue;
      }
      current = *stored;
    }

    if (request.is_delete) {
      delete_results[i] = current.has_value();
      if (current) {
        batch.Delete(meta_, key);
        decided[key] = std::nullopt;
        writes[i] = true;
      }
      continue;
    }

    const FeedPosition position = request.commit.position;
    if (position > customer->head) {
      commit_results[i] = absl::OutOfRangeError(absl::StrCat(
          "position: ", position.value(), " is beyond the head of the feed of ",
          request.customer, " (", customer->head.value(),
          "); a checkpoint can only name a position that exists"));
      continue;
    }
    if (current && position < current->position &&
        !request.commit.allow_backwards) {
      commit_results[i] = absl::FailedPreconditionError(absl::StrCat(
          "checkpoint ", DescribeCheckpoint(id), " is at position ",
          current->position.value(), "; committing ", position.value(),
          " would move it backwards (set allow_backwards to replay)"));
      continue;
    }
    if (current && position == current->position) {
      commit_results[i] =
          Checkpoint{id, current->position, current->committed_at_micros};
      continue;
    }
    const keys::CheckpointValue value{position, now_micros};
    batch.Put(meta_, key, keys::EncodeCheckpointValue(value));
    decided[key] = value;
    commit_results[i] = Checkpoint{id, position, now_micros};
    writes[i] = true;
  }

  if (batch.Count() > 0) {
    rocksdb::WriteOptions options;
    options.sync = sync_;
    if (rocksdb::Status s = db_->Write(options, &batch); !s.ok()) {
      const absl::Status failed = absl::UnavailableError(
          absl::StrCat("cannot write the checkpoint: ", s.ToString()));
      for (size_t i = 0; i < requests.size(); ++i) {
        if (!writes[i]) continue;
        commit_results[i] = failed;
        delete_results[i] = failed;
      }
    }
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].is_delete) {
      requests[i].delete_done(std::move(delete_results[i]));
    } else {
      requests[i].commit_done(std::move(commit_results[i]));
    }
  }
}

}  // namespace evstore
