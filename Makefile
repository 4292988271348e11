# Agora — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
JANUS_PORT ?= 8088
HOST ?= 127.0.0.1
DEMO_PASSWORD ?= agora-demo
# Test workers (pytest-xdist): two share the cores of a CI machine; TEST_WORKERS=0 runs the
# suite in this one process.
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-stamp
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

.PHONY: install run test lint typecheck messages translations frontend clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(STAMP)
	$(BIN)/python -m config.i18n compile $<

translations: $(MO_FILES)

# The co-writing editor (Tiptap + Yjs) is built from frontend/ into static/drafts/ (not
# committed): npm installs the locked packages, esbuild bundles them. Node ≥ 18 needed.
NODE_STAMP := frontend/node_modules/.installed-stamp
EDITOR_BUNDLE := static/drafts/editor.js
# The Janus client of calls (janus-gateway + webrtc-adapter) is bundled the same way.
CALLS_BUNDLE := static/calls/janus.js
# The idea wall (frontend/src/walls) is bundled the same way.
WALL_BUNDLE := static/walls/wall.js
# The whiteboard (Excalidraw + React + Yjs), with Excalidraw's fonts, into static/boards/.
BOARD_BUNDLE := static/boards/board.js

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(EDITOR_BUNDLE) $(CALLS_BUNDLE) $(WALL_BUNDLE) $(BOARD_BUNDLE) &: $(NODE_STAMP) frontend/build.mjs $(wildcard frontend/src/* frontend/src/calls/* frontend/src/walls/* frontend/src/board/*)
	npm run --prefix frontend --silent build

frontend: $(EDITOR_BUNDLE) $(CALLS_BUNDLE) $(WALL_BUNDLE) $(BOARD_BUNDLE)

run: install translations frontend
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"
	$(BIN)/python manage.py gdpr_retention --schedule
	$(BIN)/python manage.py forums_digest --schedule
	$(BIN)/python manage.py session_reminders --schedule
	$(BIN)/python manage.py deadline_reminders --schedule
	$(BIN)/python manage.py seat_offers --schedule
	@case "$$(echo "$$AGORA_TRAINING_MODE" | tr A-Z a-z)" in 1|true|yes|on) \
		$(BIN)/python manage.py training_reset --schedule ;; esac
	@echo ""
	@echo "  Agora est prêt : http://$(HOST):$(PORT)/"
	@echo "  Connectez-vous avec membre001@example.org / $(DEMO_PASSWORD)"
	@echo "  (autres comptes de démonstration : voir README.md)"
	@echo ""
	@# The background worker (access copies, retention, reminders) runs beside daphne, and
	@# Janus (audio and video of large calls, calls/mediaserver.py) when it is installed.
	$(BIN)/python manage.py db_worker --interval 1 & worker=$$!; \
	janus=; janus_url=; \
	if command -v janus >/dev/null 2>&1; then \
		start_janus=$$($(BIN)/python manage.py janus_config --http-port $(JANUS_PORT) --print-command); \
		$$start_janus & janus=$$!; \
		janus_url="http://$(HOST):$(JANUS_PORT)/janus"; \
	else \
		echo "  Janus n'est pas installé : les appels restent en pair à pair, jusqu'à 6 personnes"; \
		echo "  (pour les grandes réunions : apt-get install janus, puis relancez make run)."; \
	fi; \
	trap 'kill $$worker $$janus 2>/dev/null' EXIT INT TERM; \
	CALLS_JANUS_URL="$${CALLS_JANUS_URL-$$janus_url}" CALLS_JANUS_HTTP_PORT=$(JANUS_PORT) \
	$(BIN)/daphne -b $(HOST) -p $(PORT) --websocket-max-message-size 1048576 --websocket-max-frame-size 1048576 --websocket_connect_timeout 30 config.asgi:application

test: install translations frontend
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy .

# Re-extract strings from the code (needs GNU gettext's xgettext), then translate the .po.
messages: install
	$(BIN)/python manage.py makemessages --locale fr --locale en --ignore ".venv/*" --ignore "var/*" --no-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache static/drafts static/calls static/boards frontend/node_modules
