# Unit tests of the simulator's V3 signer against the two test vectors of ack-api.md §4.
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acsv3  # noqa: E402

HOST = "cs.cn-hangzhou.aliyuncs.com"
PATH = "/tasks/T-5faa48fb31b6b8078d000006"
DATE = "2026-01-02T03:04:05Z"
NONCE = "0123456789abcdef"

CANONICAL_1 = (
    "GET\n"
    "/tasks/T-5faa48fb31b6b8078d000006\n"
    "\n"
    "host:cs.cn-hangzhou.aliyuncs.com\n"
    "x-acs-action:DescribeTaskInfo\n"
    "x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
    "x-acs-date:2026-01-02T03:04:05Z\n"
    "x-acs-signature-nonce:0123456789abcdef\n"
    "x-acs-version:2015-12-15\n"
    "\n"
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
STS_1 = "ACS3-HMAC-SHA256\n1d693ff0b1aad30ed07bebbfeea6d2aa0a50e0774692e1c293731c90351c1780"
AUTH_1 = ("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;"
          "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
          "Signature=2ebb8a98b4cfbef425a77c5144a9d15682a1b506eaa924da260dfb23038bea5b")
STS_2 = "ACS3-HMAC-SHA256\ncca9a99019e4d3016c10532abfd20fb512ca1d10107a864ce427c7196bfd2e7c"
AUTH_2 = ("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-accesskey-id;"
          "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;"
          "x-acs-signature-nonce;x-acs-version,"
          "Signature=59126b4ac42fad9140e6543507fd5abbb4bbde5e4b4f5c4b96c71c0ebeab1041")


def vector_headers(token=None):
    h = {
        "host": HOST,
        "x-acs-action": "DescribeTaskInfo",
        "x-acs-version": "2015-12-15",
        "x-acs-date": DATE,
        "x-acs-signature-nonce": NONCE,
        "x-acs-content-sha256": acsv3.EMPTY_SHA256,
    }
    if token:
        h["x-acs-accesskey-id"] = "testid"
        h["x-acs-security-token"] = token
    return h


class TestVectors(unittest.TestCase):
    def test_vector1_canonical_request(self):
        h = vector_headers()
        canon = acsv3.canonical_request("GET", PATH, "", h, acsv3.signed_header_names(h),
                                        acsv3.EMPTY_SHA256)
        self.assertEqual(canon, CANONICAL_1)
        self.assertEqual(acsv3.string_to_sign(canon), STS_1)

    def test_vector1_authorization(self):
        headers, to_sign = acsv3.sign("GET", PATH, vector_headers(), "testid", "testsecret")
        self.assertEqual(to_sign, STS_1)
        self.assertEqual(headers["Authorization"], AUTH_1)

    def test_vector2_sts_token(self):
        headers, to_sign = acsv3.sign("GET", PATH, vector_headers("tok"), "testid", "testsecret")
        self.assertEqual(to_sign, STS_2)
        self.assertEqual(headers["Authorization"], AUTH_2)

    def test_describe_task_headers_matches_vector(self):
        # accept/user-agent are sent but not signed, so the vectors still hold
        path, headers, to_sign = acsv3.describe_task_headers(
            HOST, "T-5faa48fb31b6b8078d000006", "testid", "testsecret", token="tok",
            date=DATE, nonce=NONCE)
        self.assertEqual(path, PATH)
        self.assertEqual(to_sign, STS_2)
        self.assertEqual(headers["Authorization"], AUTH_2)

    def test_header_names_and_values_normalised(self):
        h = {k.upper(): "  " + v + " " for k, v in vector_headers().items()}
        canon = acsv3.canonical_request("get", PATH, None, h, acsv3.signed_header_names(h),
                                        acsv3.EMPTY_SHA256)
        self.assertEqual(canon, CANONICAL_1)


class TestPieces(unittest.TestCase):
    def test_percent_encode(self):
        self.assertEqual(acsv3.percent_encode("A-z_0.~"), "A-z_0.~")
        self.assertEqual(acsv3.percent_encode("a b/c*+é"), "a%20b%2Fc%2A%2B%C3%A9")

    def test_canonical_query_sorted_and_reencoded(self):
        self.assertEqual(acsv3.canonical_query("b=2&a=x%20y&c"), "a=x%20y&b=2&c=")
        self.assertEqual(acsv3.canonical_query({"z": "1", "a": "/"}), "a=%2F&z=1")
        self.assertEqual(acsv3.canonical_query(""), "")

    def test_parse_authorization(self):
        key, signed, sig = acsv3.parse_authorization(AUTH_1)
        self.assertEqual(key, "testid")
        self.assertEqual(signed[0], "host")
        self.assertEqual(len(signed), 6)
        self.assertEqual(sig[:8], "2ebb8a98")

    def test_parse_authorization_rejects(self):
        for bad in (None, "", "acs testid:abc", "ACS3-HMAC-SHA256 Credential=x",
                    "ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host,Signature=",
                    "ACS3-HMAC-SHA256 garbage"):
            with self.assertRaises(ValueError, msg=repr(bad)):
                acsv3.parse_authorization(bad)

    def test_dates(self):
        self.assertEqual(acsv3.format_date(0), "1970-01-01T00:00:00Z")
        self.assertEqual(acsv3.parse_date(DATE), 1767323045.0)
        with self.assertRaises(ValueError):
            acsv3.parse_date("2026-01-02 03:04:05")


if __name__ == "__main__":
    unittest.main()
