# The two commands of the README: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The address other devices reach: with HOST=0.0.0.0 (every interface), this machine's address on
# the local network (the one a UDP socket would leave by; nothing is sent), else HOST itself.
LAN_ADDRESS = $(shell $(PYTHON) -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("192.0.2.1", 9)); print(s.getsockname()[0])' 2>/dev/null || echo 127.0.0.1)
PUBLIC_HOST = $(if $(filter 0.0.0.0,$(HOST)),$(LAN_ADDRESS),$(HOST))
# Links that leave the site (SMS, email, calendar feeds, the QR codes phones scan) are built from
# SITE_URL; the demo's host list lets a phone on the network open the pages. Either may be overridden.
SITE_URL ?= http://$(PUBLIC_HOST):$(PORT)
ALLOWED_HOSTS ?= 127.0.0.1,localhost,$(PUBLIC_HOST)
DEMO_ENV = TONGXIN_DEMO=1 SITE_URL=$(SITE_URL) ALLOWED_HOSTS=$(ALLOWED_HOSTS)

.PHONY: run test lint typecheck check bench messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tongxin needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput -v 0
	$(DEMO_ENV) $(BIN)/python manage.py load_demo
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput -v 0
	@echo "Tongxin: $(SITE_URL)/   (Ctrl-C stops it)"
	@$(if $(filter 0.0.0.0,$(HOST)),echo "  on this machine also http://127.0.0.1:$(PORT)/; from a phone on the same network $(SITE_URL)/",true)
	$(DEMO_ENV) $(BIN)/uvicorn tongxin.asgi:application --host $(HOST) --port $(PORT) --lifespan off

test: $(VENV)/.installed-dev
	TONGXIN_TESTING=1 $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	TONGXIN_TESTING=1 $(BIN)/mypy .

check: lint typecheck test

# bench/chat.py starts its own uvicorn on 127.0.0.1 and opens 1,000 sockets to it. Without REDIS_URL
# (in-memory channel layer) it only reports; with REDIS_URL it exits 1 when its goal is missed, as
# fanout.py does on PostgreSQL, and on any layer when deliveries fail. Hence no "-" prefix.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/import_roster.py
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/surveys.py
	$(BIN)/python bench/chat.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/duty.py
	$(BIN)/python bench/guardrails.py
	@echo "Figures and how to read them: docs/benchmarks.md"

messages: $(VENV)/.installed-dev
	TONGXIN_TESTING=1 $(BIN)/python manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=var
	TONGXIN_TESTING=1 $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
