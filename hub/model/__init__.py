"""Shared value types: what the rooms hand each other (outbox bodies, keys, label helpers)."""
