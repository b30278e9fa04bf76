"""Finding the application object named on the command line."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

__all__ = ["LoadError", "load_target"]


class LoadError(Exception):
    """The target names no file, module or attribute: a mistake on the command line."""


def load_target(target: str) -> Any:
    """Load ``package.module:attr``, ``package.module`` or ``path/to/file.py[:attr]``.

    The attribute defaults to ``app``. A file's folder goes on ``sys.path`` so
    that the file can import its neighbours.
    """
    location, sep, attr = target.partition(":")
    if not sep and target.count(":") == 0:
        attr = "app"
    attr = attr or "app"
    if location.endswith(".py") or "/" in location or Path(location).is_file():
        path = Path(location).resolve()
        if not path.is_file():
            raise LoadError(f"no such file: {location} (relative paths start from {Path.cwd()})")
        folder = str(path.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        name = path.stem if path.stem not in sys.modules else f"_pegboard_app_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    else:
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        try:
            module = importlib.import_module(location)
        except ModuleNotFoundError as exc:
            if exc.name != location.split(".")[0] and exc.name != location:
                raise  # the module exists; something it imports does not
            raise LoadError(
                f"no module named {location!r}; run pegboard from the folder that holds it, "
                "or give the path of the .py file"
            ) from None
    try:
        obj = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise LoadError(
            f"{location} has no attribute {attr!r}; name it as {location}:NAME"
        ) from None
    return obj
