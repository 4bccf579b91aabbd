"""Business Rules: rules, rule sets, execution logs, and running rules (API, workflows, domain events)."""
