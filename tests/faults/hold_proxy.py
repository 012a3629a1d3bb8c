#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that can hold what its clients send (fence.sh).

    hold_proxy.py TARGET_PORT CONTROL_DIR LIFETIME_S

Listens on a free loopback port and writes it to CONTROL_DIR/port; forwards
every connection to 127.0.0.1:TARGET_PORT. While the file CONTROL_DIR/hold
exists, bytes from clients are kept back (replies still flow), and the first
such bytes make it write CONTROL_DIR/held: the client is now waiting for an
answer that cannot come, in the middle of whatever it was doing. Removing
CONTROL_DIR/hold sends what was kept, in order. Exits after LIFETIME_S
seconds at the latest (the test also stops it by its pid).
"""
import os
import selectors
import socket
import sys
import time

target_port, control, lifetime = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
hold_file, held_file = os.path.join(control, "hold"), os.path.join(control, "held")
sel = selectors.DefaultSelector()
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
sel.register(listener, selectors.EVENT_READ, None)
with open(os.path.join(control, "port.tmp"), "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(os.path.join(control, "port.tmp"), os.path.join(control, "port"))

# Each pair: client socket, server socket, bytes from the client kept back.
pairs = {}


def close(pair):
    for s in (pair["client"], pair["server"]):
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()
    pairs.pop(id(pair), None)


end = time.monotonic() + lifetime
while time.monotonic() < end:
    holding = os.path.exists(hold_file)
    for pair in list(pairs.values()):
        if not holding and pair["kept"]:
            pair["server"].sendall(pair["kept"])
            pair["kept"] = b""
    for key, _ in sel.select(timeout=0.01):
        if key.data is None:
            client, _ = listener.accept()
            server = socket.create_connection(("127.0.0.1", target_port))
            pair = {"client": client, "server": server, "kept": b""}
            pairs[id(pair)] = pair
            sel.register(client, selectors.EVENT_READ, (pair, "client"))
            sel.register(server, selectors.EVENT_READ, (pair, "server"))
            continue
        pair, side = key.data
        try:
            data = key.fileobj.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(pair)
            continue
        if side == "server":
            pair["client"].sendall(data)
        elif holding or pair["kept"]:
            pair["kept"] += data
            if not os.path.exists(held_file):
                open(held_file, "w").close()
        else:
            pair["server"].sendall(data)
