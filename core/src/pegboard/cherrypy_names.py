"""CherryPy's config names and what each is in pegboard.

One table serves ``pegboard migrate-config`` (which rewrites a CherryPy
config) and ``pegboard check`` (which meets a CherryPy name in a pegboard
config and should name the pegboard equivalent, not a look-alike key).
The CherryPy side is CherryPy 18's: its server, request, response, log and
engine attributes, the options of every tool in ``cherrypy.tools``, and the
helpers a config names as values (``checkpassword_dict``, ``FileSession``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CHERRYPY_KEYS",
    "CHERRYPY_PREFIXES",
    "CHERRYPY_TOOLS",
    "CHERRYPY_VALUES",
    "Equivalent",
    "cherrypy_equivalent",
    "cherrypy_hint",
]


@dataclass(frozen=True, slots=True)
class Equivalent:
    """What a CherryPy config key is in pegboard.

    ``key`` is the pegboard key (None when pegboard has none); ``why`` says
    why there is none and what to do instead, or, with a key, what differs.
    """

    key: str | None
    why: str = ""


_TLS = "pegboard serve speaks plain HTTP: terminate TLS at a reverse proxy and use tools.proxy"
_ENGINE = (
    "pegboard has no engine bus: start-up and shut-down code goes in the "
    "pegboard_app_start/pegboard_app_stop plugin hooks"
)
_LOGGING = "pegboard logs through Python's logging: configure its handlers (logging.config)"
_DEBUG = (
    "pegboard tools have no debug switch: they log to Python loggers "
    "(tools.log_hooks.on = true lists the hooks each request ran)"
)

#: The options of every tool CherryPy 18 ships (``cherrypy.tools``), without ``on``,
#: ``priority`` and ``debug``. Keyword-only options of session stores, the cache and
#: the encoder are included (CherryPy passes them through ``**kwargs``).
CHERRYPY_TOOLS: Mapping[str, tuple[str, ...]] = {
    "accept": ("media",),
    "allow": ("methods",),
    "auth_basic": ("realm", "checkpassword", "accept_charset"),
    "auth_digest": ("realm", "get_ha1", "key", "accept_charset"),
    "autovary": ("ignore",),
    "caching": (
        "invalid_methods",
        "cache_class",
        "delay",
        "maxobj_size",
        "maxobjects",
        "maxsize",
        "antistampede_timeout",
        "expire_freq",
    ),
    "decode": ("encoding", "default_encoding"),
    "encode": ("encoding", "default_encoding", "errors", "text_only", "add_charset", "failmsg"),
    "err_redirect": ("url", "internal"),
    "etags": ("autotags",),
    "expires": ("secs", "force"),
    "flatten": (),
    "gzip": ("compress_level", "mime_types"),
    "ignore_headers": ("headers",),
    "json_in": ("content_type", "force", "processor"),
    "json_out": ("content_type", "handler"),
    "log_headers": (),
    "log_hooks": (),
    "log_tracebacks": ("severity",),
    "params": ("exception", "error"),
    "proxy": ("base", "local", "remote", "scheme"),
    "redirect": ("url", "internal"),
    "referer": ("pattern", "accept", "accept_missing", "error", "message"),
    "response_headers": ("headers",),
    "session_auth": (
        "session_key",
        "check_username_and_password",
        "anonymous",
        "on_login",
        "on_logout",
        "on_check",
        "login_screen",
        "do_login",
        "do_logout",
        "do_check",
    ),
    "sessions": (
        "storage_type",
        "storage_class",
        "storage_path",
        "servers",
        "path",
        "path_header",
        "name",
        "timeout",
        "domain",
        "secure",
        "clean_freq",
        "persistent",
        "httponly",
        "locking",
        "lock_timeout",
    ),
    "staticdir": ("section", "dir", "root", "match", "content_types", "index"),
    "staticfile": ("filename", "root", "match", "content_types"),
    "trailing_slash": ("missing", "extra", "status"),
    "xmlrpc": (),
    "cpstats": (),
}

#: Tool options that differ from CherryPy's (everything else keeps its name).
_TOOL_OPTIONS: dict[str, Equivalent] = {
    "tools.sessions.storage_class": Equivalent(
        "tools.sessions.storage_type",
        'a store name ("ram", "file", "memcached", "redis", "postgresql"), not a class',
    ),
    "tools.sessions.path_header": Equivalent(
        None, "the cookie path is tools.sessions.path; it is not read from a request header"
    ),
    "tools.sessions.lock_timeout": Equivalent(
        "tools.sessions.lock_timeout",
        "seconds, and always bounded: a request that waits longer gets a 503 "
        "(CherryPy's None waited forever)",
    ),
    "tools.sessions.httponly": Equivalent(
        "tools.sessions.httponly", "true by default in pegboard (CherryPy: false)"
    ),
    "tools.caching.cache_class": Equivalent(
        "tools.caching.backend",
        'a backend name ("memory", "redis", "memcached"), not a class',
    ),
    "tools.caching.expire_freq": Equivalent(
        None, "the memory cache drops expired entries as it goes; there is no sweep thread"
    ),
    "tools.encode.failmsg": Equivalent(
        None,
        "a body that cannot be encoded is a 500 through pegboard's error path; "
        "tools.encode.errors picks the codec's error handler",
    ),
    "tools.auth_digest.accept_charset": Equivalent(
        None, "user names are read as UTF-8, and RFC 7616's username* is understood"
    ),
    "tools.staticdir.section": Equivalent(
        None, "pegboard finds the section that set tools.staticdir.dir itself"
    ),
    "tools.staticdir.root": Equivalent(
        "tools.staticdir.root",
        "relative paths are taken from the config file's folder (CherryPy required "
        "an absolute root)",
    ),
    "tools.ignore_headers.headers": Equivalent(
        None, "no ignore_headers tool: a before_request_body hook can drop request headers"
    ),
    "tools.ignore_headers.on": Equivalent(
        None, "no ignore_headers tool: a before_request_body hook can drop request headers"
    ),
    "tools.session_auth.do_login": Equivalent(
        None, "the login form posts to do_login under the protected path; it is not configurable"
    ),
    "tools.session_auth.do_logout": Equivalent(
        None, "do_logout is answered under the protected path; it is not configurable"
    ),
    "tools.session_auth.do_check": Equivalent(
        None, "use tools.session_auth.on_check to run code on every checked request"
    ),
    "tools.session_auth.debug": Equivalent("tools.session_auth.debug"),
    "tools.cpstats.on": Equivalent(
        "tools.stats.on", "the stats tool of pegboard-stats (pip install 'pegboard[stats]')"
    ),
    "tools.cpstats.priority": Equivalent("tools.stats.priority"),
    "tools.xmlrpc.on": Equivalent(
        "tools.xmlrpc.on", "the xmlrpc tool of pegboard-xmlrpc (pip install 'pegboard[xmlrpc]')"
    ),
}

#: Exact CherryPy keys outside the tools namespace.
_OTHER_KEYS: dict[str, Equivalent] = {
    # server (cherrypy._cpserver.Server)
    "server.socket_host": Equivalent("server.host"),
    "server.socket_port": Equivalent("server.port"),
    "server.thread_pool": Equivalent("server.threads"),
    "server.bind_addr": Equivalent(None, "set server.host and server.port"),
    "server.max_request_body_size": Equivalent(
        "request.max_body_size",
        'bytes, in a path section (["/"] for the whole site); CherryPy\'s 0 meant '
        "no limit, pegboard always has one",
    ),
    "server.thread_pool_max": Equivalent(
        None,
        "pegboard serve runs a fixed pool of server.threads per process; "
        "add processes with server.workers",
    ),
    "server.socket_file": Equivalent(
        None, "pegboard serve binds a TCP address (server.host, server.port), not a Unix socket"
    ),
    "server.socket_queue_size": Equivalent(None, "the server's own listen backlog applies"),
    "server.socket_timeout": Equivalent(
        None,
        "the server's own connection timeouts apply; server.body_timeout bounds a "
        "stalled request body",
    ),
    "server.accepted_queue_size": Equivalent(None, "the server queues accepted connections itself"),
    "server.accepted_queue_timeout": Equivalent(
        None, "the server queues accepted connections itself"
    ),
    "server.shutdown_timeout": Equivalent(
        None, "pegboard serve gives in-flight requests 30 s to finish after SIGTERM"
    ),
    "server.protocol_version": Equivalent(None, "the server always speaks HTTP/1.1"),
    "server.nodelay": Equivalent(None, "TCP_NODELAY is the server's choice"),
    "server.max_request_header_size": Equivalent(None, "the server's own header limits apply"),
    "server.statistics": Equivalent(
        None, "request statistics come from pegboard-stats (tools.stats.on)"
    ),
    "server.instance": Equivalent(
        None, "pegboard serve picks its server with server.name (granian or waitress)"
    ),
    "server.httpserver": Equivalent(
        None, "pegboard serve picks its server with server.name (granian or waitress)"
    ),
    "server.wsgi_version": Equivalent(None, "a pegboard App is a WSGI 1.0 application"),
    "server.peercreds": Equivalent(None, "needs a Unix socket, which pegboard serve does not bind"),
    "server.peercreds_resolve": Equivalent(
        None, "needs a Unix socket, which pegboard serve does not bind"
    ),
    # engine (cherrypy.process.wspbus.Bus and its plugins)
    "engine.autoreload.on": Equivalent(
        None, "run `pegboard serve --reload` while developing; it is off otherwise"
    ),
    "engine.autoreload.frequency": Equivalent(
        None, "`pegboard serve --reload` watches code and config for changes itself"
    ),
    "engine.autoreload.match": Equivalent(
        None, "`pegboard serve --reload` watches code and config for changes itself"
    ),
    "engine.autoreload.files": Equivalent(
        None, "`pegboard serve --reload` watches code and config for changes itself"
    ),
    "engine.SIGHUP": Equivalent(None, "pegboard serve stops gracefully on SIGINT and SIGTERM"),
    "engine.SIGTERM": Equivalent(None, "pegboard serve stops gracefully on SIGINT and SIGTERM"),
    "engine.timeout_monitor.on": Equivalent(
        None, "there is no response timeout monitor (a handler runs to its end)"
    ),
    "engine.timeout_monitor.frequency": Equivalent(
        None, "there is no response timeout monitor (a handler runs to its end)"
    ),
    # log (cherrypy._cplogging.LogManager)
    "log.screen": Equivalent(None, _LOGGING + " (logging.basicConfig() prints to stderr)"),
    "log.access_file": Equivalent(
        "tools.access_log.on",
        "the access_log tool of pegboard-http logs to the 'pegboard.access' logger: "
        "send it to a file with a logging.FileHandler",
    ),
    "log.error_file": Equivalent(
        None,
        "errors go to the 'pegboard.error' logger: send it to a file with a logging.FileHandler",
    ),
    "log.access_log_format": Equivalent(
        "tools.access_log.format", '"combined", "common" or "json", not a format string'
    ),
    "log.wsgi": Equivalent(None, _LOGGING),
    "log.appid": Equivalent(None, _LOGGING),
    "log.logger_root": Equivalent(
        None, "pegboard's loggers are named 'pegboard.*' (pegboard.error, pegboard.access)"
    ),
    # request (cherrypy._cprequest.Request)
    "request.show_tracebacks": Equivalent(
        "request.show_tracebacks", "off by default in pegboard (CherryPy: on)"
    ),
    "request.process_request_body": Equivalent("request.process_request_body"),
    "request.show_mismatched_params": Equivalent(
        None,
        "with tools.params.on a missing or unconvertible parameter is a 400 naming it",
    ),
    "request.methods_with_bodies": Equivalent(
        None, "pegboard reads the body of any method that sends one"
    ),
    "request.dispatch": Equivalent(
        None,
        "pegboard routes in code with app.route(template, handler); a MethodDispatcher "
        "class becomes a resource with on_get/on_post/... routed the same way",
    ),
    "request.throw_errors": Equivalent(
        None, "errors always go through pegboard's error hookpoints (hooks.before_error_response)"
    ),
    "request.throws": Equivalent(
        None, "errors always go through pegboard's error hookpoints (hooks.before_error_response)"
    ),
    "request.error_response": Equivalent(
        None, "use error_page.default, or a hook at before_error_response"
    ),
    "request.error_page": Equivalent(None, "use error_page.<code> keys"),
    "request.query_string_encoding": Equivalent(
        None, "query strings are decoded as UTF-8 (invalid bytes get a 400)"
    ),
    "request.body.maxbytes": Equivalent("request.max_body_size"),
    "request.scheme": Equivalent(None, "behind a proxy, tools.proxy sets the scheme and base"),
    "request.base": Equivalent(None, "behind a proxy, tools.proxy.base sets it"),
    # response (cherrypy._cprequest.Response)
    "response.stream": Equivalent(
        None, "not needed: a handler that returns an iterable or a generator streams"
    ),
    "response.timeout": Equivalent(
        None, "there is no response timeout monitor (a handler runs to its end)"
    ),
    # the special key
    "environment": Equivalent(
        None,
        "pegboard's defaults are production's (no tracebacks to clients, no reloader); "
        "`pegboard serve --reload --debug` is the development mode",
    ),
}

#: Families of keys, matched by the longest prefix.
CHERRYPY_PREFIXES: Mapping[str, Equivalent] = {
    "server.ssl_": Equivalent(None, _TLS),
    "server.": Equivalent(
        None,
        "pegboard serve listens on one address (server.host, server.port); "
        "CherryPy's extra named servers and this setting have no equivalent",
    ),
    "engine.": Equivalent(None, _ENGINE),
    "log.": Equivalent(None, _LOGGING),
    "checker.": Equivalent(
        None, "pegboard always checks config when the app starts, and `pegboard check` does too"
    ),
    "wsgi.": Equivalent(
        None, "wrap the App in the middleware in code (application = Middleware(app))"
    ),
    "tree.": Equivalent(None, "mount other WSGI apps in code with app.mount(prefix, other_app)"),
    "request.body.": Equivalent(
        None, "pegboard parses the body itself; tools.decode chooses the charset of forms"
    ),
    "request.": Equivalent(None, "this Request attribute has no pegboard setting"),
    "response.headers.": Equivalent(
        "response.headers", 'one table of headers: response.headers = {Name = "value"}'
    ),
    "response.": Equivalent(None, "this Response attribute has no pegboard setting"),
    "tools.ignore_headers.": Equivalent(
        None, "no ignore_headers tool: a before_request_body hook can drop request headers"
    ),
    "tools.cpstats.": Equivalent(None, "pegboard-stats' stats tool takes its own options"),
    "tools.xmlrpc.": Equivalent(None, "pegboard-xmlrpc's xmlrpc tool takes its own options"),
}


def _tool_table() -> dict[str, Equivalent]:
    table: dict[str, Equivalent] = {}
    for tool, options in CHERRYPY_TOOLS.items():
        for option in ("on", "priority", *options):
            key = f"tools.{tool}.{option}"
            table[key] = _TOOL_OPTIONS.get(key, Equivalent(key))
        debug = f"tools.{tool}.debug"
        table[debug] = _TOOL_OPTIONS.get(debug, Equivalent(None, _DEBUG))
    for key, equivalent in _TOOL_OPTIONS.items():
        table.setdefault(key, equivalent)
    return table


#: Every CherryPy key this module knows, with its pegboard equivalent.
CHERRYPY_KEYS: Mapping[str, Equivalent] = {**_tool_table(), **_OTHER_KEYS}

#: Helpers, classes and dispatchers a CherryPy config names as values.
CHERRYPY_VALUES: Mapping[str, str] = {
    "checkpassword_dict": (
        "CherryPy's checkpassword_dict({user: password}) is "
        "tools.auth_basic.users = {user = password} in pegboard"
    ),
    "get_ha1_dict_plain": (
        "CherryPy's get_ha1_dict_plain({user: password}) is "
        "tools.auth_digest.users = {user = password} in pegboard"
    ),
    "get_ha1_dict": (
        "CherryPy's get_ha1_dict({user: ha1}) has no table form in pegboard: write the "
        "HA1s to an htdigest file (user:realm:ha1) and set tools.auth_digest.htdigest"
    ),
    "get_ha1_file_htdigest": (
        "CherryPy's get_ha1_file_htdigest(path) is tools.auth_digest.htdigest = path in pegboard"
    ),
    "RamSession": 'CherryPy\'s RamSession is tools.sessions.storage_type = "ram" in pegboard',
    "FileSession": 'CherryPy\'s FileSession is tools.sessions.storage_type = "file" in pegboard',
    "MemcachedSession": (
        'CherryPy\'s MemcachedSession is tools.sessions.storage_type = "memcached" in pegboard'
    ),
    "MemoryCache": 'CherryPy\'s MemoryCache is tools.caching.backend = "memory" in pegboard',
    "MethodDispatcher": (
        "CherryPy's MethodDispatcher is a resource with on_get/on_post/... methods in "
        "pegboard, routed with app.route(template, Resource())"
    ),
    "RoutesDispatcher": (
        "CherryPy's RoutesDispatcher is app.route(template, handler) in pegboard code"
    ),
    "VirtualHost": (
        "CherryPy's VirtualHost dispatcher has no pegboard equivalent: serve one App per "
        "host name behind a reverse proxy (request.allowed_hosts limits the names)"
    ),
    "XMLRPCDispatcher": (
        "CherryPy's XMLRPCDispatcher is tools.xmlrpc.on = true in pegboard (pegboard-xmlrpc)"
    ),
}


def cherrypy_equivalent(key: str) -> Equivalent | None:
    """The pegboard equivalent of CherryPy config ``key``, or None for a key CherryPy lacks.

    Keys of a tool CherryPy does not ship (a custom tool) are None too: the
    same name can be kept when the tool is ported.
    """
    found = CHERRYPY_KEYS.get(key)
    if found is not None:
        return found
    for prefix in sorted(CHERRYPY_PREFIXES, key=len, reverse=True):
        if key.startswith(prefix):
            return CHERRYPY_PREFIXES[prefix]
    return None


def _value_name(name: str) -> str:
    """``cherrypy.lib.auth_basic.checkpassword_dict`` (or ``mod:name()``) -> its last part."""
    return name.replace(":", ".").rstrip("()").rsplit(".", 1)[-1]


def _is_pegboard_key(key: str) -> bool:
    from .namespaces import GLOBAL_OPTIONS, REQUEST_OPTIONS, RESPONSE_OPTIONS

    ns, _, rest = key.partition(".")
    if rest in GLOBAL_OPTIONS.get(ns, {}) or key in _PEGBOARD_ONLY:
        return True
    return (ns == "request" and rest in REQUEST_OPTIONS) or (
        ns == "response" and rest in RESPONSE_OPTIONS
    )


#: pegboard keys that fall in a CherryPy family (``server.``) but are pegboard's own.
_PEGBOARD_ONLY = frozenset(
    {"server.body_timeout", "server.body_readers", "server.cpu_affinity", "request.allowed_hosts"}
)


def cherrypy_hint(name: str) -> str | None:
    """One line naming the pegboard equivalent of a CherryPy config key or helper.

    ``server.socket_port`` -> "CherryPy's server.socket_port is server.port in
    pegboard"; ``engine.autoreload.on`` says why there is none and what to do
    instead; a helper such as ``checkpassword_dict`` names the option that
    replaces it. None when ``name`` is no CherryPy name, or is the same in
    pegboard (then the key itself is fine, or wrong for another reason).
    """
    value_hint = CHERRYPY_VALUES.get(_value_name(name))
    if value_hint is not None:
        return value_hint
    if _is_pegboard_key(name):
        return None
    found = cherrypy_equivalent(name)
    if found is None:
        return None
    if found.key is None:
        return f"CherryPy's {name} has no pegboard equivalent: {found.why}"
    if found.key == name:
        return None
    detail = f": {found.why}" if found.why else ""
    return f"CherryPy's {name} is {found.key} in pegboard{detail}"
