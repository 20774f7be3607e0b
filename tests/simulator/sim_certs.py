# The simulator's throwaway TLS certificates (a CA and a server chain), via the openssl CLI.
"""make_certificates() also serves tests/bench's nginx; make_untrusted_certificates() gives
the same names under another CA, for the TLS-failure tests (acksim's /_sim/tls)."""

import os
import subprocess


def make_certificates(directory):
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost, via the openssl CLI."""
    def p(name):
        return os.path.join(directory, name)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "7",
        "-subj", "/CN=acksim throwaway CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-new", *ec, "-keyout", p("server.key"), "-out", p("server.csr"),
        "-subj", "/CN=localhost")
    with open(p("server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-out", p("server.pem"), "-days", "7", "-extfile", p("server.ext"))
    return p("ca.pem"), p("server.pem"), p("server.key")


def make_untrusted_certificates(directory):
    """The same names as make_certificates(), signed by another throwaway CA: a chain that a
    client trusting only ca.pem must refuse. In directory/untrusted/."""
    sub = os.path.join(directory, "untrusted")
    os.makedirs(sub, exist_ok=True)
    _, cert, key = make_certificates(sub)
    return cert, key
