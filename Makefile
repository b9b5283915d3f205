# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make report   set up .venv, run the main job on the bundled data, write reports/
#   make test     set up .venv, run the whole test suite (notebooks included)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: report test bench sample clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench,distributed,web,postgres]"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/evalkit report --out reports

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cap.py
	$(BIN)/python benchmarks/bench_simulate.py

sample: $(STAMP)
	$(BIN)/python scripts/make_sample_data.py

clean:
	rm -rf $(VENV) reports build *.egg-info
