# callauth: web site + FastAGI server (+ AMI client) in one process.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml setup.cfg README.md ./
COPY callauth ./callauth
COPY db ./db
COPY ivr ./ivr
COPY web ./web
RUN pip install --no-cache-dir . \
    && useradd --system --home-dir /data callauth \
    && mkdir -p /data && chown callauth /data

USER callauth
VOLUME /data
# The database: this file, or a postgresql:// URL (several instances on one database).
ENV CALLAUTH_DB=/data/callauth.db
# Web (--http) and FastAGI (--agi). Asterisk must reach 4573; keep 8080 behind your proxy.
EXPOSE 8080 4573
HEALTHCHECK --interval=30s --timeout=5s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["callauth", "serve", "--http", "0.0.0.0:8080", "--agi", "127.0.0.1:4573"]
