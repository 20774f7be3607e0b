#!/usr/bin/env python3
"""--check-config and the command line: the effective settings and the credential source are
printed (never the secret), every configuration error is reported with file:line, and bad
usage exits 4 (configuration or credential error) without starting anything."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

KEY_ID = "LTAI5tCheckConfigKeyId"
SECRET = "Secret-Must-Never-Be-Printed-9f8e7d"
TOKEN = "Sts-Token-Must-Never-Be-Printed-1a2b3c"

VALID = """\
[API]
Endpoint=https://127.0.0.1:8443
MaxConnections=7
RequestTimeout=3s
[Poll]
MinInterval=2s
MaxInterval=1min
[Tasks]
Task=T-check-a T-check-b
Task=T-check-c
"""

EXIT_CONFIG = 4


class CheckConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.home = os.path.join(self.tmp.name, "home")
        os.makedirs(self.home)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_daemon(self, *args, creds=True, token=None, env_extra=None):
        """taskwatchd with args and a clean environment; (exit code, stdout, stderr)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ALIBABA_") and k not in harness._SCRUBBED_ENV
               and k != harness.NS_MARKER}
        env.update(HOME=self.home, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        if creds:
            env.update(harness.test_credentials_env(KEY_ID, SECRET, token))
        env.update(env_extra or {})
        p = subprocess.run([harness.daemon_binary(), *args], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def assert_no_secrets(self, *texts):
        for text in texts:
            self.assertNotIn(SECRET, text)
            self.assertNotIn(TOKEN, text)

    def test_valid_config_prints_the_effective_settings(self):
        path = self.write("valid.conf", VALID)
        rc, out, err = self.run_daemon("--config", path, "--check-config", "--offline", token=TOKEN)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        for line in ("[API]", "[Poll]", "[Tasks]", "Endpoint=https://127.0.0.1:8443",
                     "MaxConnections=7", "RequestTimeout=3s", "MinInterval=2s",
                     "MaxInterval=1min", "Task=T-check-a", "Task=T-check-b", "Task=T-check-c"):
            self.assertIn(line, lines, out)
        # sections in order, each setting under its own section
        self.assertLess(lines.index("[API]"), lines.index("Endpoint=https://127.0.0.1:8443"))
        self.assertLess(lines.index("Endpoint=https://127.0.0.1:8443"), lines.index("[Poll]"))
        self.assertLess(lines.index("MaxInterval=1min"), lines.index("[Tasks]"))
        self.assertLess(lines.index("[Tasks]"), lines.index("Task=T-check-a"))
        cred = [ln for ln in lines if "environment" in ln]
        self.assertEqual(len(cred), 1, out)
        self.assertIn(KEY_ID, cred[0])
        self.assert_no_secrets(out, err)

    def test_printed_settings_parse_back_to_the_same(self):
        rc, out, err = self.run_daemon("--config", self.write("a.conf", VALID), "--check-config",
                                       "--offline")
        self.assertEqual(rc, 0, err)
        rc2, out2, err2 = self.run_daemon("--config", self.write("b.conf", out), "--check-config",
                                          "--offline")
        self.assertEqual(rc2, 0, err2)
        self.assertEqual(out2, out)

    def test_endpoint_derived_as_the_sdk_does(self):
        """Region= and Network= give the endpoint the official SDK would dial."""
        cases = [("cn-beijing", "", "https://cs.cn-beijing.aliyuncs.com"),
                 ("cn-beijing", "vpc", "https://cs-vpc.cn-beijing.aliyuncs.com"),
                 ("cn-wuhan", "public", "https://cs.aliyuncs.com"),
                 ("cn-wuhan", "vpc", "https://cs.aliyuncs.com")]
        for region, network, endpoint in cases:
            text = "[API]\nRegion=%s\n" % region
            if network:
                text += "Network=%s\n" % network
            rc, out, err = self.run_daemon("--config", self.write("r.conf", text),
                                           "--check-config")
            self.assertEqual(rc, 0, err)
            lines = out.splitlines()
            self.assertIn("Endpoint=" + endpoint, lines, out)
            self.assertIn("Network=" + (network or "public"), lines, out)
        rc, out, err = self.run_daemon("--config", self.write("n.conf", "[API]\nNetwork=intranet\n"),
                                       "--check-config")
        self.assertEqual(rc, EXIT_CONFIG)
        self.assertIn("n.conf:2: Network=intranet: unknown network (expected public or vpc)", err)

    def test_every_error_is_reported_with_file_and_line(self):
        path = self.write("bad.conf", "[API]\n"
                                      "Endpoint=https://127.0.0.1:8443\n"
                                      "MaxConnections=lots\n"
                                      "[Poll]\n"
                                      "MinInterval=5x\n"
                                      "[Tasks]\n"
                                      "Task=T-fine\n")
        rc, out, err = self.run_daemon("--config", path, "--check-config")
        self.assertEqual(rc, EXIT_CONFIG)
        self.assertIn("%s:3:" % path, err)
        self.assertIn("MaxConnections", err)
        self.assertIn("%s:5:" % path, err)
        self.assertIn("MinInterval", err)
        self.assertNotIn("[Tasks]", out, "settings printed for an invalid configuration")

    def test_values_that_are_not_task_ids(self):
        # Issue #16 item 7: these passed, to fail as 404 later; "not a task id!" named "id!".
        path = self.write("ids.conf", "[Tasks]\n"
                                      "Task=c82e6987e2bd94e1a8b3e2f4c5d6a7b8e\n"
                                      "Task=not\n"
                                      "Task=not a task id!\n"
                                      "Task=T-fine\n")
        rc, out, err = self.run_daemon("--config", path, "--check-config")
        self.assertEqual(rc, EXIT_CONFIG, err)
        self.assertIn("%s:2: Task=c82e6987e2bd94e1a8b3e2f4c5d6a7b8e: not a task id: it looks like "
                      "a cluster id; task ids start with T-" % path, err)
        self.assertIn("%s:3: Task=not: not a task id: task ids start with T-" % path, err)
        self.assertIn("%s:4: Task=not a task id!: \"not\", \"a\", \"task\", \"id!\" are not task "
                      "ids" % path, err)
        self.assertNotIn(":5:", err)

    def test_misspelt_keys_get_a_suggestion(self):
        path = self.write("typo.conf", "[API]\nRegoin=cn-beijing\n[Tasks]\nRegion=cn-beijing\n"
                                       "[Hooks]\nOnInstanceFaild=/bin/true\n[Hook]\n")
        rc, out, err = self.run_daemon("--config", path, "--check-config")
        self.assertEqual(rc, EXIT_CONFIG, err)
        self.assertIn("%s:2: Regoin=cn-beijing: unknown key in section [API]; did you mean Region=?"
                      % path, err)
        self.assertIn("%s:4: Region=cn-beijing: unknown key in section [Tasks]; did you mean "
                      "Region= of [API]?" % path, err)
        self.assertIn("%s:6: OnInstanceFaild=/bin/true: unknown key in section [Hooks]; did you "
                      "mean OnInstanceFailed=?" % path, err)
        self.assertIn("%s:7: [Hook]: unknown section; did you mean [Hooks]?" % path, err)

    def test_errors_come_sorted_by_file_and_line(self):
        # The cross-key check (line 3) used to come last, after the drop-in's error.
        path = self.write("s.conf", "[Poll]\nMinInterval=10min\nMaxInterval=1min\n[API]\n"
                                    "MaxConnections=lots\n")
        os.makedirs(path + ".d")
        self.write("s.conf.d/10-a.conf", "[API]\nRegoin=x\n")
        rc, out, err = self.run_daemon("--config", path, "--check-config")
        self.assertEqual(rc, EXIT_CONFIG, err)
        where = [line.split(": ", 1)[0] for line in err.splitlines() if line.startswith(path)]
        self.assertEqual(where, [path + ":3", path + ":5", path + ".d/10-a.conf:2"], err)

    def test_missing_credentials_name_the_variables(self):
        path = self.write("valid.conf", VALID)
        rc, out, err = self.run_daemon("--config", path, "--check-config", creds=False)
        self.assertEqual(rc, EXIT_CONFIG)
        self.assertIn("ALIBABA_CLOUD_ACCESS_KEY_ID", err)
        self.assertIn("ALIBABA_CLOUD_ACCESS_KEY_SECRET", err)

    # Issue #16 item 4: the secret was only checked for presence; a wrong one passed.
    def api_check(self, *args, env=None, tasks=("T-check-a",), fault=None):
        sim = harness.Simulator({"tasks": {"T-check-a": harness.scaleout_task([{"state": "running"}])}},
                                self.tmp.name)
        self.addCleanup(sim.stop)
        if fault:
            sim.inject("*", fault)
        path = self.write("api.conf", harness.daemon_config(sim, list(tasks)))
        rc, out, err = self.run_daemon("--config", path, "--check-config", *args, creds=False,
                                       env_extra=env or harness.test_credentials_env())
        return sim, rc, out, err

    def test_credentials_the_api_accepts(self):
        sim, rc, out, err = self.api_check()
        self.assertEqual(rc, 0, err)
        self.assertIn("# API: %s accepted the credentials (DescribeTaskInfo T-check-a: running)\n"
                      % sim.url, out)
        self.assertEqual(sim.stats()["requests"], 1)
        self.assertEqual([e["auth"] for e in sim.log()], ["ok"])

    def test_a_wrong_secret_is_refused(self):
        sim, rc, out, err = self.api_check(env=harness.test_credentials_env(secret=SECRET))
        self.assertEqual(rc, EXIT_CONFIG, out + err)
        self.assertRegex(out, r"# API: \S+: signature refused \(HTTP 400 SignatureDoesNotMatch")
        self.assertIn("the AccessKeyId or its secret is wrong", err)
        self.assertEqual(sim.stats()["requests"], 1)
        self.assert_no_secrets(out, err)

    def test_a_missing_permission_is_named(self):
        sim, rc, out, err = self.api_check(fault={"fault": "error", "status": 403,
                                                  "code": "Forbidden.RAM"})
        self.assertEqual(rc, EXIT_CONFIG, out + err)
        self.assertRegex(out, r"# API: \S+: no permission \(HTTP 403 Forbidden.RAM")

    def test_a_missing_task_is_named(self):
        sim, rc, out, err = self.api_check(tasks=("T-nowhere", "T-check-a"))
        self.assertEqual(rc, 3, out + err)
        self.assertIn("accepted the credentials, but task T-nowhere was not found", out)
        self.assertEqual(sim.stats()["requests"], 1)

    def test_offline_makes_no_call(self):
        sim, rc, out, err = self.api_check("--offline", env=harness.test_credentials_env(secret=SECRET))
        self.assertEqual(rc, 0, err)
        self.assertIn("# API: not checked (--offline)\n", out)
        self.assertEqual(sim.stats()["requests"], 0)

    def test_offline_needs_check_config(self):
        rc, out, err = self.run_daemon("--config", self.write("valid.conf", VALID), "--offline")
        self.assertEqual(rc, EXIT_CONFIG)
        self.assertIn("--offline needs --check-config", err)

    def test_an_unreachable_api_gives_no_verdict(self):
        # VALID's endpoint: nothing listens there.
        rc, out, err = self.run_daemon("--config", self.write("valid.conf", VALID), "--check-config")
        self.assertEqual(rc, 5, err)
        self.assertIn("# API: https://127.0.0.1:8443: not checked: network error", out)
        self.assertIn("--offline skips this check", out)

    def test_timeout_needs_exit_when_done(self):
        path = self.write("valid.conf", VALID)
        rc, out, err = self.run_daemon("--config", path, "--timeout=30s")
        self.assertEqual(rc, EXIT_CONFIG)
        self.assertIn("--exit-when-done", err)

    def test_unknown_option(self):
        path = self.write("valid.conf", VALID)
        rc, out, err = self.run_daemon("--config", path, "--no-such-option")
        self.assertEqual(rc, EXIT_CONFIG)
        self.assertIn("no-such-option", err)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
