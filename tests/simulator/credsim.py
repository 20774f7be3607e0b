# The credential services next to acksim: a fake ECS metadata server and a fake STS.
"""credsim: what acksim.py serves besides DescribeTaskInfo, for the credential chain's tests.

- CredentialIssuer issues STS-style credentials (AccessKeyId "STS.acksim-N", a secret and a
  token with configurable prefixes, a configurable lifetime) and adds each to the simulator's
  accepted credentials with its "expires_at": the task endpoint then accepts exactly those.
- MetadataServer is a plain-HTTP ECS metadata server on its own 127.0.0.1 port, in
  token-protected mode by default: PUT /latest/api/token (X-aliyun-ecs-metadata-token-ttl-
  seconds, 1..21600) gives a token; GET /latest/meta-data/ram/security-credentials/ (role
  discovery) and .../<role> need X-aliyun-ecs-metadata-token. It can be taken down (every
  connection is reset, or answered 500) and up again.
- handle_sts() answers AssumeRoleWithOIDC (unsigned POST, form body) on the HTTPS port and
  checks the OIDC token against the one the scenario expects.

Scenario keys (all optional): "issuer": {"lifetime_seconds", "secret_prefix",
"token_prefix"}, "metadata": {"role", "require_token", "up", "mode", "token_prefix"}, "sts": {"oidc_token",
"role_arn", "provider_arn"}."""

import datetime
import http.server
import itertools
import json
import secrets
import socket
import struct
import threading
import time
import urllib.parse

CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/"
TOKEN_TTL_MAX = 21600


def utc_iso(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class CredentialIssuer:
    """Issues temporary credentials into sim.credentials (guarded by sim.cond)."""

    def __init__(self, sim, spec):
        spec = spec or {}
        self.sim = sim
        self.lifetime = float(spec.get("lifetime_seconds", 3600))
        self.secret_prefix = str(spec.get("secret_prefix", "acksim-secret"))
        self.token_prefix = str(spec.get("token_prefix", "acksim-token"))
        self.seq = itertools.count(1)
        self.issued = []  # [{"key", "origin", "expires_at"}]

    def configure(self, spec):
        with self.sim.cond:
            if "lifetime_seconds" in spec:
                self.lifetime = float(spec["lifetime_seconds"])
            if "secret_prefix" in spec:
                self.secret_prefix = str(spec["secret_prefix"])
            if "token_prefix" in spec:
                self.token_prefix = str(spec["token_prefix"])

    def issue(self, origin):
        """New credentials, accepted by the task endpoint until they expire. Returns the
        reply fields (AccessKeyId, AccessKeySecret, SecurityToken, Expiration)."""
        with self.sim.cond:
            n = next(self.seq)
            key = "STS.acksim-%d" % n
            secret = "%s-%d-%s" % (self.secret_prefix, n, secrets.token_hex(8))
            token = "%s-%d-%s" % (self.token_prefix, n, secrets.token_hex(16))
            # whole seconds: the reply's Expiration has no fraction
            expires = int(time.time() + self.lifetime)
            self.sim.credentials[key] = {"access_key_id": key, "access_key_secret": secret,
                                         "security_token": token, "expires_at": expires}
            self.issued.append({"key": key, "origin": origin, "expires_at": expires})
            self.sim.cond.notify_all()
        return {"AccessKeyId": key, "AccessKeySecret": secret, "SecurityToken": token,
                "Expiration": utc_iso(expires)}

    def describe(self):
        with self.sim.cond:
            return {"lifetime_seconds": self.lifetime, "issued": list(self.issued)}


# ---- the ECS metadata server --------------------------------------------------------------------

class MetadataState:
    def __init__(self, spec):
        spec = spec or {}
        self.lock = threading.Lock()
        self.role = str(spec.get("role", "acksim-role"))
        self.require_token = bool(spec.get("require_token", True))
        self.up = bool(spec.get("up", True))
        self.mode = str(spec.get("mode", "reset"))
        self.token_prefix = str(spec.get("token_prefix", "md-"))
        self.tokens = {}  # token -> expiry (monotonic)
        self.counters = {"token_requests": 0, "role_requests": 0, "credential_requests": 0,
                         "rejected": 0, "refused": 0, "issued": 0}

    def configure(self, spec):
        with self.lock:
            if "up" in spec:
                self.up = bool(spec["up"])
            if "mode" in spec:
                if spec["mode"] not in ("reset", "error"):
                    raise ValueError("metadata mode must be reset or error")
                self.mode = spec["mode"]
            if "role" in spec:
                self.role = str(spec["role"])
            if "require_token" in spec:
                self.require_token = bool(spec["require_token"])
            return self.describe_locked()

    def describe_locked(self):
        return {"up": self.up, "mode": self.mode, "role": self.role,
                "require_token": self.require_token, **self.counters}

    def describe(self):
        with self.lock:
            return self.describe_locked()

    def count(self, name):
        with self.lock:
            self.counters[name] += 1


class MetadataHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "acksim-metadata/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def send_text(self, status, text, ctype="text/plain"):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def down(self):
        """True (and the connection dealt with) while the server is down."""
        with self.state.lock:
            up, mode = self.state.up, self.state.mode
        if up:
            return False
        self.state.count("refused")
        if mode == "error":
            self.send_text(500, "Internal Server Error")
        else:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        self.close_connection = True
        return True

    def token_ok(self):
        token = self.headers.get("X-aliyun-ecs-metadata-token")
        with self.state.lock:
            if not self.state.require_token:
                return True
            expiry = self.state.tokens.get(token)
        if expiry is not None and time.monotonic() < expiry:
            return True
        self.state.count("rejected")
        self.send_text(401, "Unauthorized")
        return False

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if 0 < n < 65536 else b""

    def do_PUT(self):
        self.read_body()
        if self.down():
            return
        if self.path != "/latest/api/token":
            self.send_text(404, "Not Found")
            return
        self.state.count("token_requests")
        try:
            ttl = int(self.headers.get("X-aliyun-ecs-metadata-token-ttl-seconds", ""))
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= TOKEN_TTL_MAX:
            self.state.count("rejected")
            self.send_text(400, "Bad Request")
            return
        token = self.state.token_prefix + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = time.monotonic() + ttl
        self.send_text(200, token)

    def do_GET(self):
        if self.down():
            return
        if not self.path.startswith(CREDENTIALS_PATH):
            self.send_text(404, "Not Found")
            return
        role = self.path[len(CREDENTIALS_PATH):]
        if role == "":
            self.state.count("role_requests")
            if self.token_ok():
                self.send_text(200, self.state.role)
            return
        self.state.count("credential_requests")
        if not self.token_ok():
            return
        if urllib.parse.unquote(role) != self.state.role:
            self.send_text(404, "Not Found")
            return
        reply = self.server.issuer.issue("metadata")
        self.state.count("issued")
        now = time.time()
        reply.update({"LastUpdated": utc_iso(now), "Code": "Success"})
        self.send_text(200, json.dumps(reply), "application/json")

    do_POST = do_DELETE = do_PATCH = do_GET


class MetadataServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host, issuer, spec):
        self.issuer = issuer
        self.state = MetadataState(spec)
        super().__init__((host, 0), MetadataHandler)
        self.url = "http://%s:%d" % (host, self.server_address[1])
        self.thread = threading.Thread(target=self.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()


# ---- STS ------------------------------------------------------------------------------------------

class StsState:
    def __init__(self, spec):
        spec = spec or {}
        self.lock = threading.Lock()
        self.oidc_token = spec.get("oidc_token")
        self.role_arn = spec.get("role_arn")
        self.provider_arn = spec.get("provider_arn")
        self.counters = {"requests": 0, "issued": 0, "rejected": 0, "signed": 0}
        self.last = None  # the parameters of the last request, the token left out

    def configure(self, spec):
        with self.lock:
            for k in ("oidc_token", "role_arn", "provider_arn"):
                if k in spec:
                    setattr(self, k, spec[k])
            return self.describe_locked()

    def describe_locked(self):
        return {**self.counters, "last": self.last}

    def describe(self):
        with self.lock:
            return self.describe_locked()


def is_sts_request(path):
    url = urllib.parse.urlsplit(path)
    q = dict(urllib.parse.parse_qsl(url.query))
    return url.path == "/" and q.get("Action") == "AssumeRoleWithOIDC"


def handle_sts(handler, body, state, issuer):
    """Answer AssumeRoleWithOIDC on handler (an acksim Handler); body is the raw request body."""
    url = urllib.parse.urlsplit(handler.path)
    q = dict(urllib.parse.parse_qsl(url.query))
    form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    rid = "STS-" + secrets.token_hex(8).upper()

    def error(status, code, message):
        with state.lock:
            state.counters["rejected"] += 1
        handler.send_json(status, {"RequestId": rid, "HostId": "sts.aliyuncs.com", "Code": code,
                                   "Message": message})

    with state.lock:
        state.counters["requests"] += 1
        if handler.headers.get("Authorization"):
            state.counters["signed"] += 1
        state.last = {"method": handler.command, "query": q,
                      "content_type": handler.headers.get("Content-Type"),
                      "params": {k: v for k, v in form.items() if k != "OIDCToken"}}
        expected = (state.oidc_token, state.role_arn, state.provider_arn)
    if handler.command != "POST":
        return error(400, "InvalidHttpMethod", "AssumeRoleWithOIDC needs POST")
    if q.get("Version") != "2015-04-01" or q.get("Format") != "JSON" or not q.get("Timestamp"):
        return error(400, "MissingParameter", "Version, Format and Timestamp are required")
    for name in ("OIDCProviderArn", "OIDCToken", "RoleArn", "RoleSessionName"):
        if not form.get(name):
            return error(400, "MissingParameter", "%s is mandatory for this action." % name)
    try:
        duration = int(form.get("DurationSeconds", "3600"))
    except ValueError:
        duration = 0
    if duration < 900:
        return error(400, "InvalidParameter.DurationSeconds", "DurationSeconds is out of range")
    token, role, provider = expected
    # never echo the token: the daemon's tests look for it everywhere
    if token is not None and form["OIDCToken"] != token:
        return error(400, "InvalidParameter.OIDCToken", "The OIDC token is invalid.")
    if role is not None and form["RoleArn"] != role:
        return error(404, "EntityNotExist.Role", "The role does not exist.")
    if provider is not None and form["OIDCProviderArn"] != provider:
        return error(404, "EntityNotExist.OIDCProvider", "The OIDC provider does not exist.")
    creds = issuer.issue("sts")
    with state.lock:
        state.counters["issued"] += 1
    handler.send_json(200, {"RequestId": rid, "Credentials": creds,
                            "AssumedRoleUser": {"Arn": form["RoleArn"] + "/" +
                                                form["RoleSessionName"],
                                                "AssumedRoleId": "3000:" +
                                                form["RoleSessionName"]},
                            "SourceIdentity": ""})
