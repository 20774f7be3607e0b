#!/usr/bin/env python3
"""Every credential source authenticates against the simulator (which verifies the
signature): [Credentials] keys with secret files, the systemd credentials directory, the
environment, RRSA/OIDC through the fake STS, each supported aliyun CLI profile mode, and the
ECS RAM role through the token-protected fake metadata server; the chain's order; the errors
an operator sees; --check-config naming the source and the AccessKeyId."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

TASK = "T-cred"
ROLE_ARN = "acs:ram::1234567890:role/taskwatch"
PROVIDER_ARN = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1"
JWT = "eyJhbGciOiJSUzI1NiJ9.test-oidc-token.sig"


def sim_info(sim):
    """ready.json of a harness.Simulator: also metadata_url and sts_url."""
    with open(os.path.join(sim.dir, "ready.json")) as f:
        return json.load(f)


def sim_control(sim, method, path, body=None):
    return sim._call(method, path, body)[1]


def write_private(path, text, mode=0o600):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


class CredentialsTest(unittest.TestCase):
    """Starts simulators and daemons and checks who authenticated how."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)  # first in, last out: after the daemons stopped
        self.dir = self.tmp.name
        self.journal = harness.Journal()

    def start_sim(self, **scenario):
        scenario.setdefault("tasks", {TASK: scaleout_task([{"state": "running"}])})
        sim = harness.Simulator(scenario, self.dir)
        self.addCleanup(sim.stop)
        return sim

    def start_daemon(self, sim, credentials="", env=None, args=(), **kw):
        extra = "[Credentials]\n" + credentials if credentials else ""
        d = harness.Daemon(harness.daemon_binary(),
                           harness.daemon_config(sim, [TASK], extra=extra, **kw),
                           self.dir, env=env or {}, args=args)
        self.addCleanup(d.close)
        return d

    def event(self, d, name, timeout=20, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, _PID=str(d.pid), timeout=timeout,
                                     **fields)

    def assert_authenticated(self, sim, d, source, key=None, key_prefix=None):
        """The daemon got a good reply using key (or a key starting with key_prefix), its
        journal names source, and every request the simulator saw verified."""
        loaded = self.event(d, "credentials-loaded")
        self.assertEqual(loaded["CREDENTIALS_SOURCE"], source)
        self.event(d, "task-baseline", TASK_ID=TASK)
        log = sim.log()
        self.assertTrue(log, "no request reached the simulator")
        for e in log:
            self.assertEqual(e["auth"], "ok", e)
            if key is not None:
                self.assertEqual(e["key"], key)
            if key_prefix is not None:
                self.assertTrue(e["key"].startswith(key_prefix), e)
        started = self.event(d, "daemon-started")
        self.assertEqual(started["CREDENTIALS_SOURCE"], source)
        self.assertIn(log[0]["key"], loaded["MESSAGE"])
        return loaded

    def profile_home(self, *profiles, current=None):
        home = os.path.join(self.dir, "home-%d" % len(os.listdir(self.dir)))
        os.makedirs(os.path.join(home, ".aliyun"))
        doc = {"current": current or profiles[0]["name"], "profiles": list(profiles),
               "meta_path": ""}
        write_private(os.path.join(home, ".aliyun", "config.json"), json.dumps(doc))
        return home


class Sources(CredentialsTest):
    def test_config_keys_with_secret_and_token_files(self):
        sim = self.start_sim(credentials=[{"access_key_id": "cfg-id", "access_key_secret": "cfg-s",
                                           "security_token": "cfg-t"}])
        secret = write_private(os.path.join(self.dir, "secret"), "cfg-s\n")
        token = write_private(os.path.join(self.dir, "token"), "cfg-t")
        d = self.start_daemon(sim, "AccessKeyId=cfg-id\nAccessKeySecretFile=%s\n"
                                   "SecurityTokenFile=%s\n" % (secret, token),
                              env=harness.test_credentials_env())  # config wins over env
        self.assert_authenticated(sim, d, "config", key="cfg-id")

    def test_config_refuses_a_secret_file_others_can_read(self):
        sim = self.start_sim()
        secret = write_private(os.path.join(self.dir, "secret"), "x", mode=0o644)
        d = self.start_daemon(sim, "AccessKeyId=cfg-id\nAccessKeySecretFile=%s\n" % secret)
        self.assertEqual(d.wait(10), 4)
        err = d.stderr_text()
        self.assertIn(secret, err)
        self.assertIn("mode 0644", err)
        self.assertIn("chmod 600 " + secret, err)

    def test_systemd_credentials_directory(self):
        sim = self.start_sim(credentials=[{"access_key_id": "sd-id", "access_key_secret": "sd-s",
                                           "security_token": "sd-t"}])
        creds = os.path.join(self.dir, "creds")
        os.mkdir(creds, 0o700)
        write_private(os.path.join(creds, "access-key-id"), "sd-id\n", 0o400)
        write_private(os.path.join(creds, "access-key-secret"), "sd-s", 0o400)
        write_private(os.path.join(creds, "security-token"), "sd-t\n", 0o400)
        d = self.start_daemon(sim, env={"CREDENTIALS_DIRECTORY": creds,
                                        **harness.test_credentials_env()})
        self.assert_authenticated(sim, d, "systemd", key="sd-id")

    def test_environment_selected_explicitly(self):
        sim = self.start_sim()
        home = self.profile_home({"name": "default", "mode": "AK", "access_key_id": "cli-id",
                                  "access_key_secret": "cli-s"})
        d = self.start_daemon(sim, "Source=environment\n",
                              env={"HOME": home, **harness.test_credentials_env()})
        self.assert_authenticated(sim, d, "environment", key=harness.TEST_KEY_ID)

    def test_oidc_from_the_environment(self):
        sim = self.start_sim(sts={"oidc_token": JWT, "role_arn": ROLE_ARN,
                                  "provider_arn": PROVIDER_ARN})
        token_file = write_private(os.path.join(self.dir, "oidc-token"), JWT + "\n", 0o644)
        d = self.start_daemon(sim, "STSEndpoint=%s\n" % sim_info(sim)["sts_url"], env={
            "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": PROVIDER_ARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": token_file,
            "ALIBABA_CLOUD_ROLE_SESSION_NAME": "watch-session"})
        self.assert_authenticated(sim, d, "oidc", key_prefix="STS.acksim-")
        sts = sim.stats()["sts"]
        self.assertGreaterEqual(sts["issued"], 1)
        self.assertEqual(sts["signed"], 0, "AssumeRoleWithOIDC must be unsigned")
        self.assertEqual(sts["last"]["method"], "POST")
        self.assertEqual(sts["last"]["content_type"], "application/x-www-form-urlencoded")
        self.assertEqual(sts["last"]["params"]["RoleSessionName"], "watch-session")
        self.assertEqual(sts["last"]["params"]["DurationSeconds"], "3600")
        self.assertRegex(sts["last"]["query"]["Timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_oidc_with_a_wrong_token_is_an_event_and_no_request(self):
        sim = self.start_sim(sts={"oidc_token": JWT})
        token_file = write_private(os.path.join(self.dir, "oidc-token"), "not-the-jwt")
        d = self.start_daemon(sim, "Source=oidc\nSTSEndpoint=%s\n" % sim_info(sim)["sts_url"], env={
            "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": PROVIDER_ARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": token_file})
        d.notify.wait_for("READY=1")
        e = self.event(d, "credentials-error")
        self.assertIn("InvalidParameter.OIDCToken", e["MESSAGE"])
        self.assertIn("RETRY_IN", e)
        d.notify.wait_for("waiting for credentials")
        self.assertEqual(sim.stats()["requests"], 0)

    def test_ecs_ram_role_with_token_and_role_discovery(self):
        sim = self.start_sim(metadata={"role": "WatchRole"})
        d = self.start_daemon(sim, "MetadataURL=%s\n" % sim_info(sim)["metadata_url"],
                              env={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": None})
        loaded = self.assert_authenticated(sim, d, "ecs-ram-role", key_prefix="STS.acksim-")
        self.assertIn("role WatchRole", loaded["MESSAGE"])
        md = sim.stats()["metadata"]
        self.assertGreaterEqual(md["token_requests"], 1)
        self.assertGreaterEqual(md["role_requests"], 1)
        self.assertEqual(md["rejected"], 0, "every metadata GET must carry a valid token")

    def test_ecs_ram_role_named_skips_discovery(self):
        sim = self.start_sim(metadata={"role": "WatchRole"})
        d = self.start_daemon(sim, "Source=ecs-ram-role\nRoleName=WatchRole\nMetadataURL=%s\n"
                              % sim_info(sim)["metadata_url"],
                              env={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": None})
        self.assert_authenticated(sim, d, "ecs-ram-role", key_prefix="STS.acksim-")
        md = sim.stats()["metadata"]
        self.assertEqual(md["role_requests"], 0)
        self.assertEqual(md["rejected"], 0)

    def test_ecs_metadata_disabled_by_the_environment(self):
        sim = self.start_sim()
        d = self.start_daemon(sim, "Source=ecs-ram-role\nMetadataURL=%s\n"
                              % sim_info(sim)["metadata_url"])
        self.assertEqual(d.wait(10), 4)
        self.assertIn("ALIBABA_CLOUD_ECS_METADATA_DISABLED=true", d.stderr_text())
        self.assertEqual(sim.stats()["metadata"]["token_requests"], 0)

    def test_reload_switches_source_and_refuses_a_broken_one(self):
        sim = self.start_sim(credentials=[
            {"access_key_id": harness.TEST_KEY_ID, "access_key_secret": harness.TEST_KEY_SECRET},
            {"access_key_id": "cfg-id", "access_key_secret": "cfg-s"}])
        d = self.start_daemon(sim, env=harness.test_credentials_env())
        self.event(d, "credentials-loaded", CREDENTIALS_SOURCE="environment")
        secret = write_private(os.path.join(self.dir, "secret"), "cfg-s", mode=0o644)
        with open(d.config_path, "a") as f:
            f.write("[Credentials]\nAccessKeyId=cfg-id\nAccessKeySecretFile=%s\n" % secret)
        d.reload()
        failed = self.event(d, "config-reload-failed")
        self.assertIn("chmod 600 " + secret, failed["MESSAGE"])
        os.chmod(secret, 0o600)
        d.reload()
        self.event(d, "credentials-loaded", CREDENTIALS_SOURCE="config")
        polls = sim.stats()["requests"]
        self.assertTrue(sim.wait_polls(None, polls + 2, timeout=10))
        self.assertEqual(sim.log()[-1]["key"], "cfg-id")
        self.assertTrue(all(e["auth"] == "ok" for e in sim.log()))


class CliProfiles(CredentialsTest):
    def test_ak_profile_current_and_named(self):
        sim = self.start_sim(credentials=[{"access_key_id": "work-id", "access_key_secret": "work-s"},
                                          {"access_key_id": "other-id", "access_key_secret": "other-s"}])
        home = self.profile_home(
            {"name": "default", "mode": "AK", "access_key_id": "nope", "access_key_secret": "nope"},
            {"name": "work", "mode": "AK", "access_key_id": "work-id", "access_key_secret": "work-s"},
            {"name": "other", "mode": "AK", "access_key_id": "other-id", "access_key_secret": "other-s"},
            current="work")
        d = self.start_daemon(sim, env={"HOME": home})
        loaded = self.assert_authenticated(sim, d, "cli-profile", key="work-id")
        self.assertIn("profile work, mode AK", loaded["MESSAGE"])

        sim2 = self.start_sim(credentials=[{"access_key_id": "other-id", "access_key_secret": "other-s"}])
        d2 = self.start_daemon(sim2, "Source=cli-profile\n",
                               env={"HOME": home, "ALIBABA_CLOUD_PROFILE": "other"})
        self.assert_authenticated(sim2, d2, "cli-profile", key="other-id")

    def test_sts_token_profile(self):
        sim = self.start_sim(credentials=[{"access_key_id": "STS.cli", "access_key_secret": "cli-s",
                                           "security_token": "cli-t"}])
        home = self.profile_home({"name": "default", "mode": "StsToken", "access_key_id": "STS.cli",
                                  "access_key_secret": "cli-s", "sts_token": "cli-t"})
        d = self.start_daemon(sim, env={"HOME": home})
        self.assert_authenticated(sim, d, "cli-profile", key="STS.cli")

    def test_ecs_ram_role_profile(self):
        sim = self.start_sim(metadata={"role": "ProfileRole"})
        home = self.profile_home({"name": "default", "mode": "EcsRamRole",
                                  "ram_role_name": "ProfileRole"})
        d = self.start_daemon(sim, "MetadataURL=%s\n" % sim_info(sim)["metadata_url"],
                              env={"HOME": home})
        loaded = self.assert_authenticated(sim, d, "cli-profile", key_prefix="STS.acksim-")
        self.assertIn("mode EcsRamRole", loaded["MESSAGE"])
        md = sim.stats()["metadata"]
        self.assertGreaterEqual(md["token_requests"], 1)
        self.assertEqual(md["role_requests"], 0)
        self.assertEqual(md["rejected"], 0)

    def test_oidc_profile(self):
        sim = self.start_sim(sts={"oidc_token": JWT, "role_arn": ROLE_ARN,
                                  "provider_arn": PROVIDER_ARN})
        token_file = write_private(os.path.join(self.dir, "jwt"), JWT)
        home = self.profile_home({"name": "default", "mode": "OIDC", "oidc_token_file": token_file,
                                  "oidc_provider_arn": PROVIDER_ARN, "ram_role_arn": ROLE_ARN,
                                  "ram_session_name": "cli-session", "sts_region": "cn-hangzhou"})
        d = self.start_daemon(sim, "STSEndpoint=%s\n" % sim_info(sim)["sts_url"],
                              env={"HOME": home})
        self.assert_authenticated(sim, d, "cli-profile", key_prefix="STS.acksim-")
        self.assertEqual(sim.stats()["sts"]["last"]["params"]["RoleSessionName"], "cli-session")

    def test_unsupported_mode_is_named(self):
        sim = self.start_sim()
        home = self.profile_home({"name": "default", "mode": "RamRoleArn", "access_key_id": "a",
                                  "access_key_secret": "b", "ram_role_arn": ROLE_ARN})
        d = self.start_daemon(sim, "Source=cli-profile\n", env={"HOME": home})
        self.assertEqual(d.wait(10), 4)
        self.assertIn("unsupported profile mode RamRoleArn", d.stderr_text())

    def test_unsupported_mode_is_skipped_by_the_chain(self):
        sim = self.start_sim()
        home = self.profile_home({"name": "default", "mode": "ChainableRamRoleArn"})
        d = self.start_daemon(sim, env={"HOME": home})
        self.assertEqual(d.wait(10), 4)
        err = d.stderr_text()
        self.assertIn("ALIBABA_CLOUD_ACCESS_KEY_ID", err)
        self.assertIn("unsupported profile mode ChainableRamRoleArn", err)


class CheckConfig(CredentialsTest):
    def test_names_the_source_and_key_never_the_secret(self):
        sim = self.start_sim()
        secret = write_private(os.path.join(self.dir, "secret"), "check-secret-value")
        d = self.start_daemon(sim, "AccessKeyId=check-id\nAccessKeySecretFile=%s\n" % secret,
                              args=["--check-config", "--offline"])
        self.assertEqual(d.wait(10), 0, d.stderr_text())
        out = d.stdout_text()
        self.assertIn("# Credentials: source config, AccessKeyId check-id", out)
        self.assertIn("AccessKeySecretFile=" + secret, out)
        self.assertNotIn("check-secret-value", out + d.stderr_text())

    def test_fetches_temporary_credentials(self):
        sim = self.start_sim(metadata={"role": "WatchRole"})
        d = self.start_daemon(sim, "MetadataURL=%s\n" % sim_info(sim)["metadata_url"],
                              env={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": None},
                              args=["--check-config", "--offline"])
        self.assertEqual(d.wait(20), 0, d.stderr_text())
        self.assertRegex(d.stdout_text(),
                         r"# Credentials: source ecs-ram-role, AccessKeyId STS\.acksim-\d+ "
                         r"\(with STS token\)")
        self.assertEqual(sim.stats()["requests"], 0)

    def test_metadata_down_fails_the_check(self):
        sim = self.start_sim(metadata={"up": False})
        d = self.start_daemon(sim, "Source=ecs-ram-role\nMetadataURL=%s\n"
                              % sim_info(sim)["metadata_url"],
                              env={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": None},
                              args=["--check-config"])
        self.assertEqual(d.wait(20), 4)
        self.assertIn("none obtained", d.stdout_text())


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main()
