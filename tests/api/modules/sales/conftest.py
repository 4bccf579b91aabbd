"""The workflow engine's fixtures (a Temporal test server and a worker running the real interpreter), for
the order-approval scenarios."""

from tests.api.modules.workflows.conftest import engine, engine_queue, temporal_env  # noqa: F401 - fixtures
