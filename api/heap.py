"""The garbage collector of a long-running process (the API, the worker), once the process is set up."""

from __future__ import annotations

import gc


def settle() -> None:
    """Leave what the process created to set itself up (imported modules, models, routes, the app) out of every
    later garbage collection.

    CPython's full collection walks every tracked object, and a process that has imported the app tracks a few
    hundred thousand: one collection costs ~0.2 s of CPU here. Under load, requests and workflow tasks keep
    enough objects alive long enough to trigger one every few hundred of them (docs/benchmarks.md, the
    "start-up heap" row). Objects that live as long as the process never become garbage; `gc.freeze()` moves
    them to a generation no collection looks at, so a collection walks only what was created since. They are
    not freed any later than before: they were never going to be freed."""
    gc.collect()
    gc.freeze()
