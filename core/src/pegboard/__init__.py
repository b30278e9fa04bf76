"""pegboard: a WSGI core with hookpoints, and tools switched on per path.

The public surface is small: :class:`App`, the :class:`Tool` model and its
:class:`Hook`, the HTTP exceptions, the ``request``/``response`` context
proxies, the ``tools`` decorator namespace and pluggy's ``hookimpl`` marker.
"""

from ._version import __version__
from .app import App
from .config import Config, load_config
from .context import request, response
from .errors import ConfigError, HTTPError, HTTPRedirect, NotFound
from .hooks import HOOKPOINTS, Hook
from .hookspecs import hookimpl, hookspec
from .plans import Plan, PlanBuilder
from .request import Remote, Request
from .response import Response
from .tool import Tool, WrapperTool, tools

__all__ = [
    "HOOKPOINTS",
    "App",
    "Config",
    "ConfigError",
    "HTTPError",
    "HTTPRedirect",
    "Hook",
    "NotFound",
    "Plan",
    "PlanBuilder",
    "Remote",
    "Request",
    "Response",
    "Tool",
    "WrapperTool",
    "__version__",
    "hookimpl",
    "hookspec",
    "load_config",
    "request",
    "response",
    "tools",
]
