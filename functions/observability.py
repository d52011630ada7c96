"""Logging and metrics of the functions: powertools Logger for the core's loggers too, EMF metrics.

The core logs with the standard library (``logging.getLogger("stacsift.…")``); on Lambda those
records would go to a root handler at WARNING and lines such as "published generation N" would
be lost. :func:`function_logger` hands the ``stacsift`` logger tree the function's powertools
configuration, so that every line is structured JSON with the function's correlation id.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

NAMESPACE = "stacsift"


def function_logger(service: str) -> Logger:
    """The function's logger; the core's ``stacsift.*`` loggers log through it."""
    logger = Logger(service=service)
    logging.getLogger("stacsift")  # registered, so that its configuration can be copied
    copy_config_to_registered_loggers(source_logger=logger, include={"stacsift"})
    return logger


def function_metrics(service: str) -> Metrics:
    """EMF metrics in the ``stacsift`` namespace, flushed at the end of each invocation."""
    return Metrics(namespace=NAMESPACE, service=service)
