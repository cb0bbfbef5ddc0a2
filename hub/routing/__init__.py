"""Alertmanager-compatible matchers, routing tree and inhibition, as pure functions.

Import from the submodules (``hub.routing.matchers``, ``.tree``, ``.inhibit``):
``hub.config.route`` imports the matchers, so this package stays import-free.
"""
