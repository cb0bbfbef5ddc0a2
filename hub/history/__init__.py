"""Incident history as people read it: typed records, timeline lines, post-mortems, memory."""
