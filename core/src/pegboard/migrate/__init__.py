"""Rewriting a CherryPy config as pegboard TOML: ``pegboard migrate-config``.

A CherryPy config is read the way CherryPy reads it (an INI file whose values
are Python expressions, or a dict in a Python module) but never evaluated
(:mod:`.reading`); each key is mapped by the rules (:mod:`.rules`) with the
names of :mod:`pegboard.cherrypy_names`, and written as TOML with a comment
on every key pegboard has no equivalent for (:mod:`.output`).
"""

from .output import Migration
from .reading import Call, Opaque, Reference, read_cherrypy_config
from .rules import migrate, migrate_source

__all__ = [
    "Call",
    "Migration",
    "Opaque",
    "Reference",
    "migrate",
    "migrate_source",
    "read_cherrypy_config",
]
