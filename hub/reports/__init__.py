"""Reports derived from the incident history: pure builders over numbers the store counts."""
