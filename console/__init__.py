"""The browser console at `/console` (docs/console.md): a task inbox, definitions and instances, rendered on
the server with Jinja2 and a little JavaScript. It is a client of the public API (called in-process with the
signed-in user's cookie), so it sees and may do exactly what the API lets that user see and do."""

from console.app import mount

__all__ = ["mount"]
