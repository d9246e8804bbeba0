# One image for web, worker, beat and the simulator; the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app

# pg_dump for `manage.py backup`: Debian bookworm's client is PostgreSQL 15, the compose server's version.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic needs settings to load; this key exists only for the build step.
RUN SECRET_KEY=build-only-key python manage.py collectstatic --noinput -v0 \
 && useradd --create-home --uid 1000 callcenter \
 && mkdir -p /app/var/media && chown -R callcenter /app/var
USER callcenter

EXPOSE 8000
CMD ["uvicorn", "callcenter.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
