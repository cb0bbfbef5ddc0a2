"""alerthub: an async alert-routing and incident-response webhook hub."""

__version__ = "0.1.0"
