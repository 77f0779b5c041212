"""A flood of clients on a node's API, run as its own process by test_api_flood.py (so that its work is not the
node's): `python flood_client.py PORT STREAMS WORKERS` opens STREAMS event streams (all topics) and reads them,
and WORKERS threads send GET requests to heavy endpoints back to back. Prints the number of streams the server
accepted and refused once every connection has its answer, then a line per second (bytes read, requests
answered) until killed."""

from __future__ import annotations

import selectors
import socket
import sys
import threading
import time

import httpx

PATHS = (
    "/metrics",
    "/eth/v1/beacon/states/head/validators",
    "/eth/v1/beacon/states/head/committees",
    "/eth/v1/beacon/states/head/validator_balances",
    "/eth/v2/beacon/blocks/head",
    "/v1/accounts/0x" + "00" * 20,
)
FIRST = 256
"""Streams opened (and answered) before the rest: the node's stream cap."""
STREAM = b"GET /eth/v1/events?topics=head,block,finalized_checkpoint,transaction HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def requests(port: int, first: int, answered: list[int]) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        k = first
        while True:
            try:
                client.get(PATHS[k % len(PATHS)])
                answered[0] += 1
            except httpx.HTTPError:
                time.sleep(0.01)
            k += 1


def main() -> None:
    port, streams, workers = (int(a) for a in sys.argv[1:4])
    selector = selectors.DefaultSelector()
    waiting, accepted, refused = 0, 0, 0
    got, last, answered, started = 0, time.monotonic(), [0], False
    # The streams the node keeps (its cap) are opened first and answered before the rest are opened: uvicorn
    # refuses a request while it holds more than its connection limit, so 5,000 connections accepted by a busy
    # event loop before it parses the first request would all be refused, and no stream would be held.
    for batch in (min(streams, FIRST), streams - min(streams, FIRST)):
        for _ in range(batch):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(STREAM)
                s.setblocking(False)
                selector.register(s, selectors.EVENT_READ, data=None)
                waiting += 1
            except OSError:
                continue
        while waiting:
            for key, _ in selector.select(1.0):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                got += len(data)
                if key.data is not None:  # an accepted stream: keep reading it
                    if not data:
                        selector.unregister(sock)
                        sock.close()
                    continue
                waiting -= 1
                if data.startswith(b"HTTP/1.1 200"):
                    accepted += 1
                    selector.modify(sock, selectors.EVENT_READ, data="stream")
                else:
                    refused += 1
                    selector.unregister(sock)
                    sock.close()
    while True:
        for key, _ in selector.select(1.0):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            got += len(data)
            if key.data is None:  # the first answer: a stream, or refused (503)
                waiting -= 1
                if data.startswith(b"HTTP/1.1 200"):
                    accepted += 1
                    selector.modify(sock, selectors.EVENT_READ, data="stream")
                    continue
                refused += 1
                data = b""
            if not data:
                selector.unregister(sock)
                sock.close()
        if waiting == 0 and not started:
            print(accepted, refused, flush=True)  # every connection answered: the flood is in place
            started = True
            for i in range(workers):
                threading.Thread(target=requests, args=(port, i, answered), daemon=True).start()
        if started and time.monotonic() - last > 1:
            print(got, answered[0], flush=True)
            last = time.monotonic()


if __name__ == "__main__":
    main()
