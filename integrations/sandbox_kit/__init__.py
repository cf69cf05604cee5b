"""What both sandboxes share: mounting a WSGI app in-process or serving it over HTTP,
JSON responses and fault injection."""
