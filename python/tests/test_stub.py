"""The stub ``necid/_necid.pyi`` agrees with the compiled module ``necid._necid``.

For every class the stub declares: the same public names (methods and properties), the
same protocol methods, and for every method the same parameters in the same order, of
the same kinds, with the same defaults (``None``, or that there is one: PyO3's text
signature shows other defaults as ``...``). The constructors' ``**kwargs`` are the
stub's ``Unpack[_Options]`` (``_Settings`` plus ``credentials_provider``), whose
settings ``tests/e2e/tests/surfaces.rs`` checks against the core's settings table.
``AsyncClient``'s operations are ``Client``'s with ``Awaitable[...]`` results.
"""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path
from typing import Any

import necid._necid as native

STUB = Path(__file__).resolve().parents[1] / "necid" / "_necid.pyi"

#: Protocol methods the stub must declare when the class has them (and vice versa).
PROTOCOL = {
    "__init__",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
    "__iter__",
    "__next__",
    "__aiter__",
    "__anext__",
}


class _Any:
    """A stub default written ``...``: any default."""

    def __repr__(self) -> str:
        return "..."


ANY = _Any()
Param = tuple[str, Any, Any]  # name, kind, default


def stub_classes(source: str) -> dict[str, dict[str, ast.FunctionDef]]:
    tree = ast.parse(source)
    classes: dict[str, dict[str, ast.FunctionDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            classes[node.name] = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    return classes


def is_property(f: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)


def stub_default(node: ast.expr | None) -> Any:
    if node is None:
        return inspect.Parameter.empty
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return ANY
    return ast.literal_eval(node)


def stub_params(f: ast.FunctionDef) -> list[Param]:
    a = f.args
    P = inspect.Parameter
    positional = a.posonlyargs + a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults += a.defaults
    params: list[Param] = []
    for i, (arg, d) in enumerate(zip(positional, defaults)):
        kind = P.POSITIONAL_ONLY if i < len(a.posonlyargs) else P.POSITIONAL_OR_KEYWORD
        params.append((arg.arg, kind, stub_default(d)))
    if a.vararg:
        params.append((a.vararg.arg, P.VAR_POSITIONAL, P.empty))
    for arg, kw_default in zip(a.kwonlyargs, a.kw_defaults):
        params.append((arg.arg, P.KEYWORD_ONLY, stub_default(kw_default)))
    if a.kwarg:
        params.append((a.kwarg.arg, P.VAR_KEYWORD, P.empty))
    if params and params[0][0] in ("self", "cls"):
        params = params[1:]
    return params


def native_params(obj: Any) -> list[Param]:
    sig = inspect.signature(obj)
    params = [(p.name, p.kind, p.default) for p in sig.parameters.values()]
    if params and params[0][0].lstrip("$") in ("self", "cls"):
        params = params[1:]
    return params


def compare(where: str, stub: list[Param], compiled: list[Param]) -> list[str]:
    P = inspect.Parameter
    problems: list[str] = []
    # The extension's *args (``__exit__``) takes the stub's positional parameters.
    if compiled and compiled[-1][1] is P.VAR_POSITIONAL:
        compiled = compiled[:-1]
        stub = [p for p in stub if p[1] is not P.POSITIONAL_OR_KEYWORD]
    if [(n, k) for n, k, _ in stub] != [(n, k) for n, k, _ in compiled]:
        problems.append(
            f"{where}: parameters differ: stub {[(n, str(k)) for n, k, _ in stub]} "
            f"vs extension {[(n, str(k)) for n, k, _ in compiled]}"
        )
        return problems
    for (name, _, sd), (_, _, cd) in zip(stub, compiled):
        # PyO3 writes a default other than None as `...` in the text signature: then the
        # stub must give a default, and its value comes from the same operation table.
        if sd is ANY or cd is Ellipsis:
            if cd is P.empty:
                problems.append(f"{where}: {name} has a default in the stub only")
        elif sd != cd or type(sd) is not type(cd):
            problems.append(f"{where}: default of {name}: stub {sd!r} vs extension {cd!r}")
    return problems


def check(source: str) -> list[str]:
    """Every disagreement between the stub `source` and the compiled module."""
    problems: list[str] = []
    classes = stub_classes(source)
    for class_name in ("Client", "AsyncClient", "PageIterator", "AsyncPageIterator"):
        if class_name not in classes:
            problems.append(f"the stub lacks class {class_name}")
    for class_name, methods in classes.items():
        if class_name.startswith("_"):
            continue  # stub-only helpers (the settings TypedDict)
        cls = getattr(native, class_name, None)
        if cls is None:
            problems.append(f"the extension has no class {class_name}")
            continue
        own = vars(cls)
        compiled_public = {n for n in own if not n.startswith("_")}
        stub_public = {n for n in methods if not n.startswith("_")}
        for n in sorted(compiled_public - stub_public):
            problems.append(f"{class_name}.{n} is not in the stub")
        for n in sorted(stub_public - compiled_public):
            problems.append(f"{class_name}.{n} is in the stub, not in the extension")
        compiled_protocol = {n for n in own if n in PROTOCOL}
        constructible = getattr(cls, "__text_signature__", None) is not None
        if constructible:
            compiled_protocol.add("__init__")
        elif sys.version_info < (3, 10) and "__init__" in methods:
            # CPython 3.9 gives extension classes no text signature: the constructor is
            # checked by the run on the newer Python only.
            compiled_protocol.add("__init__")
        stub_protocol = {n for n in methods if n in PROTOCOL}
        if compiled_protocol != stub_protocol:
            problems.append(
                f"{class_name}: protocol methods differ: stub {sorted(stub_protocol)} "
                f"vs extension {sorted(compiled_protocol)}"
            )
        for name, f in methods.items():
            if name not in own and not (name == "__init__" and constructible):
                continue
            descriptor = own.get(name)
            if is_property(f):
                if type(descriptor).__name__ != "getset_descriptor":
                    problems.append(f"{class_name}.{name}: a property in the stub only")
                continue
            if type(descriptor).__name__ == "getset_descriptor":
                problems.append(f"{class_name}.{name}: a property in the extension only")
                continue
            target = cls if name == "__init__" else getattr(cls, name)
            problems += compare(f"{class_name}.{name}", stub_params(f), native_params(target))
    problems += check_async_results(classes)
    return problems


def check_async_results(classes: dict[str, dict[str, ast.FunctionDef]]) -> list[str]:
    """AsyncClient's operations return Awaitable[what Client's return]."""
    problems: list[str] = []
    sync, asyn = classes.get("Client", {}), classes.get("AsyncClient", {})
    for name, f in sync.items():
        g = asyn.get(name)
        if name.startswith("_") or g is None or is_property(f) or f.returns is None:
            continue
        plain = ast.unparse(f.returns)
        got = ast.unparse(g.returns) if g.returns else "None"
        wanted = {f"Awaitable[{plain}]"}
        if name in ("sign_request", "close"):
            wanted = {plain}
        if name.endswith("_paginator"):
            wanted = {plain.replace("PageIterator", "AsyncPageIterator")}
        if name in ("from_env", "from_profile"):
            wanted = {plain}
        if got not in wanted:
            problems.append(f"AsyncClient.{name} returns {got}, expected {sorted(wanted)}")
    return problems


def test_stub_matches_the_extension() -> None:
    problems = check(STUB.read_text())
    assert not problems, "\n".join(problems)


def test_the_check_finds_disagreements() -> None:
    # The check itself can fail: a renamed parameter, a changed default, a missing
    # operation, a keyword that became positional and a sync result in the async class.
    source = STUB.read_text()
    mutations = {
        "def delete_tag(self, name: str, *,": "def delete_tag(self, tag: str, *,",
        "batch_id: str,\n        paging_id: Optional[str] = None": (
            'batch_id: str,\n        paging_id: Optional[str] = "first"'
        ),
        "    def health(self, *, options: Optional[CallOptions] = None) -> Health: ...\n": "",
        "probe: ImageInput,\n        *,\n        threshold": (
            "probe: ImageInput,\n        threshold"
        ),
        "-> Awaitable[ResultList[Tag]]": "-> ResultList[Tag]",
    }
    for old, new in mutations.items():
        assert old in source, old
        problems = check(source.replace(old, new, 1))
        assert problems, f"no problem found after replacing {old!r}"
