# Debian bookworm's own Python 3.11, in a virtualenv built in one stage and copied into a second
# that has no pip cache, no build files and a non-root user. Builds with the classic builder too.
FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# Certificates a TLS-inspecting proxy on the way to PyPI needs (deploy/ca/README.md).
COPY deploy/ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
RUN python3 -m venv /opt/xiangzhi
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/xiangzhi/bin/pip install --no-cache-dir . && /opt/xiangzhi/bin/pip uninstall -y pip

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PATH=/opt/xiangzhi/bin:$PATH \
    XZ_MEDIA_DIR=/srv/xiangzhi/var/media XZ_MIGRATE_ON_START=0 XZ_WORKERS=2
# python3 for the virtualenv; ca-certificates for WeChat and S3 over TLS; the CJK font in which
# the volunteer certificate is drawn.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
COPY deploy/ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
COPY --from=build /opt/xiangzhi /opt/xiangzhi
RUN useradd --create-home --uid 10001 xiangzhi
WORKDIR /srv/xiangzhi
COPY alembic.ini ./
COPY alembic ./alembic
RUN mkdir -p var/media && chown -R xiangzhi:xiangzhi var
USER xiangzhi
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python3", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"]
# XZ_MIGRATE_ON_START=1 runs `xiangzhi migrate` first (one replica should do it, or a release job).
CMD ["sh", "-c", "if [ \"$XZ_MIGRATE_ON_START\" = 1 ]; then xiangzhi migrate; fi; exec xiangzhi serve --host 0.0.0.0 --port 8000 --workers \"$XZ_WORKERS\""]
