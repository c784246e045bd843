# bench.mk - `make bench`, included by the top Makefile.
#
#   make bench [BENCH_RUNS=N] [BENCH_SECONDS=S]
# measures the reference servers on this machine (tests/bench/run-bench says what and how)
# and writes build/bench/report.md and build/bench/chart.png. Never part of make test: speed
# is measured here, never asserted.
.PHONY: bench
BENCH_PEER := $(KIT)/build/bench/bin/event-echo-server
BENCH_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -pedantic -O2 -g

## make bench: requests/s, latency, bulk throughput, memory; report + chart in build/bench/
bench:
	@tests/tools/deps test bench
	@$(MAKE) -s solutions tools $(BENCH_PEER)
	@$(if $(BENCH_RUNS),BENCH_RUNS=$(BENCH_RUNS)) $(if $(BENCH_SECONDS),BENCH_SECONDS=$(BENCH_SECONDS)) tests/bench/run-bench

# The benchmark's peer: an echo server on libevent (tests/bench/event-echo-server.c).
$(BENCH_PEER): tests/bench/event-echo-server.c $(wildcard common/*.c common/*.h)
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Icommon $(shell pkg-config --cflags libevent_core) -o $@ \
		tests/bench/event-echo-server.c $(wildcard common/*.c) \
		$(shell pkg-config --libs libevent_core 2>/dev/null || echo -levent_core)
