#!/bin/sh
# make bench-route: the routing engine alone (bench/route_bench.c). First how the cost grows
# with advisers (1,000 / 10,000) and waiting conversations (1,000 / 100,000), then the target
# run: 10,000 advisers, 100,000 waiting, 1,000,000 events. The last line is the summary:
#   bench-route: advisers=N waiting=N events=N decisions_per_s=N p99_us=N
set -e
BIN="${B:-build}/release/route_bench"
EVENTS="${ROUTE_BENCH_EVENTS:-1000000}"
echo "== how the cost grows (${EVENTS} events each)"
for adv in 1000 10000; do
    for wait in 1000 100000; do
        [ "$adv" = 10000 ] && [ "$wait" = 100000 ] && continue
        # indented, and the summary renamed, so that only the target run ends with bench-route:
        "$BIN" --advisers "$adv" --waiting "$wait" --events "$EVENTS" | sed 's/^bench-route:/growth:/; s/^/  /'
    done
done
echo "== target: 10,000 advisers, 100,000 waiting, 1,000,000 events"
"$BIN" --advisers 10000 --waiting 100000 --events 1000000
