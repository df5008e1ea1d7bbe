"""A straggler sent again on a new connection, against moto checking every SigV4 signature (and,
as every file using the moto fixture, against s3-testserver; ctest runs it once per engine):
a relay between s3up and the store reads one body slowly (slow_relay.SlowFirstRelay); s3up
abandons that copy mid-body and sends the same request again whole on a new connection; the
store keeps the complete object, read back byte for byte. A single PUT and a multipart part,
each over HTTP and over HTTPS (the relay then speaks TLS to s3up, plain HTTP to the store).
The same cases run against Ceph RGW in test_rgw.py."""
import unittest

from s3fixtures import MotoCase
from slow_relay import StragglerCases


class Stragglers(StragglerCases, MotoCase):
    src_prefix = "s3up-stragglers-"

    def setUp(self):
        super().setUp()
        self.store = self.moto
        self.store_port = self.moto.port
        self.key_prefix = self.id().rsplit(".", 1)[-1] + "/"


if __name__ == "__main__":
    unittest.main()
