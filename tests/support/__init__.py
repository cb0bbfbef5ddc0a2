"""Test support: real servers (Alertmanager) and loopback helpers shared by the test suites."""
