"""gunicorn reads this file from the working directory (``gunicorn inventory_site.wsgi``
run from the project folder, as ``make run`` and the README do).

Its workers have a fixed number of threads, so each may keep its database
connection between requests: ``CONN_MAX_AGE`` 60 s unless the environment sets it.
Elsewhere (the development server, one thread per request) Django closes the
connection after every request (CONN_MAX_AGE 0, see settings/base.py).
"""

import os

os.environ.setdefault("CONN_MAX_AGE", "60")
