"""The ``stacsift`` command: the one place that wires the builder and the functions together."""
