"""build/s3-testserver checked with boto3, an independent S3 client: the operations, S3's
verifications (SigV4, Content-MD5, x-amz-checksum-*, multipart rules), every fault kind,
deterministic fault sequences, permanent --fail-key faults and the /__stats counters."""
import base64
import hashlib
import hmac
import http.client
import os
import shutil
import tempfile
import unittest
import urllib.request

from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import ProtocolError

from testserver import TestServer, make_self_signed_cert

MIN_PART = 64 * 1024


def crc32c_b64(data):
    """CRC-32C (Castagnoli) as S3 wants it: base64 of the big-endian value. botocore needs
    awscrt for CRC32C, which this machine lacks, so the tests compute it here."""
    table = _CRC32C_TABLE
    crc = 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return base64.b64encode((crc ^ 0xFFFFFFFF).to_bytes(4, "big")).decode()


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def seen(stats):
    """The operations of /__stats that were counted at least once."""
    return {op: n for op, n in stats["by_operation"].items() if n}


def code_of(ctx):
    return ctx.exception.response["Error"]["Code"]


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


class Operations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = TestServer(min_part_size=f"{MIN_PART}")
        cls.s3 = cls.srv.client(retries=1)
        cls.b = cls.srv.bucket

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_put_get_head_delete(self):
        data = os.urandom(3000)
        put = self.s3.put_object(Bucket=self.b, Key="obj/a b+c/ü.bin", Body=data,
                                 ContentType="application/x-test", Metadata={"color": "blue"})
        self.assertEqual(put["ETag"], f'"{md5_hex(data)}"')
        got = self.s3.get_object(Bucket=self.b, Key="obj/a b+c/ü.bin")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["ContentType"], "application/x-test")
        self.assertEqual(got["Metadata"], {"color": "blue"})
        head = self.s3.head_object(Bucket=self.b, Key="obj/a b+c/ü.bin")
        self.assertEqual(head["ContentLength"], 3000)
        self.assertEqual(head["ETag"], put["ETag"])
        part = self.s3.get_object(Bucket=self.b, Key="obj/a b+c/ü.bin", Range="bytes=10-19")
        self.assertEqual(part["Body"].read(), data[10:20])
        self.s3.delete_object(Bucket=self.b, Key="obj/a b+c/ü.bin")
        with self.assertRaises(ClientError) as ctx:
            self.s3.get_object(Bucket=self.b, Key="obj/a b+c/ü.bin")
        self.assertEqual(code_of(ctx), "NoSuchKey")
        with self.assertRaises(ClientError) as ctx:
            self.s3.head_object(Bucket=self.b, Key="obj/a b+c/ü.bin")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_empty_object_and_create_bucket(self):
        self.s3.create_bucket(Bucket="second-bucket")
        self.s3.put_object(Bucket="second-bucket", Key="empty", Body=b"")
        self.assertEqual(self.s3.get_object(Bucket="second-bucket", Key="empty")["Body"].read(), b"")
        self.assertIn("second-bucket", [b["Name"] for b in self.s3.list_buckets()["Buckets"]])
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket="no-such-bucket", Key="k", Body=b"x")
        self.assertEqual(code_of(ctx), "NoSuchBucket")

    def test_list_objects_v2_pagination(self):
        keys = [f"list/{i:03d}" for i in range(23)] + ["list/sub/x", "list/sub/y", "listless"]
        for k in reversed(keys):
            self.s3.put_object(Bucket=self.b, Key=k, Body=k.encode())
        pages = list(self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.b, Prefix="list/", PaginationConfig={"PageSize": 7}))
        self.assertEqual(len(pages), 4)
        self.assertTrue(pages[0]["IsTruncated"])
        self.assertEqual(pages[0]["KeyCount"], 7)
        listed = [o["Key"] for p in pages for o in p.get("Contents", [])]
        self.assertEqual(listed, sorted(k for k in keys if k.startswith("list/")))
        sizes = {o["Key"]: o["Size"] for p in pages for o in p["Contents"]}
        self.assertEqual(sizes["list/sub/x"], len("list/sub/x"))
        rolled = self.s3.list_objects_v2(Bucket=self.b, Prefix="list/", Delimiter="/")
        self.assertEqual([c["Prefix"] for c in rolled["CommonPrefixes"]], ["list/sub/"])
        self.assertEqual(len(rolled["Contents"]), 23)
        after = self.s3.list_objects_v2(Bucket=self.b, Prefix="list/", StartAfter="list/020")
        self.assertEqual([o["Key"] for o in after["Contents"]][:2], ["list/021", "list/022"])

    def test_awkward_keys_round_trip(self):
        # boto3 asks for encoding-type=url listings and decodes them.
        keys = ["enc/sp ace", "enc/plus+sign", "enc/ünï/cödé", "enc/q?a=b&c", "enc/%41", "enc/.", "enc/..x"]
        for k in keys:
            self.s3.put_object(Bucket=self.b, Key=k, Body=k.encode())
        listed = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.b, Prefix="enc/")["Contents"]]
        self.assertEqual(listed, sorted(keys, key=lambda k: k.encode()))
        for k in keys:
            self.assertEqual(self.s3.get_object(Bucket=self.b, Key=k)["Body"].read(), k.encode())
        up = self.s3.create_multipart_upload(Bucket=self.b, Key="enc/up load+")["UploadId"]
        uploads = self.s3.list_multipart_uploads(Bucket=self.b, Prefix="enc/")["Uploads"]
        self.assertEqual([(u["Key"], u["UploadId"]) for u in uploads], [("enc/up load+", up)])
        self.s3.abort_multipart_upload(Bucket=self.b, Key="enc/up load+", UploadId=up)

    def test_multipart_with_checksums(self):
        parts = [os.urandom(MIN_PART), os.urandom(MIN_PART + 1), os.urandom(1000)]
        self.assertEqual(crc32c_b64(b"123456789"), base64.b64encode(bytes.fromhex("e3069283")).decode())
        up = self.s3.create_multipart_upload(Bucket=self.b, Key="mp/object",
                                             ChecksumAlgorithm="CRC32C", ContentType="text/x-mp")
        done = []
        for n, body in enumerate(parts, 1):
            r = self.s3.upload_part(Bucket=self.b, Key="mp/object", UploadId=up["UploadId"],
                                    PartNumber=n, Body=body, ChecksumCRC32C=crc32c_b64(body))
            self.assertEqual(r["ETag"], f'"{md5_hex(body)}"')
            self.assertEqual(r["ChecksumCRC32C"], crc32c_b64(body))  # checked, then echoed
            done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32C": r["ChecksumCRC32C"]})
        listed = self.s3.list_parts(Bucket=self.b, Key="mp/object", UploadId=up["UploadId"])
        self.assertEqual([(p["PartNumber"], p["Size"]) for p in listed["Parts"]],
                         [(1, MIN_PART), (2, MIN_PART + 1), (3, 1000)])
        fin = self.s3.complete_multipart_upload(Bucket=self.b, Key="mp/object",
                                                UploadId=up["UploadId"],
                                                MultipartUpload={"Parts": done})
        self.assertEqual(fin["ETag"], multipart_etag(parts))
        composite = b"".join(base64.b64decode(crc32c_b64(p)) for p in parts)
        self.assertEqual(fin["ChecksumCRC32C"], crc32c_b64(composite) + "-3")
        got = self.s3.get_object(Bucket=self.b, Key="mp/object")
        self.assertEqual(got["Body"].read(), b"".join(parts))
        self.assertEqual(got["ETag"], multipart_etag(parts))
        self.assertEqual(got["ContentType"], "text/x-mp")
        with self.assertRaises(ClientError) as ctx:
            self.s3.list_parts(Bucket=self.b, Key="mp/object", UploadId=up["UploadId"])
        self.assertEqual(code_of(ctx), "NoSuchUpload")

    def test_multipart_errors(self):
        key = "mp/errors"
        up = self.s3.create_multipart_upload(Bucket=self.b, Key=key)["UploadId"]
        small = self.s3.upload_part(Bucket=self.b, Key=key, UploadId=up, PartNumber=1,
                                    Body=b"s" * 100)["ETag"]
        big = self.s3.upload_part(Bucket=self.b, Key=key, UploadId=up, PartNumber=2,
                                  Body=b"b" * MIN_PART)["ETag"]

        def complete(parts):
            with self.assertRaises(ClientError) as ctx:
                self.s3.complete_multipart_upload(Bucket=self.b, Key=key, UploadId=up,
                                                  MultipartUpload={"Parts": parts})
            return code_of(ctx)

        self.assertEqual(complete([{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": big}]),
                         "EntityTooSmall")
        self.assertEqual(complete([{"PartNumber": 2, "ETag": big}, {"PartNumber": 1, "ETag": small}]),
                         "InvalidPartOrder")
        self.assertEqual(complete([{"PartNumber": 2, "ETag": small}]), "InvalidPart")
        self.assertEqual(complete([{"PartNumber": 3, "ETag": big}]), "InvalidPart")
        # The failures left the upload open: the last part alone may be small.
        fin = self.s3.complete_multipart_upload(
            Bucket=self.b, Key=key, UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": big}]})
        self.assertEqual(fin["ETag"], multipart_etag([b"b" * MIN_PART]))
        self.assertEqual(complete([{"PartNumber": 2, "ETag": big}]), "NoSuchUpload")
        with self.assertRaises(ClientError) as ctx:
            self.s3.upload_part(Bucket=self.b, Key=key, UploadId="nope", PartNumber=1, Body=b"x")
        self.assertEqual(code_of(ctx), "NoSuchUpload")

    def test_abort_and_list_uploads(self):
        a = self.s3.create_multipart_upload(Bucket=self.b, Key="up/a")["UploadId"]
        b = self.s3.create_multipart_upload(Bucket=self.b, Key="up/b")["UploadId"]
        self.s3.upload_part(Bucket=self.b, Key="up/a", UploadId=a, PartNumber=1, Body=b"x" * 10)
        listed = self.s3.list_multipart_uploads(Bucket=self.b, Prefix="up/")["Uploads"]
        self.assertEqual([(u["Key"], u["UploadId"]) for u in listed], [("up/a", a), ("up/b", b)])
        self.s3.abort_multipart_upload(Bucket=self.b, Key="up/a", UploadId=a)
        listed = self.s3.list_multipart_uploads(Bucket=self.b, Prefix="up/")["Uploads"]
        self.assertEqual([u["Key"] for u in listed], ["up/b"])
        with self.assertRaises(ClientError) as ctx:
            self.s3.abort_multipart_upload(Bucket=self.b, Key="up/a", UploadId=a)
        self.assertEqual(code_of(ctx), "NoSuchUpload")
        self.s3.abort_multipart_upload(Bucket=self.b, Key="up/b", UploadId=b)
        self.assertNotIn("Uploads", self.s3.list_multipart_uploads(Bucket=self.b, Prefix="up/"))

    def test_content_md5_and_checksum_mismatches_store_nothing(self):
        data = b"payload" * 100
        wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=self.b, Key="digest/md5", Body=data, ContentMD5=wrong_md5)
        self.assertEqual(code_of(ctx), "BadDigest")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=self.b, Key="digest/md5", Body=data, ContentMD5="bm90LW1kNQ==")
        self.assertEqual(code_of(ctx), "InvalidDigest")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=self.b, Key="digest/crc", Body=data, ChecksumCRC32C="AAAAAA==")
        self.assertEqual(code_of(ctx), "BadDigest")
        with self.assertRaises(ClientError) as ctx:
            self.s3.put_object(Bucket=self.b, Key="digest/sha", Body=data,
                               ChecksumSHA256=base64.b64encode(b"\0" * 32).decode())
        self.assertEqual(code_of(ctx), "BadDigest")
        self.assertNotIn("Contents", self.s3.list_objects_v2(Bucket=self.b, Prefix="digest/"))
        good_md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        crc = self.s3.put_object(Bucket=self.b, Key="digest/ok", Body=data, ContentMD5=good_md5,
                                 ChecksumAlgorithm="SHA256")
        self.assertEqual(crc["ChecksumSHA256"], base64.b64encode(hashlib.sha256(data).digest()).decode())
        head = self.s3.head_object(Bucket=self.b, Key="digest/ok", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumSHA256"], crc["ChecksumSHA256"])

    def test_stats_counters(self):
        srv = TestServer(discard=True)
        try:
            s3 = srv.client(retries=1)
            srv.reset_stats()
            s3.put_object(Bucket=srv.bucket, Key="s/1", Body=b"a" * 100)
            s3.put_object(Bucket=srv.bucket, Key="s/2", Body=b"b" * 50)
            s3.head_object(Bucket=srv.bucket, Key="s/1")
            s3.create_multipart_upload(Bucket=srv.bucket, Key="s/3")
            st = srv.stats()
            self.assertEqual(st["requests"], 4)
            self.assertEqual(seen(st), {"PutObject": 2, "HeadObject": 1, "CreateMultipartUpload": 1})
            self.assertEqual(st["by_operation"]["UploadPart"], 0)
            self.assertEqual(st["bytes_received"], 150)
            self.assertEqual(st["objects"], 2)
            self.assertEqual(st["open_uploads"], 1)
            self.assertEqual(st["faults_injected"], 0)
            srv.reset_stats()
            st = srv.stats()
            self.assertEqual((st["requests"], st["bytes_received"], st["objects"]), (0, 0, 2))
        finally:
            srv.stop()


class Discard(unittest.TestCase):
    def test_discard_keeps_metadata_only(self):
        with TestServer(discard=True) as srv:
            s3 = srv.client(retries=1)
            data = os.urandom(10000)
            put = s3.put_object(Bucket=srv.bucket, Key="d/x", Body=data, ChecksumCRC32C=crc32c_b64(data))
            self.assertEqual(put["ETag"], f'"{md5_hex(data)}"')
            head = s3.head_object(Bucket=srv.bucket, Key="d/x", ChecksumMode="ENABLED")
            self.assertEqual((head["ContentLength"], head["ETag"]), (10000, put["ETag"]))
            self.assertEqual(head["ChecksumCRC32C"], put["ChecksumCRC32C"])
            with self.assertRaises(ClientError) as ctx:
                s3.get_object(Bucket=srv.bucket, Key="d/x")
            self.assertEqual(code_of(ctx), "NotImplemented")

    def test_no_etag_md5_gives_stable_fake_etags(self):
        with TestServer(discard=True, extra_args=["--no-etag-md5"]) as srv:
            s3 = srv.client(retries=1)
            e1 = s3.put_object(Bucket=srv.bucket, Key="f", Body=b"x" * 10)["ETag"]
            e2 = s3.put_object(Bucket=srv.bucket, Key="f", Body=b"y" * 10)["ETag"]
            self.assertEqual(e1, e2)
            self.assertNotEqual(e1, f'"{md5_hex(b"x" * 10)}"')
            self.assertRegex(e1, r'^"[0-9a-f]{32}"$')


class Signatures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = TestServer(access_key="AKIDVERIFY", secret="verify-secret")

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_correct_secret_works(self):
        s3 = self.srv.client(retries=1)
        s3.put_object(Bucket=self.srv.bucket, Key="sig/ok", Body=b"signed")
        self.assertEqual(s3.get_object(Bucket=self.srv.bucket, Key="sig/ok")["Body"].read(), b"signed")
        s3.put_object(Bucket=self.srv.bucket, Key="sig/sp ace+ü=?&", Body=b"awkward")
        keys = s3.list_objects_v2(Bucket=self.srv.bucket, Prefix="sig/", MaxKeys=5)["Contents"]
        self.assertEqual([k["Key"] for k in keys], ["sig/ok", "sig/sp ace+ü=?&"])
        keys = s3.list_objects_v2(Bucket=self.srv.bucket, Prefix="sig/sp ace+")["Contents"]
        self.assertEqual([k["Key"] for k in keys], ["sig/sp ace+ü=?&"])
        up = s3.create_multipart_upload(Bucket=self.srv.bucket, Key="sig/mp ü")["UploadId"]
        etag = s3.upload_part(Bucket=self.srv.bucket, Key="sig/mp ü", UploadId=up, PartNumber=1,
                              Body=b"p" * 1000)["ETag"]
        s3.complete_multipart_upload(Bucket=self.srv.bucket, Key="sig/mp ü", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        presigner = self.srv.client(signature_version="s3v4")
        url = presigner.generate_presigned_url("get_object",
                                               Params={"Bucket": self.srv.bucket, "Key": "sig/ok"})
        with urllib.request.urlopen(url, timeout=10) as resp:
            self.assertEqual(resp.read(), b"signed")

    def test_wrong_secret_is_refused(self):
        s3 = self.srv.client(retries=1, secret="not-the-secret")
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=self.srv.bucket, Key="sig/bad", Body=b"x")
        self.assertEqual(code_of(ctx), "SignatureDoesNotMatch")
        with self.assertRaises(ClientError) as ctx:
            s3.list_objects_v2(Bucket=self.srv.bucket)
        self.assertEqual(code_of(ctx), "SignatureDoesNotMatch")

    def test_unknown_access_key_is_refused(self):
        s3 = self.srv.client(retries=1, access_key="AKIDUNKNOWN")
        with self.assertRaises(ClientError) as ctx:
            s3.head_bucket(Bucket=self.srv.bucket)
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        with self.assertRaises(ClientError) as ctx:
            s3.list_objects_v2(Bucket=self.srv.bucket)
        self.assertEqual(code_of(ctx), "InvalidAccessKeyId")

    def test_skewed_clock_and_tampered_body(self):
        s3 = self.srv.client(retries=1)

        def old_date(request, **kwargs):
            request.headers["X-Amz-Date"] = "20200101T000000Z"

        s3.meta.events.register("before-send.s3.ListObjectsV2", old_date)
        with self.assertRaises(ClientError) as ctx:
            s3.list_objects_v2(Bucket=self.srv.bucket)
        self.assertEqual(code_of(ctx), "RequestTimeTooSkewed")

        def tamper(request, **kwargs):
            request.body = b"Y" * 64  # same length, other bytes

        s3.meta.events.register("before-send.s3.PutObject", tamper)
        with self.assertRaises(ClientError) as ctx:
            s3.put_object(Bucket=self.srv.bucket, Key="sig/tampered", Body=b"X" * 64)
        self.assertEqual(code_of(ctx), "XAmzContentSHA256Mismatch")
        with self.assertRaises(ClientError):
            self.srv.client(retries=1).head_object(Bucket=self.srv.bucket, Key="sig/tampered")


def put_signed_chunks(srv, key, data, chunk_size=65536, trailer_crc32c=None, corrupt=False,
                      bad_trailer_signature=False):
    """PUT with Content-Encoding aws-chunked and STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]
    (which boto3 never sends): botocore signs the header, the chunk and trailer signatures
    are computed here from the AWS documentation. Returns (status, body)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    pieces = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    trailer_block = f"x-amz-checksum-crc32c:{trailer_crc32c}\n" if trailer_crc32c else ""
    trailer_wire = (trailer_block.replace("\n", "\r\n") + "x-amz-trailer-signature:" + "0" * 64
                    + "\r\n\r\n") if trailer_block else "\r\n"
    length = sum(len(f"{len(p):x};chunk-signature=") + 64 + 2 + len(p) for p in pieces)
    length += 2 * (len(pieces) - 1) + len(trailer_wire)
    marker = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer_block else "")
    headers = {"X-Amz-Content-SHA256": marker, "Content-Encoding": "aws-chunked",
               "x-amz-decoded-content-length": str(len(data)), "Content-Length": str(length)}
    if trailer_block:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32c"
    request = AWSRequest("PUT", f"{srv.url}/{srv.bucket}/{key}", headers=headers)
    SigV4Auth(Credentials(srv.access_key, srv.secret), "s3", "us-east-1").add_auth(request)
    previous = request.headers["Authorization"].split("Signature=")[1]
    amz_date = request.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    k = ("AWS4" + srv.secret).encode()
    for part in (amz_date[:8], "us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    empty = hashlib.sha256(b"").hexdigest()
    body = b""
    for i, piece in enumerate(pieces):
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty,
                             hashlib.sha256(piece).hexdigest()])
        previous = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        if corrupt and i == 1:
            piece = bytes([piece[0] ^ 0xFF]) + piece[1:]  # (b"!" was no change 1 time in 256)
        body += f"{len(piece):x};chunk-signature={previous}\r\n".encode() + piece
        body += b"\r\n" if piece else b""
    if trailer_block:
        to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous,
                             hashlib.sha256(trailer_block.encode()).hexdigest()])
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        if bad_trailer_signature:
            signature = "f" * 64
        body += trailer_wire.replace("0" * 64, signature).encode()
    else:
        body += b"\r\n"
    assert len(body) == length, (len(body), length)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request("PUT", f"/{srv.bucket}/{key}", body=body, headers=dict(request.headers))
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


class SignedChunks(unittest.TestCase):
    """aws-chunked bodies with chunk signatures, checked chunk by chunk."""

    @classmethod
    def setUpClass(cls):
        cls.srv = TestServer(access_key="AKIDCHUNKS", secret="chunk-secret")
        cls.s3 = cls.srv.client(retries=1)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def test_signed_chunks(self):
        data = os.urandom(150000)
        status, body = put_signed_chunks(self.srv, "chunks/ok", data)
        self.assertEqual(status, 200, body)
        got = self.s3.get_object(Bucket=self.srv.bucket, Key="chunks/ok")
        self.assertEqual((got["Body"].read(), got["ETag"]), (data, f'"{md5_hex(data)}"'))
        status, body = put_signed_chunks(self.srv, "chunks/bad", data, corrupt=True)
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)

    def test_signed_trailer(self):
        data = os.urandom(70000)
        status, body = put_signed_chunks(self.srv, "chunks/trailer", data,
                                         trailer_crc32c=crc32c_b64(data))
        self.assertEqual(status, 200, body)
        head = self.s3.head_object(Bucket=self.srv.bucket, Key="chunks/trailer", ChecksumMode="ENABLED")
        self.assertEqual(head["ChecksumCRC32C"], crc32c_b64(data))
        status, body = put_signed_chunks(self.srv, "chunks/badcrc", data, trailer_crc32c="AAAAAA==")
        self.assertEqual(status, 400)
        self.assertIn("<Code>BadDigest</Code>", body)
        status, body = put_signed_chunks(self.srv, "chunks/badsig", data,
                                         trailer_crc32c=crc32c_b64(data), bad_trailer_signature=True)
        self.assertEqual(status, 403)
        self.assertIn("<Code>SignatureDoesNotMatch</Code>", body)
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.srv.bucket)["Contents"]]
        self.assertNotIn("chunks/badcrc", keys)
        self.assertNotIn("chunks/badsig", keys)


class Tls(unittest.TestCase):
    def test_https_with_aws_chunked_trailer(self):
        tmp = tempfile.mkdtemp(prefix="s3-testserver-tls-")
        try:
            cert, key = make_self_signed_cert(tmp)
            with TestServer(tls_cert=cert, tls_key=key, access_key="AKIDTLS", secret="tls") as srv:
                s3 = srv.client(retries=1)
                seen = {}
                s3.meta.events.register("before-send.s3.PutObject",
                                        lambda request, **kw: seen.update(request.headers))
                data = os.urandom(200000)
                put = s3.put_object(Bucket=srv.bucket, Key="tls/x", Body=data)
                # Over HTTPS boto3 frames the body as aws-chunked with the CRC in a trailer.
                self.assertIn(b"aws-chunked", seen.get("Content-Encoding", b""))
                self.assertEqual(put["ETag"], f'"{md5_hex(data)}"')
                self.assertEqual(s3.get_object(Bucket=srv.bucket, Key="tls/x")["Body"].read(), data)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class Faults(unittest.TestCase):
    def one_fault(self, kind, **kwargs):
        srv = TestServer(faults=kind, fault_rate=1, min_part_size="1", **kwargs)
        self.addCleanup(srv.stop)
        return srv, srv.client(retries=1, connect_timeout=2, read_timeout=kwargs.pop("read_timeout", 5))

    def assert_nothing_stored(self, srv):
        st = srv.stats()
        self.assertEqual(st["objects"], 0)
        self.assertEqual(srv.stored_files(), [])
        self.assertGreaterEqual(st["faults_injected"], 1)

    def test_500_and_503(self):
        for kind, code in (("500", "InternalError"), ("503", "SlowDown")):
            srv, s3 = self.one_fault(kind)
            with self.assertRaises(ClientError) as ctx:
                s3.put_object(Bucket=srv.bucket, Key="f/k", Body=b"x" * 5000)
            self.assertEqual(code_of(ctx), code)
            self.assert_nothing_stored(srv)

    def test_connection_faults(self):
        for kind in ("reset-before", "reset-mid", "truncate"):
            srv, s3 = self.one_fault(kind)
            with self.assertRaises(BotoCoreError, msg=kind):
                s3.put_object(Bucket=srv.bucket, Key="f/k", Body=os.urandom(300000))
            self.assert_nothing_stored(srv)
            self.assertEqual(seen(srv.stats()), {"PutObject": 1})

    def test_stall(self):
        srv, s3 = self.one_fault("stall", extra_args=["--stall-seconds", "2"])
        s3 = srv.client(retries=1, connect_timeout=2, read_timeout=1)
        with self.assertRaises(BotoCoreError):
            s3.put_object(Bucket=srv.bucket, Key="f/k", Body=b"x" * 1000)
        self.assert_nothing_stored(srv)

    def test_truncated_get(self):
        # Every request is cut short, so nothing can be stored first: the 404 of a missing key
        # is what gets truncated (botocore lets urllib3's error through for it).
        srv, s3 = self.one_fault("truncate")
        with self.assertRaises((BotoCoreError, ProtocolError)):
            s3.get_object(Bucket=srv.bucket, Key="missing")

    def test_complete_error(self):
        srv, s3 = self.one_fault("complete-error")
        up = s3.create_multipart_upload(Bucket=srv.bucket, Key="f/mp")["UploadId"]
        etag = s3.upload_part(Bucket=srv.bucket, Key="f/mp", UploadId=up, PartNumber=1,
                              Body=b"z" * 100)["ETag"]
        with self.assertRaises(ClientError) as ctx:
            s3.complete_multipart_upload(Bucket=srv.bucket, Key="f/mp", UploadId=up,
                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(code_of(ctx), "InternalError")
        st = srv.stats()
        self.assertEqual((st["objects"], st["open_uploads"], st["faults_injected"]), (0, 1, 1))

    def test_same_seed_same_faults(self):
        def run(seed):
            with TestServer(faults="500,503", fault_rate=0.5, seed=seed, discard=True) as srv:
                s3 = srv.client(retries=1)
                outcome = []
                for attempt in range(2):
                    for i in range(15):
                        try:
                            s3.put_object(Bucket=srv.bucket, Key=f"det/{i}", Body=b"d")
                            outcome.append("ok")
                        except ClientError as e:
                            outcome.append(e.response["Error"]["Code"])
                self.assertEqual(srv.stats()["faults_injected"], 30 - outcome.count("ok"))
                return outcome

        first = run(7)
        self.assertEqual(run(7), first)
        self.assertIn("ok", first)
        self.assertTrue({"InternalError", "SlowDown"} & set(first))
        self.assertNotEqual(run(8), first)

    def test_fail_key_is_permanent(self):
        with TestServer(fail_keys=("bad/*", "deny/*=403")) as srv:
            s3 = srv.client(retries=3)
            with self.assertRaises(ClientError) as ctx:
                s3.put_object(Bucket=srv.bucket, Key="bad/deep/key", Body=b"x")
            self.assertEqual(code_of(ctx), "InternalError")
            with self.assertRaises(ClientError) as ctx:
                s3.put_object(Bucket=srv.bucket, Key="deny/k", Body=b"x")
            self.assertEqual(code_of(ctx), "AccessDenied")
            s3.put_object(Bucket=srv.bucket, Key="good/k", Body=b"x")
            st = srv.stats()
            self.assertEqual(st["by_operation"]["PutObject"], 3 + 1 + 1)  # 500 is retried
            self.assertEqual(st["faults_injected"], 4)
            self.assertEqual(st["objects"], 1)


if __name__ == "__main__":
    unittest.main()
