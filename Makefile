# AX Connect. `make demo` runs the product locally; `make test` runs the suite.
# Both set up .venv on first use; nothing else needs installing (PostgreSQL is embedded).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-packages test bench-scale demo demo-once lint typecheck check-deploy bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The browser tests drive Debian's chromium and the pooler tests run Debian's pgbouncer;
# install them on a fresh (root) CI machine.
SYSTEM_PACKAGES := chromium pgbouncer
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null || \
		[ -x /usr/sbin/$$p ] || echo $$p; done); \
	[ -z "$$missing" ] || [ "$$(id -u)" != 0 ] || \
		(apt-get update -qq && apt-get install -y -qq $$missing)

test: $(STAMP) system-packages
	$(BIN)/pytest -q

# AXC_DEVELOPMENT: the demo runs on development defaults (generated keys, the embedded
# database, the sandbox app), which production refuses.
demo: $(STAMP)
	AXC_DEVELOPMENT=1 $(BIN)/python manage.py demo

demo-once: $(STAMP)
	AXC_DEVELOPMENT=1 $(BIN)/python manage.py demo --once

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy .

# Production-like settings must pass Django's deployment checks. The URL is never
# connected to: it only keeps the embedded database from starting.
check-deploy: $(STAMP)
	DEBUG=0 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	AXC_ENCRYPTION_KEYS=$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	ALLOWED_HOSTS=admin.example.com,.example.com AXC_BASE_DOMAIN=example.com \
	DATABASE_URL=postgresql://axconnect@db.invalid/axconnect \
	GHL_CLIENT_ID=check-deploy-app GHL_CLIENT_SECRET=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))') \
	METRICS_TOKEN=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))') \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# The figures issue 8 asks for, against the sandboxes; prints a table, writes bench.json.
bench: $(STAMP)
	DJANGO_SETTINGS_MODULE=axconnect.settings AXC_DEVELOPMENT=1 $(BIN)/python -m bench --out bench.json

# Issue 17's figures at hundreds to thousands of practices; its own target (tens of
# minutes), never part of `make test`. Writes bench-scale.json.
bench-scale: $(STAMP) system-packages
	DJANGO_SETTINGS_MODULE=axconnect.settings AXC_DEVELOPMENT=1 $(BIN)/python -m bench.scale --out bench-scale.json

clean:
	rm -rf $(VENV) .localdb staticfiles
