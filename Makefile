# yuebao — the two commands a new machine needs: `make run` and `make test`.
# Everything else (Rust toolchain aside, which the machine has) is fetched by cargo.

CARGO ?= cargo
OUT ?= out
# `make run` uses the binary that `cargo build --all-targets` leaves here. Building every target
# (not `cargo run`, which builds the binary alone) gives dependencies the same features as
# `make test`, so polars is compiled once for both rather than twice.
BIN = $(or $(CARGO_TARGET_DIR),target)/debug/yuebao

.PHONY: run serve test build lint fmt bench bench-national bench-register bench-intake bench-portal bench-soak fuzz fuzz-inputs sample-data clean

build:
	$(CARGO) build --all-targets

# The demo month, end to end: validate the committed sample files (annotated copies in
# $(OUT)/审核/), then roll them up into the 临沂市 and 山东省 workbooks in $(OUT)/. Then the
# store (scripts/demo-store.sh): two years of sample months submitted into $(OUT)/yuebao-data,
# the October status, a rollup from the store and the 2025 annual report.
# Exit code 1 means "some file has errors", which the demo expects (沂南县 carries planted
# errors); only 2 (the tool itself failed) fails `make run`.
run: build
	@echo "== yuebao validate sample-data/ --annotate $(OUT)/审核"
	@$(BIN) validate sample-data/ --annotate $(OUT)/审核; rc=$$?; \
	  if [ $$rc -ge 2 ]; then exit $$rc; fi
	@echo
	@echo "== yuebao rollup --period 2026-10 sample-data/ -o $(OUT)"
	@$(BIN) rollup --period 2026-10 sample-data/ -o $(OUT) --format csv; rc=$$?; \
	  if [ $$rc -ge 2 ]; then exit $$rc; fi
	@echo
	@echo "== yuebao deadline --period 2026-10"
	@$(BIN) deadline --period 2026-10
	@echo
	@echo "== the store: 23 months of 临沂市 submitted, then status, rollup and the annual report"
	@bash scripts/demo-store.sh $(BIN) $(OUT)

# The portal on the demo year (scripts/demo-serve.sh): one account per role with fresh
# passwords, printed with the URL; LISTEN=0.0.0.0:8080 to serve other machines.
LISTEN ?= 127.0.0.1:8080
serve: build
	@bash scripts/demo-serve.sh $(BIN) $(OUT) $(LISTEN)

# The kill test holds a submit inside its transaction through the `test-hooks` feature. The
# portal's browser test needs chromium and chromedriver; without them it is skipped, and said so
# here (under CI=true it fails instead; .ci/run installs them).
test: lint
	@command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 || \
	  echo "注意：未安装 chromium / chromium-driver，浏览器测试将跳过（apt-get install chromium chromium-driver，或运行 .ci/run）"
	$(CARGO) test --all-targets --features test-hooks

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

bench:
	bash scripts/bench.sh
	bash scripts/bench-intake.sh

# A national month as the ministry: 2,854 county workbooks sampled, validated, rolled up and
# stored, beside the floor and the pandas pipeline; then eleven more months (release build).
bench-national:
	bash scripts/bench-national.sh

# The registers behind the sheets at Shandong's size: about 3 million persons imported, every
# county's month and year counted from the store (release build).
bench-register:
	bash scripts/bench-register.sh

# The portal under load: 20 reporters uploading for 30 s, then the boards (release build).
bench-portal:
	bash scripts/bench-portal.sh

# The portal under 60 s of mixed load, then killed with kill -9 in the middle of it (release).
bench-soak:
	bash scripts/bench-soak.sh

# Peak memory and time of validate on hostile and huge files (a 1 GB zip bomb, a 50 MB
# one-line CSV …), one at a time, release build; INTAKE_BIN=target/debug/yuebao to skip it.
bench-intake:
	bash scripts/bench-intake.sh $(INTAKE_BIN)

# Coverage-guided fuzzing (nightly + cargo-fuzz): every target briefly; FUZZ_SECONDS=600 for
# the long runs.
FUZZ_SECONDS ?= 30
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Damaged copies of the demo month must each be rejected, never crash the batch.
fuzz-inputs: build
	python3 scripts/fuzz-inputs.py --count 100

# Developers only: regenerate sample-data/ (needs LibreOffice for the .xls file).
sample-data:
	bash scripts/make-sample-data.sh

clean:
	$(CARGO) clean
	rm -rf $(OUT)
