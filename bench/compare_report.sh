#!/usr/bin/env bash
# The report of bench/compare.sh from its results.jsonl (one evstore-bench /
# evstore-peer-bench JSON object per run, plus "system" and "name"): prints
# a Markdown table with ratios evstore / peer and writes it to
# OUT_DIR/compare.md, and draws OUT_DIR/compare.png with gnuplot.
# Usage: bench/compare_report.sh RESULTS_JSONL OUT_DIR
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 RESULTS_JSONL OUT_DIR" >&2
  exit 2
fi
RESULTS=$1 OUT=$2

# One row per evstore run (W1 twice: session and unary); the peers' run of
# the same workload alongside. Ratios: events/s evstore / peer (above 1:
# evstore is faster) and p99 latency evstore / peer (below 1: evstore is
# faster). In W3 the rate is fixed, so only the latency ratio says anything.
jq -s -r '
  def fmt: if . == null then "-" else (. | round | tostring
           | [scan("\\d{1,3}(?=(?:\\d{3})*$)")] | join(",")) end;
  def ms: if . == null then "-" else ((. * 100 | round) / 100 | tostring) end;
  def ratio($a; $b): if $a == null or $b == null or $b == 0 then "-"
                     else ((($a / $b) * 100 | round) / 100 | tostring) end;
  def cell: if . == null then "- | -"
            else ((.events_per_s | fmt) + (if .errors > 0 then " FAILED" else "" end)
                  + " | " + (.latency_ms.p50 | ms) + " / " + (.latency_ms.p99 | ms)) end;
  . as $all
  | if (map(select(.system == "evstore" and (.name | test("^W[1-3]")))) | length) == 0
    then empty else . end
  | def find($system; $name): ($all | map(select(.system == $system and .name == $name)) | .[0]);
    def wlabel: {"W1": "W1 single, evstore over AppendSession",
                "W1-unary": "W1 single, evstore over unary Append",
                "W2": "W2 batched 16 x 100"}[.] // ("W3 latency, " + (ltrimstr("W3-")) + " subscribers, 5,000 ev/s");
    ["| workload | evstore events/s | p50 / p99 ms | Redis events/s | p50 / p99 ms | PostgreSQL events/s | p50 / p99 ms | evstore÷Redis events/s | evstore÷Redis p99 | evstore÷PostgreSQL events/s | evstore÷PostgreSQL p99 |",
     "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"][],
    ($all | map(select(.system == "evstore" and (.name | test("^W[1-3]")))) | .[]
     | . as $e
     | ($e.name | if . == "W1-unary" then "W1" else . end) as $peer_name
     | find("redis"; $peer_name) as $r
     | find("postgres"; $peer_name) as $p
     | "| " + ($e.name | wlabel) + " | " + ($e | cell) + " | " + ($r | cell)
       + " | " + ($p | cell)
       + " | " + ratio($e.events_per_s; $r.events_per_s)
       + " | " + ratio($e.latency_ms.p99; $r.latency_ms.p99)
       + " | " + ratio($e.events_per_s; $p.events_per_s)
       + " | " + ratio($e.latency_ms.p99; $p.latency_ms.p99) + " |")
' "$RESULTS" | tee "$OUT/compare.md"

# The gRPC ceiling (evstore-grpc-ceiling: empty handlers, W1's load, same
# run): what gRPC alone sustains, and W1 as a fraction of it (session against
# bidi, unary against unary). Only when the run measured it.
jq -s -r '
  def fmt: if . == null then "-" else (. | round | tostring
           | [scan("\\d{1,3}(?=(?:\\d{3})*$)")] | join(",")) end;
  def ms: if . == null then "-" else ((. * 100 | round) / 100 | tostring) end;
  def ratio($a; $b): if $a == null or $b == null or $b == 0 then "-"
                     else ((($a / $b) * 100 | round) / 100 | tostring) end;
  . as $all
  | def find($system; $name): ($all | map(select(.system == $system and .name == $name)) | .[0]);
  if ($all | map(select(.system == "grpc-ceiling")) | length) == 0 then empty else
    "",
    "| gRPC ceiling, empty handler (64 in flight) | calls/s | p50 / p99 ms | evstore W1 | events/s | W1 ÷ ceiling |",
    "|---|---:|---:|---|---:|---:|",
    ([["ceiling-unary", "unary calls", "W1-unary", "unary Append"],
      ["ceiling-bidi", "bidi round trips, 8 streams", "W1", "AppendSession"]][]
     | . as [$c, $clabel, $w, $wlabel]
     | find("grpc-ceiling"; $c) as $ceiling
     | find("evstore"; $w) as $evstore
     | "| " + $clabel + " | " + ($ceiling.events_per_s | fmt)
       + (if ($ceiling.errors // 0) > 0 then " FAILED" else "" end)
       + " | " + ($ceiling.latency_ms.p50 | ms) + " / " + ($ceiling.latency_ms.p99 | ms)
       + " | " + $wlabel + " | " + ($evstore.events_per_s | fmt)
       + " | " + ratio($evstore.events_per_s; $ceiling.events_per_s) + " |")
  end
' "$RESULTS" | tee -a "$OUT/compare.md"

# The evstore-only workloads against the issue's targets: W4 catch-up
# (>= 1,000,000 events/s), W5 growth (full store no more than 15% slower),
# W6 idle subscriptions (server RSS under 1 GiB; p99 as W3's, under 5 ms).
jq -s -r '
  def fmt: if . == null then "-" else (. | round | tostring
           | [scan("\\d{1,3}(?=(?:\\d{3})*$)")] | join(",")) end;
  def num($d): if . == null then "-" else ((. * pow(10; $d) | round) / pow(10; $d) | tostring) end;
  def mib: if . == null then "-" else (. / 1048576 | round | tostring) + " MiB" end;
  def failed: if .errors > 0 then " FAILED (" + .first_error + ")" else "" end;
  def verdict(ok): if ok then "met" else "missed" end;
  (map(select(.system == "evstore" and (.name | test("^W[4-6]")))) | sort_by(.name)) as $rows
  | if ($rows | length) == 0 then empty else
    "",
    "| workload | measured | target | verdict |",
    "|---|---|---|---|",
    ($rows[] |
      if .name == "W4" then
        "| W4 catch-up, 1 subscriber, " + (.catchup.feed_events | fmt) + " events of "
        + (.event_bytes | tostring) + " B | " + (.events_per_s | fmt) + " events/s, "
        + (.mb_per_s | num(1)) + " MB/s; caught_up after " + (.catchup.caught_up_s | num(2))
        + " s; server CPU " + (.server_cpu_cores | num(2)) + " cores, client "
        + (.client_cpu_cores | num(2)) + failed + " | >= 1,000,000 events/s | "
        + verdict(.errors == 0 and .events_per_s >= 1000000) + " |"
      elif .name == "W5" then
        "| W5 growth, W2 (16 x 100) empty vs " + (.growth.store_events | fmt) + " events | "
        + (.growth.empty.events_per_s | fmt) + " vs " + (.growth.full.events_per_s | fmt)
        + " events/s (ratio " + (.growth.ratio | num(3)) + "); p99 "
        + (.growth.empty.p99_ms | num(2)) + " vs " + (.growth.full.p99_ms | num(2))
        + " ms; fill " + (.growth.fill_events | fmt) + " events in " + (.growth.fill_s | num(0))
        + " s, data directory " + (.growth.disk_bytes | mib) + failed
        + " | full >= 0.85 x empty | " + verdict(.errors == 0 and .growth.ratio >= 0.85) + " |"
      else
        "| W6 " + (.idle.subscriptions | fmt) + " idle (" + .idle.kind + ") + "
        + (.subscribers | tostring) + " live subscribers, " + (.rate | fmt) + " events/s | RSS max "
        + (.idle.rss_max_bytes | mib) + " (" + (.idle.rss_before_bytes | mib) + " before, "
        + (.idle.rss_idle_bytes | mib) + " idle); latency p50 / p99 / p99.9 / max "
        + (.latency_ms.p50 | num(2)) + " / " + (.latency_ms.p99 | num(2)) + " / "
        + (.latency_ms.p999 | num(2)) + " / " + (.latency_ms.max | num(2)) + " ms" + failed
        + " | RSS < 1 GiB (p99 < 5 ms as W3) | "
        + verdict(.errors == 0 and .idle.rss_max_bytes < 1073741824)
        + (if .latency_ms.p99 < 5 then "" else " (p99 over 5 ms)" end) + " |"
      end)
    end
' "$RESULTS" | tee -a "$OUT/compare.md"

# Every run in full.
{
  echo
  echo "All runs (latency: W1/W2 append to ack, W3 send to each subscriber's receipt):"
  echo
  jq -s -r '
    def ms: if . == null then "-" else ((. * 100 | round) / 100 | tostring) end;
    def cores: if . == null then "-" else ((. * 100 | round) / 100 | tostring) end;
    "| system | workload | events/s | p50 | p90 | p99 | p99.9 | max ms | server CPU cores | client CPU cores | errors | load average before |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    (.[] | "| " + .system + " | " + .name + " | " + (.events_per_s | round | tostring)
       + " | " + (.latency_ms.p50 | ms) + " | " + (.latency_ms.p90 | ms)
       + " | " + (.latency_ms.p99 | ms) + " | " + (.latency_ms.p999 | ms)
       + " | " + (.latency_ms.max | ms) + " | " + (.server_cpu_cores | cores)
       + " | " + (.client_cpu_cores | cores) + " | " + (.errors | tostring)
       + (if .errors > 0 then " (" + .first_error + ")" else "" end)
       + " | " + (.loadavg_before[0] | tostring) + " |")
  ' "$RESULTS"
} | tee -a "$OUT/compare.md"

# Chart data: workload, then events/s and p99 of evstore, Redis, PostgreSQL.
# Not W4: its catch-up rate would dwarf every append rate (it is in the
# targets table).
jq -s -r '
  . as $all
  | def v($system; $name; f): ($all | map(select(.system == $system and .name == $name)) | .[0] | if . == null then "NaN" else (f | tostring) end);
  ($all | map(select(.system == "evstore" and .name != "W4")) | .[] | .name) as $name
  | ($name | if . == "W1-unary" then "W1" else . end) as $peer
  | [$name,
     v("evstore"; $name; .events_per_s), v("redis"; $peer; .events_per_s), v("postgres"; $peer; .events_per_s),
     v("evstore"; $name; if .latency_ms.samples > 0 then .latency_ms.p99 else "NaN" end),
     v("redis"; $peer; .latency_ms.p99), v("postgres"; $peer; .latency_ms.p99)]
  | @tsv
' "$RESULTS" >"$OUT/compare.dat"

if command -v gnuplot >/dev/null && [ -s "$OUT/compare.dat" ]; then
  gnuplot <<GNUPLOT
set terminal pngcairo size 1400,560 noenhanced font "sans,10"
set output "$OUT/compare.png"
set datafile separator "\t"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside bottom center horizontal
set grid ytics
set xtics rotate by -20
set multiplot layout 1,2 title "evstore vs Redis Streams vs PostgreSQL (fsync before ack; $(date -u +%F), load average $(cut -d' ' -f1 /proc/loadavg))"
set title "Throughput (events/s; W3 and W6 at a fixed 5,000/s, W5: W2 on the full store)"
set yrange [0:*]
plot "$OUT/compare.dat" using 2:xtic(1) title "evstore", "" using 3 title "Redis", "" using 4 title "PostgreSQL"
set title "p99 latency (ms; W1/W2/W5: append to ack, W3/W6: send to subscriber)"
set logscale y
set yrange [*:*]
plot "$OUT/compare.dat" using 5:xtic(1) title "evstore", "" using 6 title "Redis", "" using 7 title "PostgreSQL"
unset multiplot
GNUPLOT
  echo "chart: $OUT/compare.png"
fi
