# Two commands matter: `make run` (demo service on the embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install dev fonts run test lint openapi bench mock screenshots vendor clean

# `make run` needs only what serving needs; the test and lint tools come with `make test`.
$(BIN)/xiangzhi: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

DEV_STAMP := $(VENV)/.dev-tools
$(DEV_STAMP): $(BIN)/xiangzhi
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/xiangzhi
dev: $(DEV_STAMP)

# The mini-program package's tools (openapi-typescript, tsc), for its tests; needs Node.js 18+.
NPM_DEPS := miniprogram_contract/node_modules/.package-lock.json
$(NPM_DEPS): miniprogram_contract/package-lock.json
	npm ci --prefix miniprogram_contract --no-audit --no-fund --loglevel=error
	touch $@

# The CJK font the volunteer certificate is drawn in (Debian/Ubuntu; needs root).
CJK_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@test -f $(CJK_FONT) || (apt-get update -q && apt-get install -y -q fonts-wqy-microhei)

run: install
	$(BIN)/xiangzhi migrate
	$(BIN)/xiangzhi seed-demo
	$(BIN)/xiangzhi serve --host $(HOST) --port $(PORT)

test: dev $(NPM_DEPS)
	$(BIN)/pytest

lint: dev
	$(BIN)/ruff check app tests bench tools
	$(BIN)/ruff format --check app tests bench tools
	$(BIN)/mypy app

openapi: dev $(NPM_DEPS)
	$(BIN)/xiangzhi openapi --out miniprogram_contract/openapi.json
	npm run --prefix miniprogram_contract --silent types

# The contract's examples served without the backend, for front-end work.
MOCK_PORT ?= 8001
mock: install
	$(BIN)/xiangzhi mock --host $(HOST) --port $(MOCK_PORT)

# Every console page drawn with the demo town in Debian's Chromium, into docs/console/*.png.
screenshots: dev
	$(BIN)/python -m tools.screenshots --out docs/console

# The console's vendored scripts: checked against VENDOR.json, or (REFRESH=1) fetched again
# from the npm registry at the versions pinned there.
vendor: install
	$(BIN)/python -m app.console.vendor $(if $(REFRESH),--refresh,)

bench: dev
	$(BIN)/python -m bench.me

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
