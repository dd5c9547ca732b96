# yuebao — the two commands a new machine needs: `make run` and `make test`.
# Everything else (Rust toolchain aside, which the machine has) is fetched by cargo.

CARGO ?= cargo
OUT ?= out

.PHONY: run test build lint fmt bench fuzz sample-data clean

build:
	$(CARGO) build --bins

# Validate the committed demo month and write annotated copies to $(OUT)/审核/.
# Exit code 1 from validate means "findings of severity error", which the demo expects
# (沂南县 carries planted errors); only 2 (the tool failed) fails `make run`.
run: build
	@echo "== yuebao validate sample-data/ --annotate $(OUT)/审核"
	@$(CARGO) run --quiet -- validate sample-data/ --annotate $(OUT)/审核; rc=$$?; \
	  if [ $$rc -ge 2 ]; then exit $$rc; fi
	@echo
	@echo "== yuebao deadline --period 2026-10"
	@$(CARGO) run --quiet -- deadline --period 2026-10

test: lint
	$(CARGO) test --all-targets

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

bench:
	bash scripts/bench.sh

# Damaged copies of the demo month must each be rejected, never crash the batch.
fuzz: build
	python3 scripts/fuzz-inputs.py --count 100

# Developers only: regenerate sample-data/ (needs LibreOffice for the .xls file).
sample-data:
	bash scripts/make-sample-data.sh

clean:
	$(CARGO) clean
	rm -rf $(OUT)
