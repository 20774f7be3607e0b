# The simulator's server-side V3 signature check: what ACK answers to a badly signed request.
"""Rebuilds the canonical request from what was received (acsv3.py, independent of the
daemon's C signer) and answers as the real API does: the error code and message for a
missing or unsigned header, a wrong payload hash or signature, a skewed date, a missing or
wrong security token, an expired credential, a reused nonce."""

import hmac
import time

import acsv3


def verify_request(method, path, query, headers, body, credential, nonce_used, max_skew):
    """Check a V3 signature. Returns (key_id, None) or (key_id, (status, code, message)).
    credential(key_id) gives the scenario's credential dict or None; nonce_used(key_id,
    nonce, now) records a nonce and says whether it was seen already."""
    try:
        key_id, signed, sig = acsv3.parse_authorization(headers.get("Authorization"))
    except ValueError as e:
        return None, (400, "IncompleteSignature",
                      "The request signature does not conform to Aliyun standards: %s" % e)
    cred = credential(key_id)
    if cred is None:
        return key_id, (404, "InvalidAccessKeyId.NotFound",
                        "Specified access key is not found.")
    received = {}
    for name in headers.keys():
        lower = name.lower()
        values = headers.get_all(name)
        received[lower] = ",".join(v.strip() for v in values)
    signed_set = {s.lower() for s in signed}
    for name in sorted(received):
        if (name == "host" or name.startswith("x-acs-")) and name not in signed_set:
            return key_id, (400, "IncompleteSignature",
                            "The request signature does not conform to Aliyun standards: "
                            "header %s is not signed." % name)
    for name in signed_set:
        if name not in received:
            return key_id, (400, "IncompleteSignature",
                            "The request signature does not conform to Aliyun standards: "
                            "signed header %s is missing." % name)
    payload_hash = received.get("x-acs-content-sha256")
    if payload_hash is None:
        return key_id, (400, "IncompleteSignature",
                        "x-acs-content-sha256 is mandatory for this action.")
    if payload_hash != acsv3.sha256_hex(body):
        return key_id, (400, "IncompleteSignature",
                        "x-acs-content-sha256 does not match the request body.")
    canon = acsv3.canonical_request(method, path, query, received, signed_set, payload_hash)
    to_sign = acsv3.string_to_sign(canon)
    expected = acsv3.signature(cred["access_key_secret"], to_sign)
    if not _consteq(expected, sig.lower()):
        return key_id, (400, "SignatureDoesNotMatch",
                        "Specified signature does not match our calculation. "
                        "server string to sign is:" + to_sign)
    now = time.time()
    date = received.get("x-acs-date")
    if date is None:
        return key_id, (400, "MissingParameter", "x-acs-date is mandatory for this action.")
    try:
        when = acsv3.parse_date(date)
    except ValueError:
        return key_id, (400, "InvalidTimeStamp.Format",
                        "Specified time stamp or date value is not well formatted.")
    if abs(now - when) > max_skew:
        return key_id, (400, "InvalidTimeStamp.Expired",
                        "Specified time stamp or date value is expired.")
    akid = received.get("x-acs-accesskey-id")
    if akid is not None and akid != key_id:
        return key_id, (400, "IncompleteSignature",
                        "x-acs-accesskey-id does not match the Credential.")
    token = cred.get("security_token")
    if token is not None:
        got = received.get("x-acs-security-token")
        if got is None:
            return key_id, (400, "InvalidSecurityToken.Expired",
                            "The security token is missing (required for this access key).")
        if not _consteq(got, token):
            return key_id, (400, "InvalidSecurityToken.Expired",
                            "Specified SecurityToken is expired or invalid.")
    expires = cred.get("expires_at")
    if expires is not None and now >= float(expires):
        return key_id, (400, "InvalidSecurityToken.Expired",
                        "Specified SecurityToken is expired.")
    if nonce_used(key_id, received.get("x-acs-signature-nonce"), now):
        return key_id, (400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    return key_id, None


def _consteq(a, b):
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
