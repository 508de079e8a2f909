#!/usr/bin/env -S unshare --user --map-root-user --net -- python3
# A test fixture in the shape of Cloudflare's quiz_N.py files (written for tristate): a
# module docstring holding several doctest blocks with prose between them, `ln.accept()`
# cleanup, comment-only examples, unpacking, subscripts, pack() and a run_doctest trailer.

"""
Two clients, one port
---------------------

>>> # Connect to the listener; remember the port the kernel picked.
>>> c1 = socket(AF_INET, SOCK_STREAM)
>>> c1.connect(('127.0.0.1', 1234))
>>> port = c1.getsockname()[1]
>>> c1
<socket.socket fd=4, family=2, type=1, proto=0, laddr=('127.0.0.1', 60000), raddr=('127.0.0.1', 1234)>
>>> port
60000
>>> c2 = socket(AF_INET, SOCK_STREAM)
>>> c2.connect(('127.0.0.2', 1234))
>>> c2.getsockname()
('127.0.0.1', 60000)
>>>

Outcome: SHARED. Both connections hold port 60000; their 4-tuples differ.

Cleanup:

>>> p1, _ = ln.accept()
>>> p2, peer = ln.accept()
>>> p2
<socket.socket fd=7, family=2, type=1, proto=0, laddr=('127.0.0.2', 1234), raddr=('127.0.0.1', 60000)>
>>> peer[1], peer[-1] + 1
(60000, 60001)
>>> p1.close() # TIME-WAIT on server side
>>> p2.close()
>>> c1.close()
>>> c2.close()

Binding first
-------------

>>> s = socket(AF_INET, SOCK_STREAM)
>>> s.setsockopt(SOL_SOCKET, SO_REUSEADDR, pack('i', 1))
>>> # Not port itself: the clients' LAST-ACK sockets may still hold it (seen on a slow guest).
>>> s.bind(('127.0.0.1', port + 1))
>>> s.connect(('127.0.0.3', 1234))
>>> host, _ = s.getsockname()
>>> host, _
('127.0.0.1', 60001)
>>> s.close()
"""

from quiz_common import run_doctest
from socket import *

if __name__ == "__main__":
    run_doctest(__name__)
