FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends poppler-utils tesseract-ocr tesseract-ocr-tha \
    fonts-tlwg-laksaman-ttf && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY service ./service
COPY storage ./storage
COPY search ./search
COPY retention ./retention
RUN uv sync --frozen --no-dev
ENV SARABAN_DATA_DIR=/data PYTHAINLP_READ_ONLY=1 PYTHAINLP_OFFLINE=1 SARABAN_HOST=0.0.0.0
EXPOSE 8000
CMD ["uv", "run", "--no-dev", "saraban", "serve"]
