"""request_id composed with caching: every response carries its own id."""


def test_a_cache_hit_gets_its_own_request_id(make_app, make_client):
    app = make_app({"/": {"tools.request_id.on": True, "tools.caching.on": True}})
    app.route("/page", lambda req, resp: "cached body")
    client = make_client(app)
    first = client.get("/page")
    second = client.get("/page")
    assert "hit" in second.headers["Cache-Status"]
    assert second.body == first.body
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_ids_are_random_and_never_repeat(make_app, make_client):
    app = make_app({"/": {"tools.request_id.on": True}})
    app.route("/", lambda req, resp: "ok")
    client = make_client(app)
    ids = [client.get("/").headers["X-Request-Id"] for _ in range(600)]  # more than one batch
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_forked_worker_never_hands_out_its_parents_ids(make_app, make_client):
    import os

    app = make_app({"/": {"tools.request_id.on": True}})
    app.route("/", lambda req, resp: "ok")
    client = make_client(app)
    client.get("/")  # the parent now holds ids made ahead
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a granian worker would, serve one request
        try:
            os.write(write, client.get("/").headers["X-Request-Id"].encode())
        finally:
            os._exit(0)
    os.close(write)
    child_id = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent_ids = {client.get("/").headers["X-Request-Id"] for _ in range(300)}
    assert len(child_id) == 32
    assert child_id not in parent_ids


def test_an_incoming_id_with_a_trailing_line_break_is_replaced_not_echoed(make_app, make_client):
    app = make_app(
        {"/": {"tools.request_id.on": True, "tools.request_id.trusted": ["127.0.0.0/8"]}}
    )
    app.route("/", lambda req, resp: "ok")
    result = make_client(app).get("/", environ={"HTTP_X_REQUEST_ID": "abc\n"})
    assert result.status == 200
    assert result.headers["X-Request-Id"] != "abc\n" and "\n" not in result.headers["X-Request-Id"]
