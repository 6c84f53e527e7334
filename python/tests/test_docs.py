"""Every public name of the package has a docstring."""

from __future__ import annotations

import inspect

import necid


def test_every_public_name_is_documented() -> None:
    missing: list[str] = []
    assert necid.__doc__
    for name in necid.__all__:
        obj = getattr(necid, name)
        if name == "__version__":
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_") and attr not in (
                    "__enter__",
                    "__exit__",
                    "__aenter__",
                    "__aexit__",
                    "__iter__",
                    "__next__",
                    "__aiter__",
                    "__anext__",
                ):
                    continue
                if (
                    callable(value)
                    or isinstance(value, (property, classmethod))
                    or (type(value).__name__ == "getset_descriptor")
                ):
                    doc = getattr(value, "__doc__", None) or ""
                    if not doc.strip():
                        missing.append(f"{name}.{attr}")
    assert not missing, f"undocumented: {missing}"
