# callcenter — the two commands are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run on the real stack; point these elsewhere to use other servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/callcenter
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint fmt messages clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: the platform with demo data (SQLite + in-process layers unless DATABASE_URL/REDIS_URL are set)
run: export DEBUG ?= true
run: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py run_platform --host $(HOST) --port $(PORT)

## test: the whole suite against PostgreSQL and Redis, browser tests included
test: export DATABASE_URL ?= $(TEST_DATABASE_URL)
test: export REDIS_URL ?= $(TEST_REDIS_URL)
test: export SECRET_KEY ?= test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz
test: export DEBUG = false
test: export FAST_PASSWORD_HASHING = true
test: export CHANNEL_PREFIX ?= callcenter-test
test: export CELERY_QUEUE ?= callcenter-test
test: $(VENV)/.dev
	$(PY) manage.py collectstatic --noinput -v0
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

fmt: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/static var/callcenter.sqlite3*

## messages: refresh the Persian catalogue after changing user-facing strings, then compile it
messages: $(VENV)/.dev
	DEBUG=true $(PY) manage.py makemessages -l fa --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	DEBUG=true $(PY) manage.py compilemessages -l fa --ignore=.venv

# --- benchmarks (issue 8): a database of their own, filled by `manage.py bench_data` -------------
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/callcenter_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
BENCH_RUNS ?= 3
LOAD_ARGS ?=

.PHONY: bench bench-load

## bench: every benchmark in bench/ on 1 M customers, 1 M tickets, 5 M calls; one table of DESIGN §5
bench: export DATABASE_URL = $(BENCH_DATABASE_URL)
bench: export REDIS_URL = $(BENCH_REDIS_URL)
bench: export BENCH_RUNS := $(BENCH_RUNS)
bench: $(VENV)/.runtime
	$(PY) bench/run_all.py

## bench-load: 50 desk agents, the simulator at 10x a busy floor, 20 wallboards (LOAD_ARGS="--duration 60")
bench-load: export DATABASE_URL = $(BENCH_DATABASE_URL)
bench-load: export REDIS_URL = $(BENCH_REDIS_URL)
# As bench/run_all.py gives the benchmarks: a key for this loopback run only, production settings.
bench-load: export SECRET_KEY ?= bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz
bench-load: export DEBUG = false
bench-load: $(VENV)/.runtime
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) bench/load.py $(LOAD_ARGS)
