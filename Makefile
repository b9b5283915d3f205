# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make report   set up .venv (pinned by requirements.lock), run the main job on the bundled data, write reports/
#   make test     set up .venv, check the layers and the style, run the whole test suite (notebooks included),
#                 then install the built wheel without the source tree and run `evalkit check` and `evalkit report`
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS := research,test,bench,distributed,web,postgres

.PHONY: report test lint bench lab sample lock clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/evalkit report --out reports

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check evalkit tests benchmarks scripts

test: lint
	$(BIN)/python -m pytest
	bash scripts/wheel_smoke.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cap.py
	$(BIN)/python benchmarks/bench_simulate.py

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

sample: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

# re-pin requirements.lock from pyproject.toml (run after changing a dependency)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) reports build *.egg-info
