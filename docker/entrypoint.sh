#!/bin/sh
# Entry point of the portal image. The first argument is the role:
#   migrate     migrations, the signing key, the default host servers (once per deployment, first)
#   web         gunicorn on :8000
#   worker      Celery worker (all queues unless CELERY_QUEUES says otherwise)
#   beat        Celery beat with the database scheduler (run exactly one)
#   supervisor  the host-server plugin supervisor (run exactly one per PORTAL_VAR_DIR volume)
#   manage ...  any `python manage.py ...` command
# Anything else is executed as given.
set -eu
cd /app

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  migrate)
    python manage.py migrate --noinput
    python manage.py portal_key ensure
    python manage.py hostserver_ensure
    python manage.py check --deploy --fail-level ERROR
    ;;
  web)
    exec gunicorn --config docker/gunicorn.conf.py portal.wsgi:application "$@"
    ;;
  worker)
    exec celery -A portal worker --loglevel="${LOG_LEVEL:-INFO}" \
      --queues="${CELERY_QUEUES:-default,builds,scans}" \
      --concurrency="${CELERY_CONCURRENCY:-2}" "$@"
    ;;
  beat)
    exec celery -A portal beat --loglevel="${LOG_LEVEL:-INFO}" \
      --scheduler django_celery_beat.schedulers:DatabaseScheduler \
      --pidfile= "$@"
    ;;
  supervisor)
    exec python manage.py hostserver_supervisor "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
