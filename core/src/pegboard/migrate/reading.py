"""Reading a CherryPy config as CherryPy does, without running the code in its values.

An INI file is parsed like CherryPy's ``reprconf.Parser`` (case kept,
``%(name)s`` interpolation, values as Python expressions); a dict comes from
a module. Names and calls in values stay :class:`Reference` and :class:`Call`
so the rules can recognise ``checkpassword_dict({...})`` or a store class.
"""

from __future__ import annotations

import ast
import configparser
import datetime
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["Call", "Opaque", "Reference", "describe", "is_data", "read_cherrypy_config"]

# -- values that a TOML file cannot hold as they are ---------------------------


@dataclass(frozen=True, slots=True)
class Reference:
    """A Python name in a value: ``myapp.hooks.check``, a function or a class.

    ``module`` is the importable module part when it is known (values of a
    Python config); for INI values it is found when the import string is made.
    """

    dotted: str
    module: str | None = None

    @property
    def name(self) -> str:
        return self.dotted.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        return self.dotted


@dataclass(frozen=True, slots=True)
class Call:
    """A call in a value, ``get_ha1_dict_plain({...})``, or an object built by one."""

    func: Reference
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [describe(a) for a in self.args]
        parts += [f"{k}={describe(v)}" for k, v in self.kwargs.items()]
        return f"{self.func}({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Opaque:
    """A Python expression or object no config file can hold (its source or repr)."""

    text: str

    def __str__(self) -> str:
        return self.text


def is_data(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_data(v) for k, v in value.items())
    return False


def describe(value: Any) -> str:
    text = str(value) if isinstance(value, Reference | Call | Opaque) else repr(value)
    return " ".join(text.split())


# -- reading CherryPy configs ----------------------------------------------------


def _from_ast(node: ast.expr, text: str) -> Any:
    """A value from CherryPy's ``unrepr`` grammar, without evaluating names or calls."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_from_ast(e, text) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        return {
            _from_ast(k, text) if k is not None else None: _from_ast(v, text)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _from_ast(node.operand, text)
        if isinstance(operand, int | float) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
        left, right = _from_ast(node.left, text), _from_ast(node.right, text)
        if is_data(left) and is_data(right):
            try:  # CherryPy's unrepr knows + and * (100 * 1024 * 1024)
                return left + right if isinstance(node.op, ast.Add) else left * right
            except TypeError:
                pass
    dotted = _dotted(node)
    if dotted is not None:
        return Reference(dotted)
    if isinstance(node, ast.Call):
        func = _dotted(node.func)
        if func is not None:
            args = tuple(_from_ast(a, text) for a in node.args)
            kwargs = {k.arg: _from_ast(k.value, text) for k in node.keywords if k.arg}
            return Call(Reference(func), args, kwargs)
    return Opaque(ast.get_source_segment(text, node) or ast.dump(node))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted(node.value)
        return f"{parent}.{node.attr}" if parent else None
    return None


def _unrepr(raw: str, section: str, key: str) -> Any:
    """CherryPy reads every INI value as a Python expression; the empty value is ''."""
    if not raw:
        return raw
    try:
        tree = ast.parse(raw, mode="eval")
    except SyntaxError:
        raise ConfigError(
            f"{raw!r} is not a Python value (CherryPy needs quotes around strings)",
            section=section,
            key=key,
        ) from None
    return _from_ast(tree.body, raw)


def _read_ini(path: Path) -> dict[str, dict[str, Any]]:
    # CherryPy's reprconf.Parser: a ConfigParser that keeps the case of keys and
    # interpolates %(name)s, so this reads exactly the files CherryPy reads.
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    try:
        with path.open(encoding="utf-8") as fh:
            parser.read_file(fh, source=str(path))
        return {
            section: {
                key: _unrepr(parser.get(section, key), section, key)
                for key in parser.options(section)
            }
            for section in parser.sections()
        }
    except configparser.Error as exc:
        raise ConfigError(f"{path}: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not a UTF-8 text file") from None


def _from_python(value: Any) -> Any:
    """A value of a Python config in the form INI values take (names kept as names)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_from_python(v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: _from_python(v) for k, v in value.items()}
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
        module = getattr(value, "__module__", None) or "builtins"
        qualname: str = getattr(value, "__qualname__", value.__name__)
        if qualname.endswith("<lambda>"):
            return Opaque(f"<lambda in {module}>")
        if "<locals>" in qualname and inspect.isfunction(value):
            # A helper's closure: checkpassword_dict({...}) is a function
            # whose only free variable is the dict it was given.
            outer = qualname.split(".<locals>", 1)[0]
            free = inspect.getclosurevars(value).nonlocals
            return Call(
                Reference(f"{module}.{outer}", module),
                tuple(_from_python(v) for v in free.values()),
            )
        return Reference(f"{module}.{qualname}", module)
    kind = type(value)
    return Call(Reference(f"{kind.__module__}.{kind.__qualname__}", kind.__module__))


def _python_sections(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A CherryPy dict: app config (paths -> dicts), global config (flat keys), or both."""
    sections: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and (key.startswith("/") or "." not in key):
            sections.setdefault(key, {}).update({k: _from_python(v) for k, v in value.items()})
        else:
            sections.setdefault("global", {})[key] = _from_python(value)
    return sections


def read_cherrypy_config(source: str) -> tuple[dict[str, dict[str, Any]], str]:
    """Read ``source`` as CherryPy would: an INI file, or ``module:NAME`` / ``file.py:NAME``.

    Returns the sections (``"global"``, ``"/path"``, or other names) and the
    name of the module a Python config came from ("" for an INI file).
    """
    path = Path(source)
    if path.is_file() and path.suffix != ".py":
        return _read_ini(path), ""
    location, sep, name = source.rpartition(":")
    if not sep or not name or not location:
        if path.suffix == ".py":
            raise ConfigError(f"name the config dict in {source}: {source}:NAME")
        raise ConfigError(f"config file {source!r} does not exist")
    from ..loading import load_target

    try:
        data = load_target(source)
    except SystemExit as exc:
        raise ConfigError(str(exc).removeprefix("pegboard: ")) from None
    except Exception as exc:
        raise ConfigError(f"importing {location} failed: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source} is a {type(data).__name__}, not a CherryPy config dict")
    module = location
    if location.endswith(".py") or "/" in location:
        module = Path(location).stem
    return _python_sections(data), module
