"""An S3-compatible server for Canopy's tests: moto's S3 (a real HTTP server speaking S3's wire
format, checking nothing of the signature but parsing every request), with the bucket
`canopy-media` made, its objects readable without signing.

Usage: python3 stand_in.py PORT. Prints `READY` when listening; exits when stdin closes (the
test process that started it is gone).
"""

import contextlib
import io
import json
import sys

import boto3
from moto.server import ThreadedMotoServer


def main():
    port = int(sys.argv[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with contextlib.redirect_stdout(io.StringIO()):
        server.start()
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:%d" % port,
        region_name="us-east-1",
        aws_access_key_id="canopy",
        aws_secret_access_key="canopy-secret",
    )
    s3.create_bucket(Bucket="canopy-media")
    # The tests read objects back without signing.
    s3.put_bucket_policy(
        Bucket="canopy-media",
        Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::canopy-media/*",
            }],
        }),
    )
    print("READY", flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
