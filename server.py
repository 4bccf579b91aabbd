"""Composition root of the API process: `python server.py` serves http://127.0.0.1:8000/api."""

from __future__ import annotations

import logging
import os

import uvicorn

from api.app import create_app
from api.heap import settle

app = create_app()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settle()  # the app and everything it imported stay out of every later collection (api/heap.py)
    uvicorn.run(app, host=os.environ.get("STEPWISE_HOST", "127.0.0.1"),
                port=int(os.environ.get("STEPWISE_PORT", "8000")), log_level="warning",
                proxy_headers=True)
