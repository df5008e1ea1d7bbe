"""A TCP relay on 127.0.0.1 in front of a store, for the straggler tests: every connection's
bytes pass at once, except on the first connection where a request line matches a pattern.
From that request on, that connection is read 16 KiB every 10 ms through a 64 KiB receive
buffer and a real path's segment size, as a connection whose window a congested path cut,
until the client drops it; the store then sees the connection end mid-body. The relay
counts the requests the pattern matched and the bytes the slow connection passed, so that a
test can tell a body abandoned and sent again from one sent once."""
import json
import os
import re
import socket
import threading
import time

from feature_helpers import write_files
from s3fixtures import BUCKET, run_s3up


class SlowFirstRelay:
    """Relays 127.0.0.1:self.port to 127.0.0.1:upstream_port (plain TCP: TLS passes through
    unread, so match only plain HTTP). `pattern` is a regular expression (bytes) searched
    in the client's bytes; the first connection where it matches is the slow one."""

    piece = 16384
    pause = 0.01

    def __init__(self, upstream_port, pattern):
        self.upstream_port = upstream_port
        self.pattern = re.compile(pattern)
        self.lock = threading.Lock()
        self.matches = []          # connection number of each request the pattern matched
        self.slow_connection = 0   # the connection read slowly, 0 before
        self.slow_bytes = 0        # bytes it passed from the matching request line on
        # How its client ended it: "reset" (what was still queued to send, discarded),
        # "closed" (everything sent first, then the close) or "failed" (another error); None
        # while it lasts.
        self.slow_end = None
        self.slow_ended = threading.Event()
        self.connections = 0
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Set before listen() so that accepted connections inherit them (the window scale is
        # fixed at the handshake): a small receive buffer, and a real path's segments, or
        # loopback's 64 KiB segments let the client's send buffer grow to megabytes.
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        self.listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1448)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            # The store-to-client pump sets `done` when it ends; the other closes both sockets.
            done = threading.Event()
            threading.Thread(target=self._to_store, args=(client, upstream, number, done),
                             daemon=True).start()
            threading.Thread(target=self._to_client, args=(upstream, client, done),
                             daemon=True).start()

    def _matched(self, number):
        """Records a match on connection `number`; True when it makes it the slow one."""
        with self.lock:
            self.matches.append(number)
            if self.slow_connection == 0:
                self.slow_connection = number
                return True
            return False

    def _to_store(self, client, upstream, number, done):
        carry = b""
        slow = False
        end = "closed"
        try:
            while True:
                data = client.recv(self.piece if slow else 1 << 16)
                if not data:
                    break
                if slow:
                    upstream.sendall(data)
                    with self.lock:
                        self.slow_bytes += len(data)
                    time.sleep(self.pause)
                    continue
                window = carry + data
                for match in self.pattern.finditer(window):
                    if match.end() > len(carry) and self._matched(number):
                        # This read passes at once, the next ones slowly.
                        slow = True
                        with self.lock:
                            self.slow_bytes += len(window) - match.start()
                        break
                carry = window[-1024:]
                upstream.sendall(data)
        except ConnectionResetError:
            end = "reset"
        except OSError:
            end = "failed"
        if slow:
            with self.lock:
                self.slow_end = end
            self.slow_ended.set()
            # The store sees the connection end mid-body, as when a client gives up on it.
            _shutdown(upstream, socket.SHUT_RDWR)
        else:
            _shutdown(upstream, socket.SHUT_WR)
        _shutdown(client, socket.SHUT_RD)
        done.wait()
        upstream.close()
        client.close()

    @staticmethod
    def _to_client(upstream, client, done):
        try:
            while True:
                data = upstream.recv(1 << 16)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
        _shutdown(client, socket.SHUT_WR)
        done.set()


def _shutdown(sock, how):
    try:
        sock.shutdown(how)
    except OSError:
        pass


class StragglerCases:
    """Tests (a mixin for unittest.TestCase) of a body sent again on a new connection, against a
    store that did not come from this project: s3up uploads through a SlowFirstRelay that reads
    one body slowly, abandons that copy mid-body, sends the same signed request again whole on a
    new connection, and the store keeps the complete object (read back byte for byte) with no
    multipart upload left open. The class provides self.store (a BucketReadBack with the
    fixture's env() and secret_key), self.store_port (its plain-HTTP port), self.src (an
    empty folder) and self.key_prefix (a prefix of its own)."""

    def upload_with_a_straggler(self, files, pattern, *args):
        """Uploads `files` ({relative path: bytes}, written to self.src) through the relay,
        whose first connection matching `pattern` is read slowly; returns (report, relay)."""
        write_files(self.src, files)
        with SlowFirstRelay(self.store_port, pattern) as relay:
            proc = run_s3up(["--endpoint-url", relay.url, "--progress", "none", "--json", "-",
                             *args, self.src, f"s3://{BUCKET}/{self.key_prefix}"],
                            self.store.env(), check_secret=self.store.secret_key)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        report = json.loads(proc.stdout)
        return report, relay

    def put_request_line(self, key_regex):
        """A pattern matching the request line of a PUT of BUCKET/key_prefix + key_regex."""
        return (rb"PUT /" + re.escape(f"{BUCKET}/{self.key_prefix}".encode()) + key_regex
                + rb" HTTP/1\.1\r\n")

    def assert_sent_again(self, report, relay, body_size):
        # The slow copy went on one connection, dropped before its body was through; the same
        # request went again, once, on another connection, and nothing counted as failed.
        self.assertNotEqual(relay.slow_connection, 0, "the pattern matched no request")
        self.assertEqual(len(relay.matches), 2, relay.matches)
        self.assertEqual(relay.matches[0], relay.slow_connection)
        self.assertNotEqual(relay.matches[1], relay.slow_connection)
        # Reset by s3up: what it had queued to send was discarded, not sent after the close.
        # (The relay reads what reached it first, a few hundred KiB at 1.6 MB/s.)
        self.assertTrue(relay.slow_ended.wait(10), "the slow connection is still open")
        self.assertEqual(relay.slow_end, "reset")
        self.assertLess(relay.slow_bytes, body_size)
        self.assertEqual(report["connections"]["stragglers_resent"], 1, report["connections"])
        self.assertEqual(report["failed"], [])

    def assert_stored(self, files):
        got = self.store.objects(self.key_prefix)
        self.assertEqual(sorted(got), sorted(self.key_prefix + rel for rel in files))
        for rel, data in files.items():
            self.assertTrue(got[self.key_prefix + rel] == data, f"{rel}: the bytes read back differ")
        self.assertEqual(self.store.open_multipart_uploads(), [])

    def test_a_single_put_read_slowly_is_sent_again_whole(self):
        # Small files (round trips measured), 32 MiB at the store's speed (the link's peak
        # rate), and 8 MiB read at 1.6 MB/s until s3up gives up on that connection.
        files = {f"small/{i:02}.txt": os.urandom(100 + i) for i in range(16)}
        files["fast.bin"] = os.urandom(32 << 20)
        files["slow.bin"] = os.urandom(8 << 20)
        pattern = self.put_request_line(rb"slow\.bin")
        report, relay = self.upload_with_a_straggler(files, pattern, "--multipart-threshold", "64MiB")
        self.assert_sent_again(report, relay, 8 << 20)
        self.assert_stored(files)

    def test_a_part_read_slowly_is_sent_again_whole(self):
        # Six parts of 8 MiB: the first five at the store's speed, the sixth slowly.
        files = {"parts.bin": os.urandom(48 << 20), "small.txt": b"small"}
        pattern = self.put_request_line(rb"parts\.bin\?partNumber=6&\S*")
        report, relay = self.upload_with_a_straggler(
            files, pattern, "--multipart-threshold", "16MiB", "--part-size", "8MiB")
        self.assertEqual(report["totals"]["multipart_uploads"], 1)
        self.assert_sent_again(report, relay, 8 << 20)
        self.assert_stored(files)
