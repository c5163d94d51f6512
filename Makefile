# greentrade: `make demo` and `make test` work on a fresh machine with Python 3.11 and the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT := demo-output
DEMO_DATA := $(CURDIR)/$(OUT)/data

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: export GREENTRADE_DATA_DIR = $(DEMO_DATA)
demo: $(STAMP)
	@mkdir -p $(OUT)
	$(BIN)/greentrade catalogue check
	$(BIN)/greentrade catalogue import-nomenclature examples/national_codes_sample.csv
	@for code in 854143 8504.40 7208.10 290341 85414300; do echo; $(BIN)/greentrade catalogue show $$code; done
	@echo; $(BIN)/greentrade catalogue search 光伏逆变器 --limit 5
	@echo; $(BIN)/greentrade catalogue stats
	@echo; $(BIN)/greentrade catalogue export --format xlsx -o $(OUT)/catalogue.xlsx
	@echo; echo "Results: $(CURDIR)/$(OUT)/catalogue.xlsx (green catalogue), $(DEMO_DATA) (imported national codes)"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_catalogue_load.py

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
