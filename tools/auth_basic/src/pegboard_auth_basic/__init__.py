"""HTTP Basic authentication (RFC 7617) for pegboard: the ``auth_basic`` tool.

Switch it on per path with ``tools.auth_basic.on = true`` and a ``realm``;
credentials come from a dict (``users``), an Apache htpasswd file
(``htpasswd``) or a callable (``checkpassword``). See the package README for
every option.
"""

from __future__ import annotations

import pegboard

from .apr1 import apr1_hash
from .authenticator import BasicAuthenticator
from .htpasswd import HtpasswdError, HtpasswdFile
from .tool import BasicAuthOptions, BasicAuthTool

__all__ = [
    "BasicAuthOptions",
    "BasicAuthTool",
    "BasicAuthenticator",
    "HtpasswdError",
    "HtpasswdFile",
    "apr1_hash",
    "pegboard_tools",
]


@pegboard.hookimpl
def pegboard_tools() -> list[pegboard.Tool]:
    """The tool; the htpasswd files it loads live in each app's ``app.state``."""
    return [BasicAuthTool()]
