# The image docker-compose.yml runs for web, worker and beat.
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext make \
    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
# Same layout as `make install`: a virtualenv in .venv, so the Procfile's commands work unchanged.
RUN python -m venv .venv && .venv/bin/pip install -r requirements.txt
COPY . .
RUN .venv/bin/python manage.py compilemessages --ignore=.venv --verbosity 0 \
    && SECRET_KEY=build-only-not-secret .venv/bin/python manage.py collectstatic --noinput --verbosity 0
EXPOSE 8000
CMD [".venv/bin/gunicorn", "kalm.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
