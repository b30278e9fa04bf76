"""Small adapters for frameworks run inside ``pegboard.wrap``: flask, django, falcon.

Each module imports its framework when it is imported itself, and only
public names of ``pegboard``; nothing here is needed to wrap an app. They
make what the tools provide look as each framework's users expect it
(``flask.session``, a Django ``request.session``, Falcon's ``req.context``)
and hand pegboard's ``HTTPError`` raised inside a view back to pegboard.
See docs/any-app.md.
"""
