"""A TCP relay on 127.0.0.1 in front of a store, for the straggler tests: every connection's
bytes pass at once, except on the first connection where a request line matches a pattern.
From that request on, that connection is read 16 KiB every 10 ms through a 64 KiB receive
buffer and a real path's segment size, as a connection whose window a congested path cut,
until the client drops it; the store then sees the connection end mid-body. The relay
counts the requests the pattern matched and the bytes the slow connection passed, so that a
test can tell a body abandoned and sent again from one sent once. With a certificate the
relay speaks HTTPS to the client (and plain HTTP to the store), so that it reads the request
lines a TLS client sends."""
import atexit
import json
import os
import re
import select
import shutil
import socket
import ssl
import tempfile
import threading
import time

from feature_helpers import write_files
from s3fixtures import BUCKET, run_s3up
from testserver import make_self_signed_cert


class SlowFirstRelay:
    """Relays 127.0.0.1:self.port to 127.0.0.1:upstream_port. `pattern` is a regular expression
    (bytes) searched in the client's bytes (decrypted, with `tls`); the first connection where
    it matches is the slow one. `tls`: (certificate, key) PEM files to serve HTTPS with;
    without it TLS would pass through unread, so match only plain HTTP."""

    piece = 16384
    pause = 0.01

    def __init__(self, upstream_port, pattern, tls=None):
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
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*tls)
            # No TLS 1.3 session tickets: a client that closes a socket with bytes it has not
            # read (tickets sent after the handshake, unread while it writes a body) resets it
            # whatever it asked for, and the tests could not tell s3up's reset from a close.
            self.tls.num_tickets = 0
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
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
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
            threading.Thread(target=self._serve, args=(client, number), daemon=True).start()

    def _matched(self, number):
        """Records a match on connection `number`; True when it makes it the slow one."""
        with self.lock:
            self.matches.append(number)
            if self.slow_connection == 0:
                self.slow_connection = number
                return True
            return False

    def _serve(self, client, number):
        """One connection, both directions on this one thread."""
        upstream = None
        try:
            tls = _ServerTls(self.tls, client) if self.tls else None
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._pump(client, tls, upstream, number)
        except OSError:
            pass
        finally:
            if upstream is not None:
                upstream.close()
            client.close()

    def _pump(self, client, tls, upstream, number):
        carry = b""
        slow = False
        end = "closed"
        store_ended = False
        to_client = tls.send if tls else client.sendall
        # What the handshake's last read brought beyond it (a request sent with the Finished).
        early = tls.receive(b"") if tls else b""
        while True:
            ready = [] if early else select.select([client, upstream], [], [])[0]
            if upstream in ready:
                try:
                    data = upstream.recv(1 << 16)
                except OSError:
                    data = b""
                if not data:
                    store_ended = True
                    break
                to_client(data)
            if early:
                data, early = early, b""
            elif client not in ready:
                continue
            else:
                # Read from the TCP socket itself, TLS or not: it alone tells a reset from a
                # close (Python's SSL sockets report both as the end of the stream).
                try:
                    data = client.recv(self.piece if slow else 1 << 16)
                except ConnectionResetError:
                    end = "reset"
                    break
                except OSError:
                    end = "failed"
                    break
                if not data:
                    break
                if tls:
                    data = tls.receive(data)
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
        if slow:
            with self.lock:
                self.slow_end = end
            self.slow_ended.set()
            # The store sees the connection end mid-body, as when a client gives up on it.
            _shutdown(upstream, socket.SHUT_RDWR)
            return
        if store_ended:
            # Passed on as the end of the stream; what the client still sends is read and
            # dropped until it closes (a close with bytes unread would reset the connection).
            try:
                if tls:
                    tls.close()
                client.shutdown(socket.SHUT_WR)
                client.settimeout(5)
                while client.recv(1 << 16):
                    pass
            except OSError:
                pass
            return
        # The client ended it: the store finishes what it was sent and answers; its answer
        # still goes to the client, then both close.
        _shutdown(upstream, socket.SHUT_WR)
        try:
            while True:
                data = upstream.recv(1 << 16)
                if not data:
                    break
                to_client(data)
        except OSError:
            pass


class _ServerTls:
    """The server side of TLS over a TCP socket the caller reads itself: the handshake at
    construction, then receive(ciphertext) -> plaintext and send(plaintext)."""

    def __init__(self, context, sock):
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = sock.recv(1 << 16)
                if not data:
                    raise ConnectionError("closed during the TLS handshake")
                self.incoming.write(data)
        self._flush()

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def receive(self, data):
        self.incoming.write(data)
        plain = []
        while True:
            try:
                piece = self.tls.read(1 << 16)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                break
            if not piece:
                break
            plain.append(piece)
        self._flush()  # what reading made TLS send (a key update's reply, an alert)
        return b"".join(plain)

    def send(self, data):
        self.tls.write(data)
        self._flush()

    def close(self):
        """Sends close_notify (without waiting for the client's)."""
        try:
            self.tls.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass
        self._flush()


def _shutdown(sock, how):
    try:
        sock.shutdown(how)
    except OSError:
        pass


_CERT = None


def relay_certificate():
    """(certificate, key) for 127.0.0.1, made once per process, removed at exit."""
    global _CERT
    if _CERT is None:
        directory = tempfile.mkdtemp(prefix="s3up-relay-cert-")
        atexit.register(shutil.rmtree, directory, True)
        _CERT = make_self_signed_cert(directory)
    return _CERT


class StragglerCases:
    """Tests (a mixin for unittest.TestCase) of a body sent again on a new connection, against a
    store that did not come from this project: s3up uploads through a SlowFirstRelay that reads
    one body slowly, abandons that copy mid-body, sends the same signed request again whole on a
    new connection, and the store keeps the complete object (read back byte for byte) with no
    multipart upload left open. The class provides self.store (a BucketReadBack with the
    fixture's env() and secret_key), self.store_port (its plain-HTTP port), self.src (an
    empty folder) and self.key_prefix (a prefix of its own)."""

    def upload_with_a_straggler(self, files, pattern, *args, tls=False):
        """Uploads `files` ({relative path: bytes}, written to self.src) through the relay,
        whose first connection matching `pattern` is read slowly (over HTTPS with `tls`);
        returns (report, relay)."""
        write_files(self.src, files)
        cert = relay_certificate() if tls else None
        with SlowFirstRelay(self.store_port, pattern, tls=cert) as relay:
            if tls:
                args = ("--ca-bundle", cert[0], *args)
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

    def single_put_read_slowly(self, tls):
        # Small files (round trips measured), 32 MiB at the store's speed (the link's peak
        # rate), and 8 MiB read at 1.6 MB/s until s3up gives up on that connection.
        files = {f"small/{i:02}.txt": os.urandom(100 + i) for i in range(16)}
        files["fast.bin"] = os.urandom(32 << 20)
        files["slow.bin"] = os.urandom(8 << 20)
        pattern = self.put_request_line(rb"slow\.bin")
        report, relay = self.upload_with_a_straggler(files, pattern, "--multipart-threshold",
                                                     "64MiB", tls=tls)
        self.assert_sent_again(report, relay, 8 << 20)
        self.assert_stored(files)

    def part_read_slowly(self, tls):
        # Six parts of 8 MiB: the first five at the store's speed, the sixth slowly.
        files = {"parts.bin": os.urandom(48 << 20), "small.txt": b"small"}
        pattern = self.put_request_line(rb"parts\.bin\?partNumber=6&\S*")
        report, relay = self.upload_with_a_straggler(
            files, pattern, "--multipart-threshold", "16MiB", "--part-size", "8MiB", tls=tls)
        self.assertEqual(report["totals"]["multipart_uploads"], 1)
        self.assert_sent_again(report, relay, 8 << 20)
        self.assert_stored(files)

    def test_a_single_put_read_slowly_is_sent_again_whole(self):
        self.single_put_read_slowly(tls=False)

    def test_a_part_read_slowly_is_sent_again_whole(self):
        self.part_read_slowly(tls=False)

    # Over HTTPS a body of 64 KiB or more is written record by record straight to the socket
    # (net/tls_direct_write.*): the same reset, under the TLS stream.
    def test_a_single_put_read_slowly_over_https_is_sent_again_whole(self):
        self.single_put_read_slowly(tls=True)

    def test_a_part_read_slowly_over_https_is_sent_again_whole(self):
        self.part_read_slowly(tls=True)
