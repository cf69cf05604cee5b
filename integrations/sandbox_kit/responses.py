"""JSON in and out of the sandboxes."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, default=str), status=status, headers=headers, mimetype="application/json"
    )


def read_json(request: Request) -> Any:
    """The request's JSON body; an unparseable body raises ValueError for a 400."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    return json.loads(raw)
