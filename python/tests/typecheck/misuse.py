"""Wrong uses of the API that the stubs must reject (test_typing.py expects errors on
exactly the lines marked ``# error``)."""

from __future__ import annotations

import necid


def misuse(c: necid.Client, a: necid.AsyncClient) -> None:
    c.register_subject(12345)  # error
    c.search(b"x", threshold="high")  # error
    c.list_subjects(dir="sideways")  # error
    page: necid.SearchResult = c.list_subjects()  # error
    reg = c.register_subject(b"x")
    reg.subject_id = "changed"  # error
    n: int = a.health()  # error
    c.create_gallery("g", size="big")  # error
    necid.Client(endpoint=5)  # error
