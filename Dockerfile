# The image: a wheel built in one stage, installed plainly (not editable) into a slim runtime
# in the next, run as a non-root user. tests/e2e/test_package.py runs the same two steps
# (wheel, then a plain install into a fresh venv) and tests/unit/test_deploy.py reads this file.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY sql ./sql
COPY migrations ./migrations
# The SQL and the migrations go inside the wheel (pyproject.toml, force-include).
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/chat/bin:$PATH \
    CHAT_HOST=0.0.0.0 CHAT_PORT=8000 CHAT_LOG_FORMAT=json
COPY --from=build /dist /dist
RUN python -m venv /opt/chat \
    && /opt/chat/bin/pip install --no-cache-dir /dist/*.whl \
    && rm -rf /dist \
    && useradd --create-home --uid 10001 chat
USER chat
WORKDIR /home/chat
EXPOSE 8000
# chat serve drains on SIGTERM: every /chat connection is closed with 1001 before it exits.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = f\"http://127.0.0.1:{os.environ.get('CHAT_PORT', '8000')}/ready\"; sys.exit(urllib.request.urlopen(url, timeout=2).status != 200)"]
CMD ["chat", "serve"]
