"""Token saver filters (pure).

`shrink(text)` makes a tool output smaller (or returns None); `compress_request(fmt, body)` applies
it to every tool output of a chat request. No I/O: stdlib and the token estimator only.
"""

from ninerouter.rtk.request import FORMATS, RtkResult, compress_request
from ninerouter.rtk.shrink import Shrunk, detect, shrink, shrink_detail

__all__ = [
    "FORMATS",
    "RtkResult",
    "Shrunk",
    "compress_request",
    "detect",
    "shrink",
    "shrink_detail",
]
