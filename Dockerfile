FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Exact versions with hashes (requirements/production.txt, `make lock`); nothing else is resolved at build time.
COPY requirements/production.txt requirements/production.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/production.txt
COPY . .
# Static files are collected at build time (hashed names, compressed), never when a container starts.
RUN DJANGO_SETTINGS_MODULE=config.settings.base python manage.py collectstatic --noinput
RUN useradd --create-home syllabus && chown -R syllabus /app
USER syllabus
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
