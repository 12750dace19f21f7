"""What `community serve` runs: gevent's WSGI server, set up for production (docs/deploy.md)."""

import signal
import socket

import gevent
from flask import Flask
from gevent import pywsgi
from gevent.pool import Pool

from .extensions import socketio


class _Handler(pywsgi.WSGIHandler):
    def __init__(self, sock, address, server, rfile=None):
        # Without it, Nagle's algorithm and the client's delayed ACK hold every keep-alive
        # response ~40 ms (pywsgi writes headers and body apart): 350 req/s at most.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, address, server, rfile)


def serve(app: Flask, host: str, port: int) -> None:
    """Serve `app` with Socket.IO until SIGTERM or SIGINT; SIGTERM lets requests finish."""
    if socketio.async_mode != "gevent":
        raise RuntimeError("`community serve` runs under gevent: start it with the `community` "
                           "command, which patches the standard library first.")
    gevent.signal_handler(signal.SIGTERM, socketio.stop)
    # A bounded pool: past MAX_CONNECTIONS open connections (live sockets included), new
    # ones wait to be accepted instead of exhausting memory.
    socketio.run(app, host=host, port=port, use_reloader=False, log_output=False,
                 handler_class=_Handler, spawn=Pool(int(app.config["MAX_CONNECTIONS"])))
