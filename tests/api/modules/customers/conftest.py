"""The workflow engine's fixtures (a Temporal test server and a worker running the real interpreter), for
the test of a customer starting a workflow through an event trigger."""

from tests.api.modules.workflows.conftest import engine, engine_queue, temporal_env  # noqa: F401 - fixtures
