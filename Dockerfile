# One image for both the API (`python server.py`) and the worker (`python worker.py`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
# Bytecode is written once here: the running user cannot write /app, and PYTHONDONTWRITEBYTECODE would
# otherwise make every start (and every workflow sandbox import) compile the sources again.
RUN python -m compileall -q /app

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin stepwise \
    && mkdir -p /data \
    && chown stepwise /data
USER stepwise

# /data holds the generated JWT secret and the mail outbox (.eml files when no SMTP host is set);
# docker-compose.yml shares one volume there between the API and the workers.
ENV STEPWISE_DATA_DIR=/data \
    STEPWISE_HOST=0.0.0.0 \
    STEPWISE_PORT=8000

EXPOSE 8000
CMD ["python", "server.py"]
