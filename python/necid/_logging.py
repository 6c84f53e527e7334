"""The bridge from the SDK's log events (its Rust core's ``tracing``) to :mod:`logging`."""

from __future__ import annotations

import logging
from typing import Union

from . import _necid

LOGGER = logging.getLogger("necid")
_TRACE = 5

# The core's levels (1 error ... 5 trace) as logging's.
_TO_LOGGING = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: _TRACE}


def _core_level(level: int) -> str:
    if level <= _TRACE:
        return "trace"
    if level <= logging.DEBUG:
        return "debug"
    if level <= logging.INFO:
        return "info"
    if level <= logging.WARNING:
        return "warn"
    return "error"


def _emit(level: int, target: str, message: str) -> None:
    py_level = _TO_LOGGING.get(level, logging.DEBUG)
    if LOGGER.isEnabledFor(py_level):
        LOGGER.log(py_level, "%s", message, extra={"necid_target": target})


def enable_logging(level: Union[int, str, None] = None) -> None:
    """Forward the SDK's log events to the ``necid`` logger (:func:`logging.getLogger`).

    ``level`` (a :mod:`logging` level or its name; default: the ``necid`` logger's
    effective level) is the lowest level the SDK formats and forwards; the logger and its
    handlers then filter as usual. Events: retries (INFO), every response and failure with
    its request id (DEBUG), a clock-skew correction (WARNING). Secrets never appear in
    them. Off by default: until this is called the SDK formats nothing.
    """
    if level is None:
        level = LOGGER.getEffectiveLevel()
    if isinstance(level, str):
        named = logging.getLevelName(level.upper())
        if not isinstance(named, int):
            raise ValueError(f"unknown logging level {level!r}")
        level = named
    _necid._set_log_bridge(_core_level(level), _emit)


def disable_logging() -> None:
    """Stop forwarding the SDK's log events (see :func:`enable_logging`)."""
    _necid._set_log_bridge("off", None)
