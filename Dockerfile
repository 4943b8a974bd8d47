# Multi-stage: build wheels with the compiler, run as a non-root user without it.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    XZ_MEDIA_DIR=/srv/xiangzhi/var/media XZ_MIGRATE_ON_START=0 XZ_WORKERS=2
# The volunteer certificate is drawn in this CJK font.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 xiangzhi
WORKDIR /srv/xiangzhi
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
COPY alembic.ini ./
COPY alembic ./alembic
RUN mkdir -p var/media && chown -R xiangzhi:xiangzhi var
USER xiangzhi
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
# XZ_MIGRATE_ON_START=1 runs `xiangzhi migrate` first (one replica should do it, or a release job).
CMD ["sh", "-c", "if [ \"$XZ_MIGRATE_ON_START\" = 1 ]; then xiangzhi migrate; fi; exec xiangzhi serve --host 0.0.0.0 --port 8000 --workers \"$XZ_WORKERS\""]
