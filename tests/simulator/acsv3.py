# Alibaba Cloud V3 request signing (ACS3-HMAC-SHA256), from ack-api.md §4, for the simulator.
"""Both halves of ACS3-HMAC-SHA256: the client side (sign a request) and the server side
(rebuild the canonical request from what was received and check it).

Deliberately independent of the daemon's C signer so that the two check each other."""

import datetime
import hashlib
import hmac
import os
import urllib.parse

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ACTION = "DescribeTaskInfo"
ACTION_CLUSTER_TASKS = "DescribeClusterTasks"
VERSION = "2015-12-15"

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def percent_encode(value):
    """RFC 3986 encoding: everything but unreserved characters becomes %XX (upper case)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in value)


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def format_date(when=None):
    """x-acs-date format: UTC, second precision, trailing Z."""
    if when is None:
        when = datetime.datetime.now(datetime.timezone.utc)
    elif isinstance(when, (int, float)):
        when = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(value):
    """Parse an x-acs-date value into epoch seconds; ValueError when malformed."""
    dt = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    return dt.replace(tzinfo=datetime.timezone.utc).timestamp()


def canonical_query(query):
    """Canonical query string from a raw query string, a dict or a list of pairs.

    A raw string is decoded first (it arrives percent-encoded) and re-encoded, so that
    the server's view does not depend on how the client chose to encode."""
    if query is None:
        return ""
    if isinstance(query, str):
        pairs = []
        for part in query.split("&"):
            if not part:
                continue
            key, _, value = part.partition("=")
            pairs.append((urllib.parse.unquote(key), urllib.parse.unquote(value)))
    elif isinstance(query, dict):
        pairs = list(query.items())
    else:
        pairs = list(query)
    encoded = sorted((percent_encode(k), percent_encode("" if v is None else str(v)))
                     for k, v in pairs)
    return "&".join(k + "=" + v for k, v in encoded)


def signed_header_names(headers):
    """The header names a V3 client signs: host, content-type and every x-acs-* header."""
    names = set()
    for name in headers:
        lower = name.lower()
        if lower in ("host", "content-type") or lower.startswith("x-acs-"):
            names.add(lower)
    return sorted(names)


def canonical_headers(headers, signed):
    """One "name:value\\n" per signed header; headers is a mapping lowercase name -> value."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return "".join("%s:%s\n" % (name, lowered.get(name, "").strip()) for name in sorted(signed))


def canonical_request(method, uri, query, headers, signed, payload_hash):
    """The canonical request of ack-api.md §4; uri is used exactly as given (already encoded)."""
    signed = sorted(n.lower() for n in signed)
    return "\n".join([
        method.upper(),
        uri,
        canonical_query(query),
        canonical_headers(headers, signed),
        ";".join(signed),
        payload_hash,
    ])


def string_to_sign(canonical):
    return ALGORITHM + "\n" + sha256_hex(canonical)


def signature(secret, to_sign):
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(key_id, signed, sig):
    return "%s Credential=%s,SignedHeaders=%s,Signature=%s" % (
        ALGORITHM, key_id, ";".join(sorted(n.lower() for n in signed)), sig)


def parse_authorization(value):
    """Split an Authorization header into (key_id, [signed header names], signature).

    Raises ValueError with a human-readable reason when it is not a V3 header."""
    if value is None:
        raise ValueError("no Authorization header")
    value = value.strip()
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        raise ValueError("Authorization does not use " + ALGORITHM)
    fields = {}
    for part in value[len(prefix):].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            raise ValueError("malformed Authorization field %r" % part)
        fields[key.strip()] = val.strip()
    try:
        key_id = fields["Credential"]
        signed = fields["SignedHeaders"]
        sig = fields["Signature"]
    except KeyError as e:
        raise ValueError("Authorization lacks %s" % e.args[0]) from None
    if not key_id or not signed or not sig:
        raise ValueError("Authorization has an empty field")
    return key_id, signed.split(";"), sig


def sign(method, uri, headers, key_id, secret, body=b"", query=""):
    """Client side: return a new header dict with x-acs-content-sha256 and Authorization.

    headers must already hold host and the x-acs-* headers to send; uri is the encoded path.
    Also returns the string to sign, which tests compare with the server's."""
    out = dict(headers)
    if isinstance(body, str):
        body = body.encode("utf-8")
    payload_hash = sha256_hex(body or b"")
    lower = {k.lower() for k in out}
    if "x-acs-content-sha256" not in lower:
        out["x-acs-content-sha256"] = payload_hash
    signed = signed_header_names(out)
    canon = canonical_request(method, uri, query, out, signed, payload_hash)
    to_sign = string_to_sign(canon)
    out["Authorization"] = authorization(key_id, signed, signature(secret, to_sign))
    return out, to_sign


def _request_headers(host, action, key_id, token, date, nonce, accept):
    """The headers every signed GET of the simulator's clients carries, before signing."""
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": VERSION,
        "x-acs-date": date or format_date(),
        "x-acs-signature-nonce": nonce or os.urandom(16).hex(),
        "user-agent": "acsv3.py",
    }
    if accept is not None:
        headers["accept"] = accept
    if token is not None:
        headers["x-acs-accesskey-id"] = key_id
        headers["x-acs-security-token"] = token
    return headers


def describe_task_headers(host, task_id, key_id, secret, token=None, date=None, nonce=None,
                          accept="application/json", extra=None):
    """Headers for a signed DescribeTaskInfo call; returns (path, headers, string_to_sign)."""
    path = "/tasks/" + percent_encode(task_id)
    headers = _request_headers(host, ACTION, key_id, token, date, nonce, accept)
    if extra:
        headers.update(extra)
    headers, to_sign = sign("GET", path, headers, key_id, secret)
    return path, headers, to_sign


def cluster_tasks_headers(host, cluster_id, key_id, secret, page_number=None, page_size=None,
                          token=None, date=None, nonce=None, accept="application/json",
                          action=ACTION_CLUSTER_TASKS):
    """Headers for a signed DescribeClusterTasks call; returns (path?query, headers,
    string_to_sign). The query is signed (canonical: sorted, encoded)."""
    path = "/clusters/" + percent_encode(cluster_id) + "/tasks"
    query = []
    if page_number is not None:
        query.append(("page_number", str(page_number)))
    if page_size is not None:
        query.append(("page_size", str(page_size)))
    headers = _request_headers(host, action, key_id, token, date, nonce, accept)
    headers, to_sign = sign("GET", path, headers, key_id, secret, query=query)
    qs = "&".join("%s=%s" % (k, percent_encode(v)) for k, v in query)
    return path + ("?" + qs if qs else ""), headers, to_sign
