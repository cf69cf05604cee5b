"""Run a sandbox in-process behind `requests`, or serve it over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

WSGIApp = Callable[..., Any]


class WSGIAdapter(BaseAdapter):
    """A `requests` transport that calls a WSGI app directly: no socket, same bytes.

    Mount it on a session for a base URL (`session.mount("http://nextech.sandbox", ...)`)
    and the client code runs unchanged against the in-process sandbox.
    """

    def __init__(self, app: WSGIApp) -> None:
        super().__init__()
        self.app = app
        self.requests_seen = 0
        self.timeouts_seen: list[Any] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        self.requests_seen += 1
        self.timeouts_seen.append(timeout)
        url = urlsplit(request.url or "")
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        builder = EnvironBuilder(
            path=url.path,
            query_string=url.query,
            method=request.method or "GET",
            headers=list(request.headers.items()),
            data=body or b"",
            base_url=f"{url.scheme}://{url.netloc}",
        )
        environ = builder.get_environ()
        environ["sandbox.timeout"] = timeout
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        response = requests.Response()
        response.status_code = int(status.split()[0])
        response.reason = status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(headers.to_wsgi_list())
        response.raw = BytesIO(b"".join(app_iter))
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


def in_process_session(app: WSGIApp, base_url: str) -> requests.Session:
    """A requests session whose calls to `base_url` go to `app` in this process."""
    session = requests.Session()
    session.mount(base_url, WSGIAdapter(app))
    return session


class BackgroundServer:
    """Serve a WSGI app over HTTP on 127.0.0.1 from a daemon thread."""

    def __init__(self, app: WSGIApp, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
