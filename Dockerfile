# The discount service: uvicorn serving app.main:create_app, production mode, as a non-root user.
#   docker build -t discount-service .
#   docker compose up        (with PostgreSQL 16; see docker-compose.yml and docs/operations.md)
# Two stages: the build stage installs the project into a virtual environment (pinned by
# constraints.txt); the runtime stage copies only that environment, so no compiler, pip cache
# or source tree ships.

ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY app ./app
# Not editable: the app, its migrations and GraphiQL's files go into the environment.
RUN /opt/venv/bin/pip install -c constraints.txt .

FROM ${PYTHON_IMAGE} AS runtime
RUN useradd --system --uid 10001 --user-group --home-dir /srv --shell /usr/sbin/nologin discounts
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DISCOUNTS_MODE=production \
    DISCOUNTS_LOG_FORMAT=json \
    DISCOUNTS_STATE_DIR=/tmp/discounts
USER 10001:10001
EXPOSE 8000
# Ready, not merely alive: the database answers and its migrations are at head.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "app.observability.healthcheck", "http://127.0.0.1:8000/readyz"]
CMD ["uvicorn", "app.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--no-access-log"]
