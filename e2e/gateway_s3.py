"""Drive S3's streaming paths through assumed's resource gateway (serve
--backend moto) with boto3, the AWS CLI v1 and hand-built requests, and
report what each client sent on the wire.

  - boto3: a 64 MiB multipart upload (TransferConfig: 8 MiB threshold and
    parts) three ways: as boto3 sends it over http (a signed SHA-256 payload
    and an x-amz-checksum-crc32 header); with payload signing off
    (UNSIGNED-PAYLOAD); and as boto3 sends it over https, aws-chunked with
    STREAMING-UNSIGNED-PAYLOAD-TRAILER and a CRC32 trailer (botocore uses
    the trailer only on https URLs: a before-call hook moves the checksum
    it resolved to the trailer, so the rest is botocore's own code). Each
    is downloaded back and compared by SHA-256.
  - By hand, from AWS's documented algorithm: an aws-chunked PUT with
    chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD; the seed
    signature by botocore's S3SigV4Auth), accepted; the same with one
    chunk signature's digit flipped, refused with 403 SignatureDoesNotMatch
    and nothing stored; an unsigned-trailer body whose CRC32 is wrong,
    refused with BadDigest and nothing stored.
  - Presigned GET and PUT URLs (generate_presigned_url) used with urllib;
    a tampered presigned URL and one signed by a principal the bucket
    doesn't let in are refused.
  - aws s3 cp of a 20 MiB file up and down with the CLI v1.

Every upload is made by foo-bar (B's bar assuming A's foo_bar: temporary
credentials) into A's bucket a-stream. Run by e2e/gateway_test.go, which
starts the server with its gatewayWorld and sets AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE, AWS_ENDPOINT_URL and SCRATCH (a directory for
files). Prints one line per check, "wire:" lines with the headers each
client sent, and a closing "N passed, 0 failed"; exits non-zero on the
first failure.
"""
import ast
import base64
import hashlib
import hmac
import http.client
import os
import random
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from checks import ok, fail, done, cli, boto_error


A = "111111111111"
BUCKET = "a-stream"
MiB = 1 << 20
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
SCRATCH = os.environ["SCRATCH"]
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TRANSFER = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)

# Checks that fail because of the gateway, not the script: each is named
# here with the failure, and skipped (reported as SKIP) until it is fixed.
# Remove a name to run its check again.
GATEWAY_BUGS = {}

# The request headers that say how a body is framed, signed and checked.
WIRE_HEADERS = ("Content-Length", "Transfer-Encoding", "Content-Encoding", "X-Amz-Content-SHA256",
                "X-Amz-Decoded-Content-Length", "X-Amz-Trailer", "x-amz-sdk-checksum-algorithm",
                "x-amz-checksum-crc32", "Content-MD5", "Expect")


_reported = set()


def skipped(name):
    """Whether a check is on the GATEWAY_BUGS list; says so (once) if it is."""
    if name not in GATEWAY_BUGS:
        return False
    if name not in _reported:
        _reported.add(name)
        print(f"SKIP {name}: {GATEWAY_BUGS[name]}")
    return True


def wire(headers):
    """The framing headers of a request, as a dict (names as sent)."""
    lower = {k.lower(): (k, v.decode() if isinstance(v, bytes) else v) for k, v in headers.items()}
    return {lower[h.lower()][0]: lower[h.lower()][1] for h in WIRE_HEADERS if h.lower() in lower}


class WireLog:
    """Records the headers of the first request of each S3 operation a
    boto3 client sends (botocore's before-send event)."""

    def __init__(self, client):
        self.sent = {}
        client.meta.events.register("before-send.s3.*", self._record)

    def _record(self, request, event_name, **kwargs):
        op = event_name.rsplit(".", 1)[-1]
        self.sent.setdefault(op, wire(request.headers))

    def show(self, label, *ops):
        for op in ops:
            print(f"wire: {label} {op}: {self.sent.get(op)}")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def write_file(path, size, seed):
    data = random.Random(seed).randbytes(size)
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def refused(status, text, want_status, want_code, want_message, what):
    """Check a hand-built request's refusal: want_status and want_code
    (and want_message, when set), or, while aws-chunked-body-error-code is
    skipped, any 4xx or 5xx answer."""
    if skipped("aws-chunked-body-error-code"):
        if status < 400:
            fail(f"{what}: {status} {text}")
        return f"refused ({status} {code_of(text)}; want {want_status} {want_code}, see SKIP)"
    if status != want_status or f"<Code>{want_code}</Code>" not in text or (want_message and want_message not in text):
        fail(f"{what}: {status} {text}, want {want_status} {want_code}")
    return f"{status} {want_code}" + (f" '{want_message}'" if want_message else "")


def code_of(text):
    """The <Code> of an S3 error body."""
    return text.split("<Code>", 1)[-1].split("</Code>", 1)[0] if "<Code>" in text else text[:80]


def absent(s3, key, what):
    """Check that no object key is in the bucket."""
    got = s3.list_objects_v2(Bucket=BUCKET, Prefix=key).get("Contents", [])
    if any(o["Key"] == key for o in got):
        fail(f"{what}: the object {key} exists")


def force_trailer(params, **kwargs):
    """A before-call hook: send the checksum botocore resolved for the
    request in a trailer (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER),
    as botocore does on https, instead of a header."""
    algorithm = params["context"].get("checksum", {}).get("request_algorithm")
    if isinstance(algorithm, dict) and algorithm.get("in") == "header":
        algorithm["in"] = "trailer"


def multipart(label, s3, path, want_sha, key):
    """Upload path as key with TRANSFER, download it back and compare."""
    log = WireLog(s3)
    start = time.monotonic()
    s3.upload_file(path, BUCKET, key, Config=TRANSFER)
    up = time.monotonic() - start
    head = s3.head_object(Bucket=BUCKET, Key=key)
    if head["ContentLength"] != 64 * MiB or not head["ETag"].endswith('-8"'):
        fail(f"{label}: stored {head['ContentLength']} bytes, ETag {head['ETag']}: want 64 MiB in 8 parts")
    if head.get("ContentEncoding"):
        fail(f"{label}: stored with Content-Encoding {head['ContentEncoding']!r}")
    out = os.path.join(SCRATCH, key + ".down")
    start = time.monotonic()
    s3.download_file(BUCKET, key, out, Config=TRANSFER)
    down = time.monotonic() - start
    if sha256_file(out) != want_sha:
        fail(f"{label}: the object downloaded back differs (SHA-256)")
    os.remove(out)
    log.show(label, "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload")
    print(f"time: {label}: upload {up:.1f}s, download {down:.1f}s")
    return log


def boto3_multipart(foo_bar):
    path = os.path.join(SCRATCH, "big.bin")
    want = write_file(path, 64 * MiB, 64)

    # As boto3 sends it over http: botocore signs the payload's SHA-256
    # and sends the CRC32 as a header.
    log = multipart("boto3 (http default)", foo_bar.client("s3"), path, want, "big-default")
    part = log.sent["UploadPart"]
    if (not re.fullmatch("[0-9a-f]{64}", part.get("X-Amz-Content-SHA256", "")) or "x-amz-checksum-crc32" not in part
            or part.get("Content-Length") != str(8 * MiB)):
        fail(f"boto3 over http: UploadPart sent {part}, want a signed SHA-256 payload and a CRC32 header")
    ok("boto3: 64 MiB multipart upload (8 x 8 MiB, signed SHA-256 payloads, CRC32 header) into A's bucket; SHA-256 matches downloaded back")

    # Payload signing off: UNSIGNED-PAYLOAD.
    s3 = foo_bar.client("s3", config=Config(s3={"payload_signing_enabled": False}))
    log = multipart("boto3 (payload_signing_enabled=False)", s3, path, want, "big-unsigned")
    if log.sent["UploadPart"].get("X-Amz-Content-SHA256") != "UNSIGNED-PAYLOAD":
        fail(f"payload_signing_enabled=False: UploadPart sent {log.sent['UploadPart']}")
    ok("boto3: 64 MiB multipart upload with UNSIGNED-PAYLOAD parts; SHA-256 matches downloaded back")

    # aws-chunked, as boto3 sends it over https.
    s3 = foo_bar.client("s3")
    s3.meta.events.register("before-call.s3.UploadPart", force_trailer)
    s3.meta.events.register("before-call.s3.PutObject", force_trailer)
    log = multipart("boto3 (aws-chunked trailer)", s3, path, want, "big-chunked")
    part = log.sent["UploadPart"]
    if (part.get("X-Amz-Content-SHA256") != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" or part.get("Content-Encoding") != "aws-chunked"
            or part.get("X-Amz-Trailer") != "x-amz-checksum-crc32" or part.get("X-Amz-Decoded-Content-Length") != str(8 * MiB)):
        fail(f"the forced trailer did not make botocore send aws-chunked: {part}")
    ok("boto3: 64 MiB multipart upload, each part aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer); "
       "stored without aws-chunked, SHA-256 matches downloaded back")
    s3.put_object(Bucket=BUCKET, Key="small-chunked", Body=b"hello, aws-chunked\n")
    log = WireLog(s3)
    s3.put_object(Bucket=BUCKET, Key="small-chunked", Body=b"hello again, aws-chunked\n")
    log.show("boto3 (aws-chunked trailer)", "PutObject")
    got = s3.get_object(Bucket=BUCKET, Key="small-chunked")
    if got["Body"].read() != b"hello again, aws-chunked\n" or got.get("ContentEncoding"):
        fail(f"PutObject aws-chunked: read back {got}")
    ok("boto3: PutObject aws-chunked with a CRC32 trailer; read back without aws-chunked")
    os.remove(path)


def signing_key(secret, day):
    k = hmac.new(("AWS4" + secret).encode(), day.encode(), hashlib.sha256).digest()
    for part in ("us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


class StreamingSeed(S3SigV4Auth):
    """botocore's S3 signer for a body whose chunks are signed: the
    canonical request's payload hash is the streaming marker."""

    def __init__(self, credentials, marker):
        super().__init__(credentials, "s3", "us-east-1")
        self.marker = marker

    def payload(self, request):
        return self.marker


def put_raw(path, headers, body):
    """Send one PUT as built, with http.client; return status and body."""
    u = urllib.parse.urlsplit(ENDPOINT)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.request("PUT", path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def signed_chunked_put(creds, key, data, chunk_size, tamper=None):
    """PUT data as key in an aws-chunked body with chunk signatures
    (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), built from AWS's documented
    algorithm: the seed signature signs the headers, and each chunk's
    signature chains on the previous one:

        AWS4-HMAC-SHA256-PAYLOAD\\nDATE\\nSCOPE\\nPREV-SIG\\nSHA256("")\\nSHA256(chunk)

    tamper, when set, is the index of the chunk whose signature gets one
    hex digit changed. Returns status, body and the headers sent."""
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    encoded_len = sum(len(f"{len(c):x};chunk-signature=") + 64 + 2 + len(c) + 2 for c in chunks)
    req = AWSRequest(method="PUT", url=f"{ENDPOINT}/{BUCKET}/{key}", headers={
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "Content-Length": str(encoded_len),
    })
    StreamingSeed(creds, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD").add_auth(req)
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    amz_date = headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    prev = headers["Authorization"].rsplit("Signature=", 1)[1]
    key_bytes = signing_key(creds.secret_key, amz_date[:8])
    body = bytearray()
    for i, c in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, EMPTY_SHA256, hashlib.sha256(c).hexdigest()])
        sig = hmac.new(key_bytes, sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if i == tamper:
            sig = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
        body += f"{len(c):x};chunk-signature={sig}\r\n".encode() + c + b"\r\n"
    if len(body) != encoded_len:
        fail(f"built {len(body)} bytes of aws-chunked body, announced {encoded_len}")
    status, text = put_raw(f"/{BUCKET}/{key}", headers, bytes(body))
    return status, text, headers


def unsigned_trailer_put(creds, key, data, chunk_size, crc):
    """PUT data as key in an aws-chunked body with unsigned chunks and an
    x-amz-checksum-crc32 trailer of value crc
    (STREAMING-UNSIGNED-PAYLOAD-TRAILER), as botocore frames it."""
    body = bytearray()
    for i in range(0, len(data), chunk_size):
        c = data[i:i + chunk_size]
        body += f"{len(c):x}\r\n".encode() + c + b"\r\n"
    body += f"0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    req = AWSRequest(method="PUT", url=f"{ENDPOINT}/{BUCKET}/{key}", headers={
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(data)),
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "Content-Length": str(len(body)),
    })
    StreamingSeed(creds, "STREAMING-UNSIGNED-PAYLOAD-TRAILER").add_auth(req)
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    return put_raw(f"/{BUCKET}/{key}", headers, bytes(body))


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def hand_built(foo_bar):
    creds = foo_bar.get_credentials().get_frozen_credentials()
    s3 = foo_bar.client("s3")
    data = random.Random(7).randbytes(MiB + 12345)

    status, text, headers = signed_chunked_put(creds, "signed-chunks", data, 64 * 1024)
    print(f"wire: hand-built signed chunks PutObject: {wire(headers)}")
    if status != 200:
        fail(f"signed aws-chunked PUT: {status} {text}")
    got = s3.get_object(Bucket=BUCKET, Key="signed-chunks")
    if hashlib.sha256(got["Body"].read()).digest() != hashlib.sha256(data).digest() or got.get("ContentEncoding"):
        fail("signed aws-chunked PUT: the object read back differs")
    ok("by hand: aws-chunked PUT of 1 MiB + 12345 bytes in 64 KiB chunks with chunk signatures "
       "(STREAMING-AWS4-HMAC-SHA256-PAYLOAD, session credentials): 200, read back identical")

    for tamper, where in ((1, "the second chunk"), (17, "the final, empty chunk")):
        key = f"tampered-{tamper}"
        status, text, _ = signed_chunked_put(creds, key, data, 64 * 1024, tamper=tamper)
        said = refused(status, text, 403, "SignatureDoesNotMatch", None, f"tampered chunk signature ({where})")
        time.sleep(0.2)  # moto may take a moment to drop the aborted request
        absent(s3, key, f"tampered chunk signature ({where})")
        ok(f"by hand: the same PUT with one digit of {where}'s signature changed: {said}, nothing stored")

    status, text = unsigned_trailer_put(creds, "trailer-good", data, 64 * 1024, crc32_b64(data))
    if status != 200:
        fail(f"unsigned-trailer PUT with the right CRC32: {status} {text}")
    if s3.get_object(Bucket=BUCKET, Key="trailer-good")["Body"].read() != data:
        fail("unsigned-trailer PUT: the object read back differs")
    ok("by hand: STREAMING-UNSIGNED-PAYLOAD-TRAILER PUT with the right CRC32 trailer: 200, read back identical")
    status, text = unsigned_trailer_put(creds, "trailer-bad", data, 64 * 1024, crc32_b64(data + b"x"))
    said = refused(status, text, 400, "BadDigest", "The CRC32 you specified did not match the calculated checksum.", "wrong CRC32 trailer")
    time.sleep(0.2)
    absent(s3, "trailer-bad", "wrong CRC32 trailer")
    ok(f"by hand: the same with a wrong CRC32 trailer: {said}, nothing stored")


def urlopen(req):
    """Status and body of a urllib request, errors included."""
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def presigned(foo_bar, other):
    # botocore presigns S3 URLs with Signature Version 2 unless told
    # otherwise; assumed (like S3 for buckets made since June 2020) takes
    # SigV4 only.
    v4 = Config(signature_version="s3v4")
    v2_url = foo_bar.client("s3").generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "small-chunked"}, ExpiresIn=300)
    if "AWSAccessKeyId=" not in v2_url:
        fail(f"botocore's default presigned URL is not SigV2: {v2_url}")
    status, text = urlopen(v2_url)
    if status < 400 or b"hello" in text:
        fail(f"SigV2 presigned GET: {status} {text}")
    print(f"wire: SigV2 presigned GET (botocore's default): assumed answered {status} {text.decode()[:400]}")
    ok(f"urllib: a SigV2 presigned GET URL (botocore's default) is refused ({status} {code_of(text.decode())}), not forwarded")

    s3 = foo_bar.client("s3", config=v4)
    body = b"put through a presigned URL\n"
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "presigned"}, ExpiresIn=300)
    if "X-Amz-Security-Token=" not in put_url or "X-Amz-Signature=" not in put_url:
        fail(f"presigned PUT URL: {put_url}")
    # urllib's default Content-Type for a body is a form's, which moto
    # (Werkzeug) consumes as form fields, storing an empty object: say what
    # the body is, as S3 clients do.
    octets = {"Content-Type": "application/octet-stream"}
    status, text = urlopen(urllib.request.Request(put_url, data=body, method="PUT", headers=octets))
    if status != 200:
        fail(f"presigned PUT: {status} {text}")
    if s3.get_object(Bucket=BUCKET, Key="presigned")["Body"].read() != body:
        fail("presigned PUT: the object read back differs")
    ok("urllib: PUT to a presigned URL (foo-bar's session credentials): 200, stored")
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "presigned"}, ExpiresIn=300)
    status, text = urlopen(get_url)
    if status != 200 or text != body:
        fail(f"presigned GET: {status} {text}")
    ok("urllib: GET of a presigned URL: 200, the object")

    sig = urllib.parse.parse_qs(urllib.parse.urlsplit(get_url).query)["X-Amz-Signature"][0]
    bad = get_url.replace(sig, sig[:-1] + ("0" if sig[-1] != "0" else "1"))
    status, text = urlopen(bad)
    if status != 403 or b"<Code>SignatureDoesNotMatch</Code>" not in text:
        fail(f"tampered presigned GET: {status} {text}")
    ok("urllib: the presigned GET URL with its signature changed: 403 SignatureDoesNotMatch")
    bad = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "other-key"}, ExpiresIn=300)
    bad = bad.replace("other-key", "presigned")
    status, text = urlopen(bad)
    if status != 403 or b"<Code>SignatureDoesNotMatch</Code>" not in text:
        fail(f"presigned GET for another key: {status} {text}")
    ok("urllib: a presigned GET URL moved to another key: 403 SignatureDoesNotMatch")

    # other (s3:* in B) signs a perfectly good URL; A's bucket has no
    # policy letting it in.
    url = other.client("s3", config=v4).generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "presigned"}, ExpiresIn=300)
    status, text = urlopen(url)
    if status != 403 or b"<Code>AccessDenied</Code>" not in text or b"because no resource-based policy allows the s3:GetObject action" not in text:
        fail(f"other's presigned GET: {status} {text}")
    ok("urllib: a presigned GET URL signed by other (B, no bucket policy): 403 AccessDenied, no resource-based policy allows")
    url = other.client("s3", config=v4).generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "from-other"}, ExpiresIn=300)
    status, text = urlopen(urllib.request.Request(url, data=body, method="PUT", headers=octets))
    if status != 403 or b"<Code>AccessDenied</Code>" not in text:
        fail(f"other's presigned PUT: {status} {text}")
    absent(s3, "from-other", "other's presigned PUT")
    ok("urllib: a presigned PUT URL signed by other: 403 AccessDenied, nothing stored")


# A CLI v1 plugin (loaded through the config file's [plugins] section)
# doing what force_trailer does for boto3: the CLI's UploadPart and
# PutObject go aws-chunked with a CRC32 trailer, as they would over https.
CLI_PLUGIN = """
def force_trailer(params, **kwargs):
    algorithm = params["context"].get("checksum", {}).get("request_algorithm")
    if isinstance(algorithm, dict) and algorithm.get("in") == "header":
        algorithm["in"] = "trailer"


def awscli_initialize(events):
    events.register("before-call.s3.UploadPart", force_trailer)
    events.register("before-call.s3.PutObject", force_trailer)
"""


def cli_chunked_env():
    """The environment of a CLI that loads CLI_PLUGIN."""
    with open(os.path.join(SCRATCH, "force_trailer_plugin.py"), "w") as f:
        f.write(CLI_PLUGIN)
    config = os.path.join(SCRATCH, "config-chunked")
    with open(os.environ["AWS_CONFIG_FILE"]) as src, open(config, "w") as dst:
        dst.write(src.read() + "\n[plugins]\nforce_trailer = force_trailer_plugin\n")
    return {"AWS_CONFIG_FILE": config, "PYTHONPATH": SCRATCH + os.pathsep + os.environ.get("PYTHONPATH", "")}


def cli_debug(profile, *args, env=None):
    """Run the AWS CLI with --debug; return the framing headers of each
    request it sent, by method and path, in order."""
    cmd = ["aws", "--debug", "--profile", profile] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if p.returncode != 0:
        tail = "\n".join(p.stderr.splitlines()[-20:])
        fail(f"aws {' '.join(args)}: exit {p.returncode}: {tail}")
    sent = []
    for line in p.stderr.splitlines():
        i = line.find("Sending http request: <AWSPreparedRequest ")
        if i < 0:
            continue
        rest = line[i:]
        method = rest.split("method=", 1)[1].split(",", 1)[0]
        url = rest.split("url=", 1)[1].split(", headers=", 1)[0]
        headers = ast.literal_eval(rest.split(", headers=", 1)[1].rstrip(">"))
        sent.append((method, urllib.parse.urlsplit(url).path + "?" + urllib.parse.urlsplit(url).query, wire(headers)))
    return sent


def cli_cp():
    path = os.path.join(SCRATCH, "cli.bin")
    want = write_file(path, 20 * MiB, 20)
    start = time.monotonic()
    sent = cli_debug("foo-bar", "s3", "cp", path, f"s3://{BUCKET}/cli-20m")
    up = time.monotonic() - start
    parts = [s for s in sent if s[0] == "PUT" and "partNumber=" in s[1]]
    if len(parts) != 3:
        fail(f"aws s3 cp 20 MiB: want 3 UploadPart requests (8 MiB parts), sent {[(m, p) for m, p, _ in sent]}")
    for _, p, h in parts[:1]:
        print(f"wire: aws s3 cp (CLI v1) UploadPart {p.split('?')[1]}: {h}")
    head = cli("foo-bar", "s3api", "head-object", "--bucket", BUCKET, "--key", "cli-20m")
    if head["ContentLength"] != 20 * MiB or not head["ETag"].endswith('-3"'):
        fail(f"aws s3 cp 20 MiB: stored {head}")
    ok("CLI: aws s3 cp of a 20 MiB file to A's bucket (3 parts): stored whole")
    out = os.path.join(SCRATCH, "cli.down")
    start = time.monotonic()
    cli_debug("foo-bar", "s3", "cp", f"s3://{BUCKET}/cli-20m", out)
    down = time.monotonic() - start
    if sha256_file(out) != want:
        fail("aws s3 cp down: the file differs (SHA-256)")
    ok("CLI: aws s3 cp of the object back: SHA-256 matches")
    print(f"time: aws s3 cp 20 MiB: upload {up:.1f}s, download {down:.1f}s")
    os.remove(out)

    # The CLI as it sends over https: aws-chunked parts.
    sent = cli_debug("foo-bar", "s3", "cp", path, f"s3://{BUCKET}/cli-20m-chunked", env=cli_chunked_env())
    parts = [s for s in sent if s[0] == "PUT" and "partNumber=" in s[1]]
    if len(parts) != 3:
        fail(f"aws s3 cp 20 MiB (aws-chunked): want 3 UploadPart requests, sent {[(m, p) for m, p, _ in sent]}")
    for _, p, h in parts[:1]:
        print(f"wire: aws s3 cp (CLI v1, trailer plugin) UploadPart {p.split('?')[1]}: {h}")
    for _, p, h in parts:
        if h.get("X-Amz-Content-SHA256") != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" or h.get("Content-Encoding") != "aws-chunked":
            fail(f"the trailer plugin did not make the CLI send aws-chunked: {p} {h}")
    cli_debug("foo-bar", "s3", "cp", f"s3://{BUCKET}/cli-20m-chunked", out)
    if sha256_file(out) != want:
        fail("aws s3 cp down (aws-chunked upload): the file differs (SHA-256)")
    ok("CLI: aws s3 cp of the 20 MiB file with aws-chunked parts (STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer) and back: SHA-256 matches")
    os.remove(path)
    os.remove(out)


def main():
    cli("account-a", "s3api", "create-bucket", "--bucket", BUCKET)
    ok(f"CLI: A's root creates {BUCKET}")
    foo_bar, other = boto3.Session(profile_name="foo-bar"), boto3.Session(profile_name="other")
    msg = boto_error(lambda: other.client("s3").put_object(Bucket=BUCKET, Key="x", Body=b"x"), "AccessDenied", "PutObject")
    if "because no resource-based policy allows the s3:PutObject action" not in msg:
        fail(f"other put_object: {msg}")
    ok("boto3: other (s3:* in B) put_object into A's bucket: AccessDenied")

    boto3_multipart(foo_bar)
    hand_built(foo_bar)
    presigned(foo_bar, other)
    cli_cp()
    done()


if __name__ == "__main__":
    main()
