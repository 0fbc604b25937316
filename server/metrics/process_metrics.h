// ProcessMetrics: the standard Prometheus process_* series, read from
// /proc/self (prometheus-cpp 1.0 has no process collector).
#ifndef EVSTORE_SERVER_METRICS_PROCESS_METRICS_H_
#define EVSTORE_SERVER_METRICS_PROCESS_METRICS_H_

#include <vector>

#include "prometheus/metric_family.h"

namespace evstore::server {

// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds and process_threads of the calling process.
// A value that cannot be read is left out (never reported as 0). Linux
// only; costs a few reads of /proc (call it per scrape, not per request).
std::vector<prometheus::MetricFamily> CollectProcessMetrics();

}  // namespace evstore::server

#endif  // EVSTORE_SERVER_METRICS_PROCESS_METRICS_H_
