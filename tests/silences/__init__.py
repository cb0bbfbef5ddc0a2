"""Silences: API, muter, lifecycle, and the mirror into a real Alertmanager."""
