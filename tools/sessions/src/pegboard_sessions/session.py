"""The per-request session: a lazy, dict-like view of one record, and its lock."""

from __future__ import annotations

import logging
import math
import time
import weakref
from collections.abc import Iterator, MutableMapping
from typing import Any

import pegboard

from .errors import LockTimeout, StorageUnavailable
from .ids import ID_PATTERN, new_id
from .settings import SessionSetup
from .storage.base import Storage

__all__ = ["Session", "release_session", "session_of"]

_log = logging.getLogger("pegboard_sessions")
# PERF: the compiled pattern's method, not is_valid_id(): one Python call less per request.
_valid_id = ID_PATTERN.fullmatch

_UNAVAILABLE = "The session store is unavailable; please try again shortly."
_ENDED = (
    "this session's request has ended; use req.session while its request runs, not kept for later"
)


class _Unshared:
    """The lock token of an id this request made: no other request can know it yet."""

    __slots__ = ()


#: ``acquire_lock()`` on a new id locks nothing in the store (it cannot be contended).
_UNSHARED: Any = _Unshared()


def _record_parts(record: Any) -> tuple[float | None, dict[str, Any] | None]:
    """A decoded record's creation time and data, or ``(None, None)`` if it is not one.

    Exact types are checked inline by the caller; this accepts their subclasses
    (what another serializer may give back). An int (whole seconds) or a float
    is written back as read.
    """
    if not isinstance(record, dict):
        return None, None
    created, data = record.get("c"), record.get("d")
    if isinstance(created, (int, float)) and isinstance(data, dict):
        return created, data
    return None, None


def _creation_time(setup: SessionSetup) -> float:
    """When a session starts, as its record keeps it (``"c"``).

    PERF: without ``max_age`` the time only waits for the day max_age is set, so
    whole seconds do: an int is written and read back in a fraction of the time a
    float takes (its shortest repr, then strtod), on every request that writes.
    """
    now = time.time()
    return now if setup.max_age is not None else int(now)


def _unavailable(exc: StorageUnavailable, store: Any) -> pegboard.HTTPError:
    _log.warning("session store unavailable: %s", exc)
    store.failed(exc)  # for the health the app reports (status pages)
    return pegboard.HTTPError(503, _UNAVAILABLE, headers={"Retry-After": "1"})


class Session(MutableMapping[str, Any]):
    """``req.session``: the session of one request, read from the store on first use.

    Nothing touches the store until the handler reads or writes the session
    (or ``locking = "early"``). With implicit locking, the first access locks
    the session until the request ends. The record is written back in
    ``before_finalize`` only if its data changed (nested changes included);
    otherwise its idle expiry is renewed. An id the client sends that the
    store does not know is never adopted: the session gets a fresh id.
    """

    __slots__ = (
        "_adopted",
        "_created",
        "_data",
        "_id",
        "_lock_id",
        "_lock_token",
        "_release_attached",
        "_renewed",
        "_req",
        "_resource_ended",
        "_setup",
        "_store",
        "_stored",
        "_want_lock",
    )

    def __init__(self, req: pegboard.Request, setup: SessionSetup) -> None:
        # PERF: a weak reference: the request holds its session (req.session), so a
        # strong one back would make every request a reference cycle, kept with its
        # environ until the garbage collector runs: 2 us a request measured in the
        # stack scenario, and memory under load.
        self._req: weakref.ref[pegboard.Request] = weakref.ref(req)
        self._setup = setup
        #: the open storage, once this request has used it
        self._store: Storage | None = None
        self._data: dict[str, Any] | None = None
        self._id: str | None = None
        self._created = 0.0
        #: the serialized record as read from (or last written to) the store
        self._stored: bytes | None = None
        #: the client's cookie named a record that existed
        self._adopted = False
        self._lock_id: str | None = None
        self._lock_token: Any = None
        self._want_lock = False
        self._release_attached = False
        #: the record's idle lifetime was renewed when it was read (load_and_touch)
        self._renewed = False
        #: the request's on_end_resource hooks ran (a streamed body may still read the session)
        self._resource_ended = False

    # -- the mapping ---------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        data = self._data
        if data is None:
            data = self._load()
        return data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        data = self._data
        if data is None:
            data = self._load()
        data[key] = value

    def __delitem__(self, key: str) -> None:
        data = self._data
        if data is None:
            data = self._load()
        del data[key]

    def __iter__(self) -> Iterator[str]:
        data = self._data
        if data is None:
            data = self._load()
        return iter(data)

    def __len__(self) -> int:
        data = self._data
        if data is None:
            data = self._load()
        return len(data)

    def __contains__(self, key: object) -> bool:
        data = self._data
        if data is None:
            data = self._load()
        return key in data

    def get(self, key: str, default: Any = None) -> Any:
        data = self._data
        if data is None:
            data = self._load()
        return data.get(key, default)

    def clear(self) -> None:
        """Remove all data; an emptied session is deleted from the store at the end."""
        data = self._data
        if data is None:
            data = self._load()
        data.clear()

    def __repr__(self) -> str:
        state = "not loaded" if self._data is None else f"{len(self._data)} keys"
        return f"<Session {state}>"

    # -- identity and lifecycle ----------------------------------------------------

    @property
    def id(self) -> str:
        """The session id (loads the session: an unknown id from the client is replaced)."""
        if self._data is None:
            self._load()
        assert self._id is not None
        return self._id

    def load(self) -> None:
        """Read the session now (and lock it, unless locking is explicit); done lazily otherwise."""
        if self._data is None:
            self._load()

    @property
    def loaded(self) -> bool:
        """Whether this request has read the session from the store."""
        return self._data is not None

    @property
    def locked(self) -> bool:
        """Whether this request holds the session's lock."""
        return self._lock_id is not None

    def regenerate(self) -> None:
        """Give the session a new id, keep its data, delete the record under the old id.

        Call it when privileges change (at login) against session fixation.
        The absolute lifetime (``max_age``) starts again with the new id.
        """
        if self._data is None:
            self._load()
        if self._stored is not None:
            self._call(self._storage().delete, self._id, self._store_lock())
        self._id = new_id()
        self._stored = None
        self._created = _creation_time(self._setup)

    def expire(self) -> None:
        """End the session: delete its record and its cookie. Later writes start a new one."""
        if self._data is None:
            self._load()
        if self._stored is not None:
            self._call(self._storage().delete, self._id, self._store_lock())
        self._id = new_id()
        self._data = {}
        self._stored = None
        self._created = _creation_time(self._setup)

    def acquire_lock(self) -> None:
        """Lock the session until :meth:`release_lock` or the end of the request.

        For ``locking = "explicit"``; call it before reading the data you mean
        to change. The lock is released at the end of the request in any case.
        """
        if self._lock_id is not None:
            return
        self._want_lock = True
        if self._data is None:
            self._load()
        elif not self._adopted_id():
            self._hold_unshared()
        else:
            assert self._id is not None
            self._lock(self._storage(), self._id)

    def release_lock(self) -> None:
        """Release the lock now (the data is still saved at the end of the request)."""
        lock_id, token = self._lock_id, self._lock_token
        if lock_id is None:
            return
        self._lock_id = self._lock_token = None
        self._want_lock = False
        if token is _UNSHARED:
            return
        # The storage that granted the lock releases it (a lock implies _store is set).
        storage = self._store
        assert storage is not None
        storage.release_lock(lock_id, token)

    # -- store access ------------------------------------------------------------------

    def _request(self) -> pegboard.Request:
        req = self._req()
        if req is None:
            raise RuntimeError(_ENDED)
        return req

    def _storage(self) -> Storage:
        # PERF: looked up once per request; the handle's property takes a lock when unopened.
        storage = self._store
        if storage is None:
            try:
                storage = self._store = self._setup.store.storage
            except StorageUnavailable as exc:
                raise _unavailable(exc, self._setup.store) from None
        return storage

    def _store_lock(self) -> Any:
        """The lock token to hand to the store's data methods (None: no lock in the store)."""
        token = self._lock_token
        return None if token is _UNSHARED else token

    def _adopted_id(self) -> bool:
        """Whether the session's id came from the client (others may know it)."""
        return self._adopted and self._id == self._request().cookies.get(self._setup.options.name)

    def _hold_unshared(self) -> None:
        """Lock an id this request made: nothing to take in the store, nobody else knows it."""
        self._lock_id, self._lock_token = self._id, _UNSHARED

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except StorageUnavailable as exc:
            raise _unavailable(exc, self._setup.store) from None

    def _lock(self, storage: Storage, session_id: str) -> None:
        """Lock ``session_id`` (explicit locking; ``_load`` locks and reads in one step)."""
        options = self._setup.options
        try:
            token = storage.acquire_lock(session_id, options.lock_timeout, options.lock_lease)
        except (LockTimeout, StorageUnavailable) as exc:
            raise self._lock_failed(exc) from None
        self._lock_id, self._lock_token = session_id, token
        if self._resource_ended and not self._release_attached:
            self._release_when_sent()

    def _lock_failed(self, exc: LockTimeout | StorageUnavailable) -> pegboard.HTTPError:
        """The 503 for a lock that could not be taken (busy session, or store down)."""
        if isinstance(exc, StorageUnavailable):
            return _unavailable(exc, self._setup.store)
        _log.warning("%s", exc)
        return pegboard.HTTPError(
            503,
            "This session is busy with another request "
            f"(waited {self._setup.options.lock_timeout:g} s).",
            headers={"Retry-After": "1"},
        )

    def _release_when_sent(self) -> None:
        """Locked while a streamed body is sent, after the plan's release hook
        (on_end_resource) ran: this request releases it when the body closes."""
        self._request().attach_hook("on_end_request", _release_at_end, 50, True, session=self)
        self._release_attached = True

    def _load(self) -> dict[str, Any]:
        # PERF: the steady state (a known session read under its lock) is the straight
        # line through here; the rarer turns (explicit locking, a record of another
        # shape, max_age, an unknown id, a store coming back) are calls of their own,
        # so that the common path's code stays small.
        if self._data is not None:
            return self._data
        setup = self._setup
        options = setup.options
        storage = self._store
        if storage is None:
            # The handle's open storage read directly; _storage() opens it if need be.
            # Compared with None: a storage's truth is its length (a call, 0 when empty).
            storage = setup.store._storage
            if storage is None:
                storage = self._storage()
            self._store = storage
        req = self._req()  # PERF: _request() inlined
        if req is None:
            raise RuntimeError(_ENDED)
        raw = req.cookies.get(options.name)
        data: dict[str, Any] | None = None
        if raw is not None and _valid_id(raw):
            if options.locking != "explicit" or self._want_lock:
                # PERF: the lock and the read in one step: one round trip on every store.
                try:
                    token, payload = storage.lock_and_load(
                        raw, options.lock_timeout, options.lock_lease
                    )
                except (LockTimeout, StorageUnavailable) as exc:
                    raise self._lock_failed(exc) from None
                self._lock_id, self._lock_token = raw, token
                if self._resource_ended and not self._release_attached:
                    self._release_when_sent()
            else:
                payload = self._read_unlocked(storage, raw)
            if payload is not None:
                # The record decoded here rather than in a method of its own.
                try:
                    record = setup.serializer.loads(payload)
                except Exception as exc:
                    _log.warning("dropping a session record that does not decode: %s", exc)
                    record = None
                created = None
                if type(record) is dict:
                    created, data = record.get("c"), record.get("d")
                    if type(data) is not dict or (
                        type(created) is not int and type(created) is not float
                    ):
                        created, data = _record_parts(record)
                elif record is not None:
                    created, data = _record_parts(record)
                if data is not None:
                    assert created is not None
                    if setup.max_age is not None and created + setup.max_age <= time.time():
                        self._drop_expired(raw)
                        data = None
                    else:
                        self._id, self._created, self._stored = raw, created, payload
                        self._adopted = True
            if data is None and self._lock_id is not None:
                self._unlock_unadopted()
        store = setup.store
        if store.down_since is not None:
            store.recovered()  # PERF: one attribute read while the store is healthy
        if data is None:
            data = self._start_fresh()
        self._data = data
        return data

    def _read_unlocked(self, storage: Storage, session_id: str) -> bytes | None:
        """Explicit locking, no lock asked for: read the record without locking it."""
        if self._setup.max_age is None:
            # PERF: read and renew in one round trip; an unchanged session is then not
            # touched again at the end (with max_age the end may need a shorter expiry).
            payload: bytes | None
            payload, self._renewed = self._call(
                storage.load_and_touch, session_id, self._setup.timeout
            )
            return payload
        found: bytes | None = self._call(storage.load, session_id, None)
        return found

    def _drop_expired(self, session_id: str) -> None:
        """The record is past max_age: delete it (the session starts afresh)."""
        self._call(self._storage().delete, session_id, self._store_lock())

    def _unlock_unadopted(self) -> None:
        """No record to adopt under the client's id: nothing there to protect."""
        wanted = self._want_lock
        self.release_lock()
        self._want_lock = wanted

    def _start_fresh(self) -> dict[str, Any]:
        """A new, empty session under a new id (locked at once when a lock was asked for)."""
        self._id = new_id()
        self._created = _creation_time(self._setup)
        if self._want_lock:
            self._hold_unshared()
        return {}

    def save(self, resp: pegboard.Response) -> None:
        """Write the session back if it was read, then release its lock.

        Called by the tool in ``before_finalize``; the lock goes as soon as the
        record is written, not after the body has been sent.
        """
        data = self._data
        if data is None:
            return
        self._write_record(resp, data)
        if self._lock_id is not None:
            self._release_quietly()

    def _write_record(self, resp: pegboard.Response, data: dict[str, Any]) -> None:
        # PERF: the steady state (data saved under the lock this request took, a
        # persistent cookie renewed) is the straight line through here; emptying,
        # unlocked writes and browser-session cookies are calls of their own.
        resp.headers.add_vary("Cookie")
        setup = self._setup
        session_id = self._id
        assert session_id is not None
        ttl = setup.timeout
        if setup.max_age is not None:
            ttl = min(ttl, self._created + setup.max_age - time.time())
        if not data or ttl <= 0:
            self._write_empty(resp, session_id)
            return
        # PERF: serializing and comparing bytes finds nested changes without deep copies.
        payload = setup.serializer.dumps({"c": self._created, "d": data})
        token = self._lock_token
        if self._lock_id == session_id and token is not _UNSHARED:
            # PERF: the write and the unlock in one call: one round trip on every
            # networked store. The store releases the lock whether or not it fails.
            storage = self._store
            if storage is None:  # not after a lock; compared with None, as in _load
                storage = self._storage()
            self._lock_id = self._lock_token = None
            self._want_lock = False
            try:
                if payload != self._stored:
                    storage.save_and_unlock(session_id, payload, ttl, token)
                else:
                    storage.touch_and_unlock(session_id, ttl, token)
            except StorageUnavailable as exc:
                raise _unavailable(exc, setup.store) from None
        else:
            self._write_unlocked(session_id, payload, ttl)
        self._stored = payload
        options = setup.options
        if options.persistent:
            max_age = math.ceil(ttl)  # whole seconds, rounded up, in both attributes
            # PERF: the Cookie built directly, its fields in order, without the checks of
            # Cookie(): the options were checked when they were read, the id was made
            # here or matched ID_PATTERN (stricter than a cookie value).
            resp.cookies[options.name] = pegboard.Cookie.trusted(
                options.name,
                session_id,
                options.path,
                options.domain,
                max_age,
                math.ceil(time.time()) + max_age,
                options.secure,
                options.httponly,
                options.samesite,
            )
        elif session_id != self._request().cookies.get(options.name):
            self._set_browser_session_cookie(resp, session_id)

    def _write_unlocked(self, session_id: str, payload: bytes, ttl: float) -> None:
        """Write without releasing a lock: none was taken in the store (explicit locking)."""
        token = self._lock_token
        lock = None if token is _UNSHARED else token
        storage = self._storage()
        try:
            if payload != self._stored:
                storage.save(session_id, payload, ttl, lock)
            elif not self._renewed:
                storage.touch(session_id, ttl, lock)
        except StorageUnavailable as exc:
            raise _unavailable(exc, self._setup.store) from None

    def _write_empty(self, resp: pegboard.Response, session_id: str) -> None:
        """An emptied (or expired) session: the record goes, and so does the client's cookie."""
        options = self._setup.options
        if self._stored is not None:
            token = self._lock_token
            storage = self._storage()
            try:
                if self._lock_id == session_id and token is not _UNSHARED:
                    self._lock_id = self._lock_token = None
                    self._want_lock = False
                    storage.delete_and_unlock(session_id, token)
                else:
                    storage.delete(session_id, None if token is _UNSHARED else token)
            except StorageUnavailable as exc:
                raise _unavailable(exc, self._setup.store) from None
            self._stored = None
        # Nothing in the store now; save() releases a lock still held.
        if self._adopted:
            resp.delete_cookie(options.name, path=options.path, domain=options.domain)

    def _set_browser_session_cookie(self, resp: pegboard.Response, session_id: str) -> None:
        """``persistent = false``: a cookie without lifetimes, set when the id is new."""
        options = self._setup.options
        resp.set_cookie(
            options.name,
            session_id,
            path=options.path,
            domain=options.domain,
            secure=options.secure,
            httponly=options.httponly,
            samesite=options.samesite,
        )

    def _release_quietly(self) -> None:
        """Release the lock, logging (not raising) a failure: for the end of the request."""
        lock_id, token = self._lock_id, self._lock_token
        if lock_id is None:
            return
        self._lock_id = self._lock_token = None
        self._want_lock = False
        if token is _UNSHARED:
            return
        try:
            storage = self._store
            assert storage is not None
            storage.release_lock(lock_id, token)
        except Exception:
            _log.exception("releasing a session lock failed")


def _release_at_end(req: pegboard.Request, resp: pegboard.Response, session: Session) -> None:
    """on_end_request, failsafe: a lock taken while the body streamed goes when it closes."""
    session._release_quietly()


def release_session(req: pegboard.Request, resp: pegboard.Response) -> None:
    """on_end_resource, failsafe: the lock goes on every way out of the request.

    ``save`` has released it already on the common path; this covers the
    others (an unexpected error skips ``before_finalize``).
    """
    session = getattr(req.state, "session", None)
    if isinstance(session, Session):
        session._resource_ended = True
        if session._lock_id is not None:
            session._release_quietly()


def session_of(req: pegboard.Request) -> Session:
    """The session of ``req`` (what ``req.session`` is), typed for type checkers.

    Raises RuntimeError when the sessions tool is not on for the request's path.
    """
    session = getattr(req.state, "session", None)
    if not isinstance(session, Session):
        raise RuntimeError(f"no session for {req.path}: set tools.sessions.on = true for this path")
    return session
