"""S3's CRC checksums computed here, independently of s3up: CRC-64/NVME and CRC-32C with
byte-at-a-time tables (botocore needs awscrt for both, which this machine lacks), CRC-32 with
zlib; each as S3 writes it, the big-endian value in base64."""
import base64
import zlib


def _table(poly_reflected):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly_reflected if c & 1 else c >> 1
        table.append(c)
    return table


# The reflected generators: 0xAD93D23594C93659 and 0x1EDC6F41 bit-reversed.
_CRC64NVME = _table(0x9A6C9329AC4BC9B5)
_CRC32C = _table(0x82F63B78)
_ONES64 = 0xFFFFFFFFFFFFFFFF


def crc64nvme(data, crc=0):
    """CRC-64/NVME of data, continuing from crc (0xAE8B14860A799888 for b"123456789")."""
    c = crc ^ _ONES64
    t = _CRC64NVME
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ _ONES64


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of data, continuing from crc (0xE3069283 for b"123456789")."""
    c = crc ^ 0xFFFFFFFF
    t = _CRC32C
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def s3_checksum(algorithm, data):
    """The value of x-amz-checksum-<algorithm> for data: "crc32", "crc32c" or "crc64nvme"."""
    if algorithm == "crc64nvme":
        return base64.b64encode(crc64nvme(data).to_bytes(8, "big")).decode()
    value = crc32c(data) if algorithm == "crc32c" else zlib.crc32(data)
    return base64.b64encode(value.to_bytes(4, "big")).decode()


assert crc64nvme(b"123456789") == 0xAE8B14860A799888
assert crc32c(b"123456789") == 0xE3069283
assert s3_checksum("crc64nvme", b"hello world") == "jSnVw/bqjr4="  # botocore's test vector
