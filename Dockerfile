FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml dev.py ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt
COPY . .
RUN useradd --system --home /app trace && mkdir -p /app/var && chown -R trace /app/var
USER trace
EXPOSE 8000
# The repository root is the working directory, so `trace` is this project's package, not the standard library's.
CMD ["python", "-m", "web", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
