#include "tests/torture/customer_model.h"

#include "absl/strings/str_cat.h"

namespace evstore::torture {

void CustomerModel::RecordAck(const v1::AppendRequest& request,
                              const v1::AppendResponse& response,
                              std::vector<std::string>* violations) {
  const uint64_t events = static_cast<uint64_t>(EventCount(request));
  if (response.first_position() == 0 ||
      response.last_position() + 1 != response.first_position() + events ||
      response.streams_size() != request.writes_size()) {
    violations->push_back(absl::StrCat(
        "ACK SHAPE: acknowledged result does not fit its request (", events,
        " events in ", request.writes_size(),
        " writes): ", response.ShortDebugString()));
    return;
  }
  uint64_t position = response.first_position();
  for (int w = 0; w < request.writes_size(); ++w) {
    const v1::StreamWrite& write = request.writes(w);
    const v1::StreamAppendResult& result = response.streams(w);
    if (result.stream() != write.stream() || result.first_revision() == 0 ||
        result.last_revision() + 1 !=
            result.first_revision() +
                static_cast<uint64_t>(write.events_size())) {
      violations->push_back(absl::StrCat(
          "ACK SHAPE: acknowledged stream result does not fit write ", w,
          " (stream ", write.stream(), ", ", write.events_size(),
          " events): ", result.ShortDebugString()));
      return;
    }
    uint64_t revision = result.first_revision();
    for (const v1::ProposedEvent& event : write.events()) {
      EventFact fact{position, write.stream(), revision};
      auto [it, inserted] = acked_events_.try_emplace(event.id(), fact);
      if (!inserted && (it->second.position != fact.position ||
                        it->second.revision != fact.revision)) {
        violations->push_back(
            absl::StrCat("ACK CLASH: id ", event.id(),
                         " acknowledged twice differently: position ",
                         it->second.position, " then ", position));
      }
      auto [pos_it, new_position] =
          acked_positions_.try_emplace(position, event.id());
      if (!new_position && pos_it->second != event.id()) {
        violations->push_back(absl::StrCat(
            "ACK CLASH: position ", position, " acknowledged for two ids: ",
            pos_it->second, " and ", event.id()));
      }
      if (inserted) acked_ids_.push_back(event.id());
      ++position;
      ++revision;
    }
  }
  acked_.push_back(AckedAppend{request, response});
}

void CustomerModel::RecordConflict(const v1::AppendRequest& request) {
  ++conflicts_;
  for (const v1::StreamWrite& write : request.writes()) {
    for (const v1::ProposedEvent& event : write.events()) {
      conflicted_ids_.insert(event.id());
    }
  }
}

}  // namespace evstore::torture
