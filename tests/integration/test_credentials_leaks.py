#!/usr/bin/env python3
"""No secret reaches the outside: every source runs with a distinctive secret and token
(and its failure paths: a wrong secret, a metadata server that goes away, a refused OIDC
token), then the whole journal (journalctl -o export), each daemon's stderr and stdout, every
sd_notify datagram, its argv and the state directory are searched for them."""
import glob
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_credentials import (PROVIDER_ARN, ROLE_ARN, TASK, CredentialsTest,  # noqa: E402
                              sim_control, sim_info, write_private)

CANARY = "LEAKCANARY"  # in every secret and token below, in no AccessKeyId


def secret(name):
    return "%s-%s-secret-7f3a9c" % (CANARY, name)


def token(name):
    return "%s-%s-token-e41b02" % (CANARY, name)


class Leaks(CredentialsTest):
    def setUp(self):
        super().setUp()
        self.daemons = []

    def run_daemon(self, sim, credentials="", env=None, wait_for="task-baseline", **kw):
        state = os.path.join(self.dir, "state-%d" % len(self.daemons))
        os.makedirs(state)
        env = dict(env or {})
        env["STATE_DIRECTORY"] = state
        d = self.start_daemon(sim, credentials, env=env, **kw)
        self.daemons.append((d, state))
        self.assertNotIn(CANARY, " ".join(d.argv))
        if wait_for:
            d.notify.wait_for("READY=1")
            self.event(d, wait_for, timeout=30)
        return d

    def metadata_sim(self, name, **extra):
        return self.start_sim(metadata={"role": "LeakRole", "token_prefix": token(name + "-md")},
                              issuer={"lifetime_seconds": 12, "secret_prefix": secret(name),
                                      "token_prefix": token(name)}, **extra)

    def test_no_secret_or_token_anywhere(self):
        # 1. [Credentials] files
        sim = self.start_sim(credentials=[{"access_key_id": "cfg-id", "access_key_secret": secret("cfg"),
                                           "security_token": token("cfg")}])
        sf = write_private(os.path.join(self.dir, "s"), secret("cfg"))
        tf = write_private(os.path.join(self.dir, "t"), token("cfg"))
        self.run_daemon(sim, "AccessKeyId=cfg-id\nAccessKeySecretFile=%s\nSecurityTokenFile=%s\n"
                        % (sf, tf))
        d = self.run_daemon(sim, "AccessKeyId=cfg-id\nAccessKeySecretFile=%s\nSecurityTokenFile=%s\n"
                            % (sf, tf), args=["--check-config"], wait_for=None)
        self.assertEqual(d.wait(20), 0)

        # 2. systemd credentials
        sim = self.start_sim(credentials=[{"access_key_id": "sd-id", "access_key_secret": secret("sd"),
                                           "security_token": token("sd")}])
        cd = os.path.join(self.dir, "creds")
        os.mkdir(cd)
        write_private(os.path.join(cd, "access-key-id"), "sd-id")
        write_private(os.path.join(cd, "access-key-secret"), secret("sd"))
        write_private(os.path.join(cd, "security-token"), token("sd"))
        self.run_daemon(sim, env={"CREDENTIALS_DIRECTORY": cd})

        # 3. the environment, right and wrong (a signature mismatch is reported)
        sim = self.start_sim(credentials=[{"access_key_id": "env-id", "access_key_secret": secret("env"),
                                           "security_token": token("env")}])
        self.run_daemon(sim, env=harness.test_credentials_env("env-id", secret("env"), token("env")))
        self.run_daemon(sim, env=harness.test_credentials_env("env-id", secret("wrong"), token("env")),
                        wait_for="api-auth-error")

        # 4. RRSA/OIDC, accepted and refused
        jwt = token("oidc-jwt")
        sim = self.metadata_sim("oidc", sts={"oidc_token": jwt})
        jf = write_private(os.path.join(self.dir, "jwt"), jwt)
        oidc_env = {"ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": PROVIDER_ARN,
                    "ALIBABA_CLOUD_OIDC_TOKEN_FILE": jf}
        sts = "STSEndpoint=%s\n" % sim_info(sim)["sts_url"]
        self.run_daemon(sim, sts, env=oidc_env)
        bad = write_private(os.path.join(self.dir, "jwt-bad"), token("oidc-badjwt"))
        self.run_daemon(sim, sts, env={**oidc_env, "ALIBABA_CLOUD_OIDC_TOKEN_FILE": bad},
                        wait_for="credentials-error")

        # 5. aliyun CLI profiles of every mode
        sim = self.metadata_sim("cli", sts={"oidc_token": jwt}, credentials=[
            {"access_key_id": "cli-ak", "access_key_secret": secret("cli-ak")},
            {"access_key_id": "cli-sts", "access_key_secret": secret("cli-sts"),
             "security_token": token("cli-sts")}])
        md = "MetadataURL=%s\n" % sim_info(sim)["metadata_url"]
        sts = "STSEndpoint=%s\n" % sim_info(sim)["sts_url"]
        for profile in ({"mode": "AK", "access_key_id": "cli-ak", "access_key_secret": secret("cli-ak")},
                        {"mode": "StsToken", "access_key_id": "cli-sts",
                         "access_key_secret": secret("cli-sts"), "sts_token": token("cli-sts")},
                        {"mode": "EcsRamRole", "ram_role_name": "LeakRole"},
                        {"mode": "OIDC", "oidc_token_file": jf, "oidc_provider_arn": PROVIDER_ARN,
                         "ram_role_arn": ROLE_ARN}):
            home = self.profile_home({"name": "default", **profile})
            self.run_daemon(sim, md + sts, env={"HOME": home})

        # 6. the ECS RAM role; then the metadata server goes away: refresh failures, expiry
        sim = self.metadata_sim("ecs")
        d = self.run_daemon(sim, "MetadataURL=%s\n" % sim_info(sim)["metadata_url"],
                            env={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": None})
        sim_control(sim, "POST", "/_sim/metadata", {"up": False})
        self.event(d, "credentials-expired", timeout=30)

        # stop them all, then search everything they could have written to
        for d, state in self.daemons:
            d.close()
            with self.subTest(pid=d.pid):
                text = d.stderr_text() + d.stdout_text() + "\n".join(d.notify.messages)
                self.assertNotIn(CANARY, text)
                self.assertNotIn("Signature=", text)
                for path in glob.glob(os.path.join(state, "**"), recursive=True):
                    if os.path.isfile(path):
                        with open(path, "rb") as f:
                            self.assertNotIn(CANARY.encode(), f.read(), path)
        statuses = [m for d, _ in self.daemons for m in d.notify.messages if "STATUS=" in m]
        self.assertTrue(any("waiting for credentials" in m for m in statuses))

        self.journal.sync()
        export = subprocess.run(["journalctl", "-o", "export", "--no-pager"], capture_output=True,
                                timeout=60, check=True).stdout
        self.assertIn(b"TASKWATCH_EVENT=credentials-loaded", export)
        self.assertIn(b"TASKWATCH_EVENT=api-auth-error", export)
        self.assertNotIn(CANARY.encode(), export)
        self.assertNotIn(b"Signature=", export)
        # the AccessKeyIds are not secret: the journal names them
        self.assertIn(b"cfg-id", export)
        self.assertIn(b"STS.acksim-", export)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main()
