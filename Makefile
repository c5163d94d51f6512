# greentrade: `make demo` and `make test` work on a fresh machine with Python 3.11 and the package registries.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
OUT := demo-output
DEMO_DATA := $(CURDIR)/$(OUT)/data

MODEL := models/greentrade.joblib

.PHONY: demo review test lint bench train clean browser

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

$(MODEL): | $(STAMP)
	$(BIN)/greentrade train -o $(MODEL)

# The main job: classify the bundled month of customs lines (the model is trained first if missing).
demo: export GREENTRADE_DATA_DIR = $(DEMO_DATA)
demo: $(STAMP) $(MODEL)
	@mkdir -p $(OUT)
	$(BIN)/greentrade catalogue check
	$(BIN)/greentrade classify examples/customs_2026-10.csv -o $(OUT)/customs_2026-10.classified.xlsx
	@echo; $(BIN)/greentrade draft build $(OUT)/customs_2026-10.classified.xlsx --top 5 --by demo
	@echo; $(BIN)/greentrade classify --text "组串式光伏逆变器 50kW" --code 8504401400
	@echo; $(BIN)/greentrade catalogue show 8504.40
	@echo; $(BIN)/greentrade catalogue export --format xlsx -o $(OUT)/catalogue.xlsx
	@echo; echo "Results: $(CURDIR)/$(OUT)/customs_2026-10.classified.xlsx (classified batch), $(CURDIR)/$(OUT)/catalogue.xlsx (green catalogue)"
	@echo "Review the draft catalogue in a browser: make review"

# The review page over the demo's draft: prints a new curator token, then serves until Ctrl-C.
review: export GREENTRADE_DATA_DIR = $(DEMO_DATA)
review: $(STAMP) $(MODEL)
	@test -f $(OUT)/customs_2026-10.classified.xlsx || $(MAKE) demo
	@echo "curator token 审核员令牌 (sign in at http://127.0.0.1:8000/review):"
	@$(BIN)/greentrade tokens create "demo curator" --role curator 2>/dev/null | tail -1
	$(BIN)/greentrade serve --port 8000

train: $(STAMP)
	$(BIN)/greentrade train -o $(MODEL)

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here); as root it is
# installed when missing, otherwise they skip.
CHROMIUM_APT := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
browser:
	@test -x /usr/bin/chromium || if [ "$$(id -u)" = 0 ]; then \
		echo "installing Chromium for the browser tests"; \
		$(CHROMIUM_APT) || { apt-get update -q && $(CHROMIUM_APT); }; \
	else \
		echo "note: /usr/bin/chromium missing, the browser tests will skip; install it with: sudo apt-get install chromium"; \
	fi

test: $(STAMP) browser
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP) $(MODEL)
	$(BIN)/python benchmarks/bench_catalogue_load.py
	$(BIN)/python benchmarks/bench_classify.py
	$(BIN)/python benchmarks/bench_draft.py

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
