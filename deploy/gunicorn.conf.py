"""gunicorn settings for the web process (`gunicorn -c deploy/gunicorn.conf.py ...`: the
Procfile, deploy/systemd and the README use it).

The access log names each request's path, never its query string or Referer: those can
carry what someone typed, and a portal search types patient names.
"""

accesslog = "-"
# %(U)s is the path without its query; the default format's %(r)s (the whole request
# line) and %(f)s (the Referer, a previous page's full URL) are left out on purpose.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)s "%(a)s"'
