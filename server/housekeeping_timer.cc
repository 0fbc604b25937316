#include "server/housekeeping_timer.h"

#include <pthread.h>

#include <utility>

namespace evstore::server {

HousekeepingTimer::HousekeepingTimer(absl::Duration period) : period_(period) {
  MutexLock lock(&join_mu_);
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "housekeeping");
}

HousekeepingTimer::~HousekeepingTimer() { Stop(); }

void HousekeepingTimer::Register(std::weak_ptr<Client> client) {
  MutexLock lock(&mu_);
  clients_.push_back(std::move(client));
}

void HousekeepingTimer::Stop() {
  MutexLock join_lock(&join_mu_);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void HousekeepingTimer::Run() {
  std::vector<std::weak_ptr<Client>> clients;
  while (true) {
    {
      MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), period_);
      if (stopping_) return;
      std::erase_if(clients_, [](const std::weak_ptr<Client>& client) {
        return client.expired();
      });
      clients = clients_;
    }
    // Ticks run without mu_, so clients may register meanwhile.
    const absl::Time now = absl::Now();
    for (const std::weak_ptr<Client>& weak : clients) {
      if (std::shared_ptr<Client> client = weak.lock()) client->OnTick(now);
    }
    clients.clear();
  }
}

}  // namespace evstore::server
