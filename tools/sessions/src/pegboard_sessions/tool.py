"""The ``sessions`` tool: the hooks it attaches, and its stores' life with the app."""

from __future__ import annotations

import pegboard

from .checks import check_serializer, check_store
from .options import SessionsOptions
from .serializers import get_serializer
from .session import Session, release_session
from .settings import SessionSetup
from .stores import app_stores, storage_config

__all__ = ["SessionsTool", "init_session", "save_session"]


class SessionsTool(pegboard.Tool[SessionsOptions]):
    """Server-side sessions: ``req.session``, a cookie, a store, and a per-session lock.

    The tool holds no state: an app's stores live in ``app.state.sessions``,
    made while its plans compile, opened by :meth:`start` and closed by
    :meth:`stop`.
    """

    hooks = (
        pegboard.HookDoc(
            "before_handler",
            10,
            does="gives the request its lazy session, `req.session`; with "
            '`locking = "early"` reads and locks it now',
        ),
        pegboard.HookDoc(
            "before_finalize",
            10,
            does="saves or touches the session, `Set-Cookie`, `Vary: Cookie`, then the lock goes",
        ),
        pegboard.HookDoc(
            "on_end_resource",
            50,
            does="releases a lock that `before_finalize` did not, after an error",
            failsafe=True,
        ),
        pegboard.HookDoc(
            "on_end_request",
            50,
            does="releases a lock taken while a streamed body was sent",
            failsafe=True,
            per_request=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("sessions", point="before_handler", priority=10, doc=self.__doc__)

    def check(self, options: SessionsOptions, section: str) -> None:
        check_serializer(options, section)

    def attach(self, plan: pegboard.PlanBuilder, options: SessionsOptions) -> None:
        if plan.app is None:
            raise TypeError("the sessions tool attaches to an app's plans (PlanBuilder.app)")
        stores = app_stores(plan.app)
        config = storage_config(options, plan.base_dir)
        check_store(config, stores.registry, plan.label)
        setup = SessionSetup(
            options=options,
            store=stores.handle_for(config, plan.label),
            serializer=get_serializer(options.serializer),
            timeout=options.timeout * 60.0,
            max_age=None if options.max_age is None else options.max_age * 60.0,
        )
        # PERF: a bound method, stored in the plan as it is: no wrapper to bind the setup.
        plan.add("before_handler", _SessionStart(setup).init_session, self.priority)
        plan.add("before_finalize", save_session, 10)
        plan.add("on_end_resource", release_session, 50, True)

    def start(self, app: pegboard.App) -> None:
        """Open the app's stores (a store that is down does not stop the app).

        Each store reports its health (``app.health()``, shown by the stats pages).
        """
        stores = app_stores(app)
        stores.open_all()
        for handle in stores.handles:
            app.add_health_probe(handle.name, handle.health)

    def stop(self, app: pegboard.App) -> None:
        """Close the app's stores and stop their cleanup threads."""
        stores = app_stores(app)
        for handle in stores.handles:
            app.remove_health_probe(handle.name)
        stores.close_all()


def init_session(req: pegboard.Request, resp: pegboard.Response, setup: SessionSetup) -> None:
    """before_handler, priority 10: give the request its (lazy) session."""
    _SessionStart(setup).init_session(req, resp)


class _SessionStart:
    """:func:`init_session` for one plan's setup, as the bound method the plan calls."""

    __slots__ = ("setup",)

    def __init__(self, setup: SessionSetup) -> None:
        self.setup = setup

    def init_session(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """before_handler, priority 10: give the request its (lazy) session."""
        setup = self.setup
        session = Session(req, setup)
        req.state.session = session
        req.session = session  # type: ignore[attr-defined]  # what handlers have always read
        if setup.options.locking == "early":
            session.load()


def save_session(req: pegboard.Request, resp: pegboard.Response) -> None:
    """before_finalize, priority 10: write the session back, set the cookie and ``Vary``."""
    # PERF: getattr() reads State's instance dict directly; State.get() is a method call more.
    session = getattr(req.state, "session", None)
    if isinstance(session, Session):
        # PERF: Session.save() inlined: a session the handler never read has nothing to do.
        data = session._data
        if data is not None:
            session._write_record(resp, data)
            if session._lock_id is not None:
                session._release_quietly()
