"""Pure decisions of the pipeline: no I/O, injected time, each returning a named outcome."""
