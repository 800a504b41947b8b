# syntax=docker/dockerfile:1
# The triage services: one image, `triage intake|queue|notifier` picks the service.
# Build:  make image   (docker build -t registry.example.se/triage/triage:0.1.0 .)
#
# Base image pinned by tag. Next step for reproducible builds: pin by digest as well
# (python:3.11-slim-bookworm@sha256:...) and let a bot (Renovate/Dependabot) bump it.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: install the project and its pinned dependencies into a venv -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/triage
# Dependencies first (cached while only code changes); every version comes from constraints.txt.
COPY pyproject.toml constraints.txt README.md ./
COPY proto ./proto
COPY services ./services
RUN /opt/triage/bin/pip install --no-cache-dir -c constraints.txt . \
 && /opt/triage/bin/pip check \
 && /opt/triage/bin/python -m compileall -q /opt/triage/lib

# ---- runtime: no compilers, no pip cache, no root ----------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="triage" \
      org.opencontainers.image.description="Event-sourced priority-queue services for digital triage" \
      org.opencontainers.image.source="deploy/k8s (manifests reference registry.example.se/triage/triage)"
# uid/gid 10001 = runAsUser/runAsGroup in deploy/k8s (a test keeps them equal).
RUN groupadd --system --gid 10001 triage \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin triage \
 && mkdir -p /app/var \
 && chown 10001:10001 /app/var
COPY --from=build /opt/triage /opt/triage
ENV PATH=/opt/triage/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
USER 10001:10001
# intake 8080, queue 6066, notifier 8082
EXPOSE 8080 6066 8082
ENTRYPOINT ["triage"]
CMD ["--help"]
