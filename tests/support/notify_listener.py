#!/usr/bin/env python3
"""Stands in for systemd's notification socket: binds a Unix datagram socket
and appends every message it receives (sd_notify's READY=1, WATCHDOG=1, ...)
to a file, one line per variable, until terminated.

    notify_listener.py SOCKET_PATH OUT_FILE
"""
import os
import signal
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(out, "a", buffering=1) as f:
    while True:
        data = sock.recv(4096).decode("utf-8", "replace")
        for line in data.splitlines():
            f.write(line + "\n")
