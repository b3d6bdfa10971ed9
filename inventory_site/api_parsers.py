"""A JSON parser that refuses deeply nested documents with a 400.

Python's ``json`` recurses once per nesting level: a body of 100,000 ``[`` raises
``RecursionError`` inside the parser, which DRF does not catch (a 500). No request
of this API nests deeper than a few levels, so a body nested deeper than
``MAX_DEPTH`` is refused before it is decoded.
"""

import io
import re
from itertools import accumulate

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (C-speed passes;
    the running sum only when there are more than ``limit`` opening brackets)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return False
    steps = (1 if b == 1 else -1 for b in brackets.translate(_STEP))
    return max(accumulate(steps)) > limit


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if json_nests_deeper_than(raw, MAX_DEPTH):
            raise ParseError(
                f"JSON parse error - the document nests deeper than {MAX_DEPTH} levels."
            )
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError as error:  # a non-UTF-8 body that hid its brackets
            raise ParseError("JSON parse error - the document nests too deeply.") from (
                error
            )
