"""START pre-conditions (docs/workflows.md, "START pre-conditions") for the API: the same rules, messages and
codes the engine uses, evaluated through a caller-supplied `evaluate` (the business-rules service, called
directly)."""

from engine._guards import Evaluate, start_entity_type, transition_entity_type, validate_start

__all__ = ["Evaluate", "start_entity_type", "transition_entity_type", "validate_start"]
