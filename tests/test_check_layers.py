#!/usr/bin/env python3
# Tests of tests/check-layers.py on small made-up trees: what it must report, and what not.
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check-layers.py")

MESON_BUILD = """project('demo', 'c')
configure_file(output : 'build-config.h', configuration : conf)


# ---- the libraries: one static library per layer -------------------------------------------
# Each layer may use only the layers listed before it.
#   util    strings
#   ack     the API: signing, requests,
#           and decoding replies (a description carried over)
#   watch   the state machine
#   main    main.c
# tests/check-layers.py reads this list.
subdir('src/util')
"""


class CheckLayers(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="check-layers-")
        self.addCleanup(shutil.rmtree, self.root)
        self.write("meson.build", MESON_BUILD)
        self.write("include/util/strutil.h", "int str_len(const char *s);\n")
        self.write("include/ack/request.h", '#include "util/strutil.h"\nint request_new(void);\n')
        self.write("src/util/strutil.c", '#include "build-config.h"\n#include "util/strutil.h"\n'
                   "int str_len(const char *s) { return s ? 1 : 0; }\n")
        self.write("src/ack/request.c", '#include "ack/request.h"\n#include "request-internal.h"\n'
                   "int request_new(void) { return str_len(\"x\"); }\n")
        self.write("src/ack/request-internal.h", "#pragma once\n")
        self.write("src/main.c", '#include "ack/request.h"\nint main(void) { return request_new(); }\n')

    def write(self, rel, text):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def build(self):
        """Compiles every src/ file into build/ with a compile_commands.json, as meson does."""
        build = os.path.join(self.root, "build")
        os.makedirs(build, exist_ok=True)
        open(os.path.join(build, "build-config.h"), "w").close()
        entries = []
        for d, _, files in os.walk(os.path.join(self.root, "src")):
            for name in sorted(files):
                if not name.endswith(".c"):
                    continue
                src = os.path.relpath(os.path.join(d, name), self.root)
                out = src.replace("/", "_") + ".o"
                subprocess.run(["cc", "-c", "-I", os.path.join(self.root, "include"), "-I", build,
                                "-o", os.path.join(build, out), os.path.join("..", src)],
                               cwd=build, check=True, timeout=60)
                entries.append({"directory": build, "file": os.path.join("..", src),
                                "output": out})
        with open(os.path.join(build, "compile_commands.json"), "w") as f:
            json.dump(entries, f)
        return build

    def check(self, *extra):
        p = subprocess.run([sys.executable, CHECK, self.root, *extra], capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def test_clean_tree_passes(self):
        rc, out, err = self.check(self.build())
        self.assertEqual(rc, 0, out + err)
        self.assertIn("layers util, ack, watch, main; 0 problem(s)", out)

    def test_upward_include_is_named_with_both_layers(self):
        self.write("src/util/strutil.c", '#include "util/strutil.h"\n#include "ack/request.h"\n'
                   "int str_len(const char *s) { return 0; }\n")
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertIn('src/util/strutil.c:2: #include "ack/request.h": layer util includes '
                      "layer ack, which comes after it", out)

    def test_upward_include_from_a_header(self):
        self.write("include/util/strutil.h", '#include "watch/watcher.h"\n')
        self.write("include/watch/watcher.h", "\n")
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertIn('include/util/strutil.h:1: #include "watch/watcher.h": layer util '
                      "includes layer watch", out)

    def test_header_of_an_unlisted_layer_is_an_error(self):
        self.write("src/ack/request.c", '#include "json/json-guard.h"\n')
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertIn('src/ack/request.c:1: #include "json/json-guard.h": layer json, not a '
                      "layer of meson.build's list", out)

    def test_file_of_an_unlisted_layer_is_an_error(self):
        self.write("src/daemon/daemon.c", "\n")
        rc, out, _ = self.check()
        self.assertEqual(rc, 1)
        self.assertIn("src/daemon/daemon.c: layer daemon is not in meson.build's list", out)

    def test_layer_added_to_the_list_is_accepted(self):
        self.write("meson.build", MESON_BUILD.replace("#   ack ", "#   json    JSON\n#   ack "))
        self.write("include/json/json-guard.h", "\n")
        self.write("src/ack/request.c", '#include "json/json-guard.h"\n')
        rc, out, _ = self.check()
        self.assertEqual(rc, 0, out)
        self.assertIn("layers util, json, ack, watch, main;", out)

    def test_two_file_cycle_is_reported_with_its_symbols(self):
        self.write("src/watch/watcher.c", "int task_start(void);\n"
                   "int watcher_pump(void) { return task_start(); }\n")
        self.write("src/watch/watched-task.c", "int watcher_pump(void);\n"
                   "int task_start(void) { return watcher_pump(); }\n")
        rc, out, _ = self.check(self.build())
        self.assertEqual(rc, 1)
        self.assertIn("call cycle between 2 files: src/watch/watched-task.c src/watch/watcher.c",
                      out)
        self.assertIn("src/watch/watched-task.c -> src/watch/watcher.c (watcher_pump)", out)
        self.assertIn("src/watch/watcher.c -> src/watch/watched-task.c (task_start)", out)

    def test_three_file_cycle_across_layers(self):
        self.write("src/util/strutil.c", "int main_hook(void);\n"
                   "int str_len(const char *s) { return main_hook(); }\n")
        self.write("src/main.c", "int request_new(void);\nint main_hook(void) { return 0; }\n"
                   "int main(void) { return request_new(); }\n")
        rc, out, _ = self.check(self.build())
        self.assertEqual(rc, 1)
        self.assertIn("call cycle between 3 files: src/ack/request.c src/main.c "
                      "src/util/strutil.c", out)

    def test_one_way_calls_are_no_cycle(self):
        self.write("src/watch/watcher.c", "int request_new(void);\n"
                   "int watcher_pump(void) { return request_new(); }\n")
        rc, out, _ = self.check(self.build())
        self.assertEqual(rc, 0, out)
        self.assertNotIn("cycle", out.replace("call cycles not checked", ""))

    def test_missing_build_is_a_usage_error(self):
        rc, _, err = self.check(os.path.join(self.root, "no-build"))
        self.assertEqual(rc, 2)
        self.assertIn("compile_commands.json", err)


if __name__ == "__main__":
    unittest.main()
