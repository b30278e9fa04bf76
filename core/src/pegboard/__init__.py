"""pegboard: a WSGI core with hookpoints, and tools switched on per path.

The public surface: :class:`App` and :func:`wrap` (tools around any WSGI
app); the tool-author API (:class:`Tool`, :class:`ToolOptions` and
:func:`option`, :class:`Hook`, :class:`HookDoc`, the plan builder,
:class:`State`); the request and response with their header and
cookie types; the HTTP exceptions; the ``request``/``response`` context
proxies; the ``tools`` decorator namespace; pluggy's ``hookimpl`` marker.
Tools import only these names (and the public modules ``pegboard.httputil``
and ``pegboard.testing``).
"""

from ._version import __version__
from .access import AccessRule, is_local_client
from .app import App
from .compiler import RoutePlans
from .config import Config, load_config
from .context import current_exchange, request, response
from .cookies import Cookie, parse_cookie_header
from .errors import (
    Answered,
    ConfigError,
    ConfigWarning,
    HTTPError,
    HTTPRedirect,
    NotFound,
    reason,
    status_line,
)
from .headers import RequestHeaders, ResponseHeaders
from .health import Health, HealthProbe
from .hooks import HOOKPOINTS, Hook
from .hookspecs import hookimpl, hookspec
from .options import Option, OptionError, ToolOptions, import_string, missing_extra, option
from .plans import HookWrapper, Plan, PlanBuilder
from .request import Remote, Request
from .response import Response
from .state import State
from .tool import HookDoc, Tool, WrapperTool, tools
from .wrapping import wrap

__all__ = [
    "HOOKPOINTS",
    "AccessRule",
    "Answered",
    "App",
    "Config",
    "ConfigError",
    "ConfigWarning",
    "Cookie",
    "HTTPError",
    "HTTPRedirect",
    "Health",
    "HealthProbe",
    "Hook",
    "HookDoc",
    "HookWrapper",
    "NotFound",
    "Option",
    "OptionError",
    "Plan",
    "PlanBuilder",
    "Remote",
    "Request",
    "RequestHeaders",
    "Response",
    "ResponseHeaders",
    "RoutePlans",
    "State",
    "Tool",
    "ToolOptions",
    "WrapperTool",
    "__version__",
    "current_exchange",
    "hookimpl",
    "hookspec",
    "import_string",
    "is_local_client",
    "load_config",
    "missing_extra",
    "option",
    "parse_cookie_header",
    "reason",
    "request",
    "response",
    "status_line",
    "tools",
    "wrap",
]
