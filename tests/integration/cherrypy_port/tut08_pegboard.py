# ruff: noqa: E401, I001, UP004
# tut08_cherrypy.py (CherryPy's Tutorial 8) ported to pegboard, changing as
# few lines as the port needs; diffsize.py counts them. Run from this folder:
# pegboard serve tut08_pegboard.py
import os, os.path
import random
import string

import pegboard
from pegboard_sessions import session


class StringGenerator(object):
    def on_get(self, req, resp):
        return open('index.html').read()


class StringGeneratorWebService(object):

    @pegboard.tools.accept(media='text/plain')
    def on_get(self, req, resp):
        return session['mystring']

    def on_post(self, req, resp, length=8):
        some_string = ''.join(random.sample(string.hexdigits, int(length)))
        session['mystring'] = some_string
        return some_string

    def on_put(self, req, resp, another_string):
        session['mystring'] = another_string

    def on_delete(self, req, resp):
        session.pop('mystring', None)


def make_app():
    conf = {
        '/': {
            'tools.sessions.on': True,
            'tools.params.on': True,
            'tools.staticdir.root': os.path.abspath(os.getcwd())
        },
        '/generator': {
            'tools.response_headers.on': True,
            'tools.response_headers.headers': [('Content-Type', 'text/plain')],
        },
        '/static': {
            'tools.staticdir.on': True,
            'tools.staticdir.dir': './public'
        }
    }
    app = pegboard.App(conf)
    app.route('/', StringGenerator())
    app.route('/generator', StringGeneratorWebService())
    return app


app = make_app()
