"""necid: the NEC ID face-biometrics SDK for Python.

Two clients over one Rust core (SigV4 signing, retries, validation and parsing all
happen there):

- :class:`Client` -- blocking; releases the GIL during every network call and can be
  shared by many threads.
- :class:`AsyncClient` -- asyncio; every operation returns an awaitable.

Both take the same keyword arguments, or come from the environment
(:meth:`Client.from_env`) or a profile (:meth:`Client.from_profile`)::

    import necid

    with necid.Client.from_env() as client:
        face = client.register_subject("face.jpg", tags=["staff"])
        hits = client.search("probe.jpg", threshold=7500)

Results are frozen dataclasses from :mod:`necid.models`; errors are subclasses of
:class:`NecIdError` from :mod:`necid.exceptions`.
"""

from __future__ import annotations

from . import exceptions, models
from ._logging import disable_logging, enable_logging
from ._necid import (
    AsyncClient,
    AsyncPageIterator,
    CallOptions,
    CancelToken,
    Client,
    PageIterator,
    __version__,
)
from .exceptions import *
from .models import *

__all__ = [
    "AsyncClient",
    "AsyncPageIterator",
    "CallOptions",
    "CancelToken",
    "Client",
    "PageIterator",
    "__version__",
    "disable_logging",
    "enable_logging",
    "exceptions",
    "models",
]
__all__ += exceptions.__all__
__all__ += models.__all__
