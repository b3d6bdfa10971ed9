"""A portal link's token is its credential: it must not reach the logs.

Django logs the path of every 4xx/5xx response (``Not Found: /portal/<token>/``);
this filter, on the console handler, writes ``/portal/…/`` instead. (A web
server's own access log needs the same care: see the README.)
"""

import logging
import re

_TOKEN_IN_PATH = re.compile(r"/portal/[^/\s\"']+")


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub("/portal/…", text)


class PortalTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/portal/" in message:
            record.msg, record.args = redact(message), None
        return True
