"""Every side effect the workflow engine needs, as Temporal activities:
`run_activity` (the seven definition activity types), `project` (the SQL projection, a local activity)
and `evaluate_guard` (business rules as workflow guards, a local activity). The worker registers them
by importing these modules; the engine calls them by name (`engine.contract`)."""
