"""The workflow interpreter: deterministic code only (no I/O, clock, randomness or fresh uuids;
tests/test_architecture.py checks the imports and calls; the workflow runs outside Temporal's sandbox).

Public modules: `engine.contract` (what the API and the worker agree on), `engine.guards` (the START
pre-condition check the API's start and validate-start share) and `engine.workflow` (the Temporal
workflow, imported by the worker).
"""
