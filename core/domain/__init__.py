"""Aggregates, events and value objects. Pure Python: imports nothing of farmgate outside itself."""
