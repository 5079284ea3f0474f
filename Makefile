# boss-bot developer entry points. `make setup` then `make test` on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
UV_VERSION ?= 0.13.8
PY ?= python3
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup system-deps test lint format run docs screenshots clean

# uv comes from the lock itself (dev group), bootstrapped into .venv with pip, so no global install
# is needed and the version is the tested one.
setup: system-deps
	@test -x $(VENV)/bin/python || $(PY) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv sync --frozen --python $(VENV)/bin/python
	@$(VENV)/bin/bossctl --help >/dev/null && echo "setup ok: $(VENV)/bin/bossctl is ready"

# System tools: ffmpeg/ffprobe (the core), redis-server and PostgreSQL (the distributed mode and
# its tests start their own throwaway servers), Debian's chromium and chromedriver (the
# dashboard's browser test: a browser a test tool downloads itself does not work on these
# machines). Installed from apt only when missing.
system-deps:
	@pkgs=""; \
	  command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || pkgs="$$pkgs ffmpeg"; \
	  test -x /usr/bin/chromium || pkgs="$$pkgs chromium"; \
	  test -x /usr/bin/chromedriver || pkgs="$$pkgs chromium-driver"; \
	  command -v redis-server >/dev/null || pkgs="$$pkgs redis-server"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs="$$pkgs postgresql"; \
	  $(PY) -c 'import ensurepip, venv' 2>/dev/null || pkgs="$$pkgs python3-venv"; \
	  if [ -n "$$pkgs" ]; then \
	    echo "installing:$$pkgs (apt)"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$pkgs; \
	  fi

test:
	$(VENV)/bin/python -m pytest -q

lint:
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

format:
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

run:
	$(VENV)/bin/bossctl run

# docs/configuration.md and .env.sample, generated from BossSettings (a test keeps them equal)
docs:
	$(VENV)/bin/python -m boss_bot.core.config_docs

# docs/img/dashboard-*.png, taken by the dashboard's browser test (it writes them to
# tests/artefacts/ otherwise)
screenshots:
	BOSS_DOCS_SCREENSHOTS=1 $(VENV)/bin/python -m pytest -q tests/web/test_browser.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
