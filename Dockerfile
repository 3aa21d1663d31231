FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CHAT_HOST=0.0.0.0
WORKDIR /srv/chat

COPY pyproject.toml README.md ./
COPY app ./app
COPY sql ./sql
COPY migrations ./migrations
# Editable install: the service reads sql/ and migrations/ from beside the package.
RUN pip install --no-cache-dir -e . && useradd --create-home chat && chown -R chat /srv/chat
USER chat

EXPOSE 8000
STOPSIGNAL SIGTERM
CMD ["chat", "serve"]
