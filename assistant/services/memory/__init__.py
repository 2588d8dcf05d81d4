"""Long-term memory: remembered facts, their history and provenance, dedupe and recall."""
