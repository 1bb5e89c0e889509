# Parley build. `make run` and `make test` are the two commands a newcomer needs; see README.md.
# Objects go to $(B)/<flavour>/ (release, asan, fuzz) so the flavours never mix.

B        ?= build
CC       ?= cc
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
PKGS     := libh2o-evloop jansson sqlite3 libsodium inih openssl libcurl yaml-0.1 libcmark icu-i18n icu-uc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# liblinear and libstemmer ship no .pc file in Debian 12.
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llinear -lstemmer -lpthread -lm
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 $(WARN) -DPARLEY_VERSION='"$(VERSION)"' -DH2O_USE_LIBUV=0 -Isrc $(PKG_CFLAGS)

LIB_SRC  := $(wildcard src/common/*.c src/core/*.c src/store/*.c src/bus/*.c src/http/*.c src/bot/*.c src/route/*.c src/cli/cmd_*.c src/cli/config*.c src/cli/seed*.c)
LIB_ASM  := src/http/assets.S
MAIN_SRC := src/cli/main.c
# kb helper (sentiment): the VADER lexicon, generated from the npm package at build time.
LIB_SRC  += $(B)/gen/sentiment_lexicon.c
# kb helper (knowledge base): the demo articles of data/demo/kb, compiled in for seed-demo.
LIB_SRC  += $(B)/gen/demo_kb.c

FLAVOUR_CFLAGS_release := -O2 -g
FLAVOUR_CFLAGS_asan    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FLAVOUR_LDFLAGS_asan   := -fsanitize=address,undefined

objs = $(patsubst %.c,$(B)/$(1)/%.o,$(LIB_SRC)) $(patsubst %.S,$(B)/$(1)/%.o,$(LIB_ASM))

.PHONY: all build run run-now test test-now fuzz-now unit integration fuzz fuzz-build fuzz-replay-bin bench-core bench-wfm bench-bot kb-bench-bin crash-test lint format deps clean asan
.PHONY: nlu-bench-bin bench-nlu
.PHONY: bench-route
.PHONY: eval
all: build
build: $(B)/release/parley
asan: $(B)/asan/parley

deps:
	@scripts/install-deps.sh

define FLAVOUR
$(B)/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $$(FLAVOUR_CFLAGS_$(1)) -MMD -MP -c $$< -o $$@
$(B)/$(1)/%.o: %.S docs/openapi.yaml
	@mkdir -p $$(dir $$@)
	$$(CC) -Wa,-I. -c $$< -o $$@
$(B)/$(1)/libparley.a: $(call objs,$(1))
	@rm -f $$@
	ar rcs $$@ $$^
$(B)/$(1)/parley: $(B)/$(1)/src/cli/main.o $(B)/$(1)/libparley.a
	$$(CC) $$(FLAVOUR_CFLAGS_$(1)) $$(FLAVOUR_LDFLAGS_$(1)) -o $$@ $$^ $$(PKG_LIBS)
endef
$(eval $(call FLAVOUR,release))
$(eval $(call FLAVOUR,asan))

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- generated sources ---------------------------------------------------------------------
# Sentiment lexicon (docs/bot-sentiment.md): npm installs the pinned package (package-lock.json),
# a script turns its vader_lexicon.txt into a sorted C table compiled into the binary.
SENTIMENT_LEXICON_TXT := node_modules/vader-sentiment/vader_lexicon.txt
$(SENTIMENT_LEXICON_TXT): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@
$(B)/gen/sentiment_lexicon.c: $(SENTIMENT_LEXICON_TXT) scripts/gen-sentiment-lexicon.py scripts/cgen.py
	@mkdir -p $(dir $@)
	python3 scripts/gen-sentiment-lexicon.py $< $@
$(B)/gen/demo_kb.c: data/demo/kb $(wildcard data/demo/kb/*.md) scripts/gen-demo-kb.py scripts/cgen.py
	@mkdir -p $(dir $@)
	python3 scripts/gen-demo-kb.py data/demo/kb $@

# ---- run ---------------------------------------------------------------------------------
DB     ?= var/parley.db
LISTEN ?= 127.0.0.1:8080
# Targets that may install packages first re-run make for the rest, so that pkg-config is
# asked again once the packages are there (a fresh machine has none of them at parse time).
run: deps
	@$(MAKE) --no-print-directory run-now
run-now: build
	@mkdir -p var
	@if [ ! -f $(DB) ]; then $(B)/release/parley migrate --db $(DB) && $(B)/release/parley seed-demo --db $(DB); fi
	@echo ""
	@echo "Parley $(VERSION) is starting on http://$(LISTEN)/"
	@echo "  status page   http://$(LISTEN)/"
	@echo "  health        http://$(LISTEN)/healthz"
	@echo "  API           http://$(LISTEN)/api/v1/   (described at http://$(LISTEN)/api/openapi.yaml)"
	@echo "  demo log-in   tenant=acme email=admin@acme.example password=parley-demo"
	@echo "                curl -s -H 'Content-Type: application/json' http://$(LISTEN)/api/v1/auth/login -d '{\"tenant\":\"acme\",\"email\":\"admin@acme.example\",\"password\":\"parley-demo\"}'"
	@echo ""
	exec $(B)/release/parley serve --db $(DB) --listen $(LISTEN)

# ---- tests ---------------------------------------------------------------------------------
# Every suite appends "suite=<name> passed=N failed=N" lines to $(B)/test-results; the last
# step prints one summary line over all of them and fails when anything failed.
UNIT_SRC := $(wildcard tests/unit/*/*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/asan/tests/%,$(UNIT_SRC))
$(B)/asan/tests/%: tests/unit/%.c $(B)/asan/libparley.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAVOUR_CFLAGS_asan) $(FLAVOUR_LDFLAGS_asan) -o $@ $< $(B)/asan/libparley.a $(PKG_LIBS) -lcmocka

test: deps
	@$(MAKE) --no-print-directory test-now
test-now: build asan $(UNIT_BIN) fuzz-replay-bin
	@rm -f $(B)/test-results; mkdir -p $(B)
	@tests/run-unit.sh $(UNIT_BIN)
	@tests/run-fuzz-replay.sh
	@PARLEY_BIN=$(B)/release/parley PARLEY_SUITE=integration tests/run-integration.sh
	@PARLEY_BIN=$(B)/asan/parley PARLEY_SUITE=integration-asan tests/run-integration.sh
	@tests/summary.sh $(B)/test-results

# ---- fuzzing (clang, libFuzzer) --------------------------------------------------------------
# The library is compiled once with coverage instrumentation; each target links against it.
# Replay binaries (run by `make test` over fuzz/corpus/) use the ASan/UBSan library instead.
# `make fuzz` grows a working corpus under $(B)/fuzz/work/ and leaves the committed seeds alone.
FUZZ_SRC   := $(wildcard fuzz/fuzz_*.c)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS  := $(patsubst %.c,$(B)/fuzz/%.o,$(LIB_SRC)) $(patsubst %.S,$(B)/fuzz/%.o,$(LIB_ASM))
FUZZ_BIN   := $(patsubst fuzz/%.c,$(B)/fuzz/bin/%,$(FUZZ_SRC))
REPLAY_BIN := $(patsubst fuzz/%.c,$(B)/fuzz/replay_%,$(FUZZ_SRC))
$(B)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@
$(B)/fuzz/%.o: %.S docs/openapi.yaml
	@mkdir -p $(dir $@)
	clang -Wa,-I. -c $< -o $@
$(B)/fuzz/libparley.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(B)/fuzz/bin/%: fuzz/%.c $(B)/fuzz/libparley.a
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(B)/fuzz/libparley.a $(PKG_LIBS)
$(B)/fuzz/replay_%: fuzz/%.c fuzz/replay_main.c $(B)/asan/libparley.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAVOUR_CFLAGS_asan) $(FLAVOUR_LDFLAGS_asan) -o $@ $< fuzz/replay_main.c $(B)/asan/libparley.a $(PKG_LIBS)
fuzz-build: $(FUZZ_BIN)
fuzz-replay-bin: $(REPLAY_BIN)
FUZZ_SECONDS ?= 30
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-now
fuzz-now: fuzz-build
	@for t in $(FUZZ_BIN); do n=$$(basename $$t); mkdir -p $(B)/fuzz/work/$$n fuzz/corpus/$$n; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=$(B)/fuzz/ \
	    $(B)/fuzz/work/$$n fuzz/corpus/$$n || exit 1; done
	@echo "new inputs are in $(B)/fuzz/work/; keep the interesting ones with -merge=1 into fuzz/corpus/"

# ---- benches and crash test ------------------------------------------------------------------
bench-core: deps
	@$(MAKE) --no-print-directory build && bench/bench-core.sh
# NLU bench (owner: nlu). bench/bench-bot.sh runs the binary $(B)/release/nlu_bench from the
# repository root (build it with `make nlu-bench-bin`); its last line is
# `classify_us=N train_10k_s=N`. `make bench-nlu` builds and runs it alone.
nlu-bench-bin: $(B)/release/nlu_bench
$(B)/release/nlu_bench: bench/nlu_bench.c $(B)/release/libparley.a
	$(CC) $(BASE_CFLAGS) $(FLAVOUR_CFLAGS_release) -o $@ $< $(B)/release/libparley.a $(PKG_LIBS)
bench-nlu: deps
	@$(MAKE) --no-print-directory nlu-bench-bin && $(B)/release/nlu_bench
# staffing maths (wfm): calendar, Erlang and forecast costs
bench-wfm: build
	$(CC) $(BASE_CFLAGS) -O2 -o $(B)/release/wfm_bench bench/wfm_bench.c $(B)/release/libparley.a $(PKG_LIBS)
	$(B)/release/wfm_bench
crash-test: deps
	@$(MAKE) --no-print-directory build && bench/crash-test.sh
# Routing engine (issue 4): the engine alone, how its cost grows, then the 10k/100k/1M run.
bench-route: deps
	@$(MAKE) --no-print-directory $(B)/release/route_bench && B=$(B) bench/route-bench.sh
$(B)/release/route_bench: bench/route_bench.c $(B)/release/libparley.a
	$(CC) $(BASE_CFLAGS) $(FLAVOUR_CFLAGS_release) -o $@ $< $(B)/release/libparley.a $(PKG_LIBS)
# Virtual agent (kb helper; the NLU figures come from the nlu owner's bench/nlu_bench.c).
bench-bot: deps
	@$(MAKE) --no-print-directory build kb-bench-bin && B=$(B) bench/bench-bot.sh
kb-bench-bin: $(B)/release/kb_bench
$(B)/release/kb_bench: bench/kb_bench.c $(B)/release/libparley.a
	$(CC) $(BASE_CFLAGS) $(FLAVOUR_CFLAGS_release) -o $@ $< $(B)/release/libparley.a $(PKG_LIBS)

# Quality figures (evals): NLU, sentiment and KB search on the tuning and the held-out demo
# sets, clearly labelled (scripts/eval.sh, docs/benchmarks.md "Quality figures").
eval: deps
	@$(MAKE) --no-print-directory build && B=$(B) scripts/eval.sh

# ---- hygiene ---------------------------------------------------------------------------------
lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr -Isrc src
	clang-format --dry-run --Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'fuzz/*.c' 'bench/*.c')
format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'fuzz/*.c' 'bench/*.c')
clean:
	rm -rf build
