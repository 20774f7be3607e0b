/* The [Hooks] section of the configuration: its keys, their errors, and printing it safely. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "test.h"

static void diag_clearp(ConfigDiagnostics *d) {
        config_diagnostics_clear(d);
}

/* text as "test.conf", then config_finish(); *ret only on success. */
static int parse(const char *text, Config **ret, ConfigDiagnostics *d) {
        _cleanup_(config_freep) Config *c = NULL;
        int r;

        r = config_new(&c);
        if (r < 0)
                return r;
        r = config_parse_text(c, text, strlen(text), "test.conf", d);
        if (r < 0)
                return r;
        r = config_finish(c, d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* Not inlined: GCC 12 at -O3 then takes the returned buffer for a pointer to the local
 * `out` itself (-Wdangling-pointer false positive). */
__attribute__((noinline)) static char *print(const Config *c) {
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        if (!f)
                abort();
        config_print(c, f);
        if (fclose(f) != 0)
                abort();
        return out;
}

static void test_hook_keys_are_repeatable_and_an_empty_one_resets(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("[Hooks]\n"
                        "OnTaskFailed=/bin/a 1\n"
                        "OnTaskFailed=/bin/b \"two words\"\n"
                        "OnTransition=/bin/x\n"
                        "OnTransition=\n"
                        "OnTransition=/bin/y\n"
                        "OnTaskSucceeded=/bin/ok\n"
                        "OnInstanceFailed=/bin/page --to 'on call'\n"
                        "HookTimeout=30s\n"
                        "MaxConcurrentHooks=2\n", &c, NULL));
        ASSERT_INT_EQ(c->hooks.n_commands[HOOK_ON_TASK_FAILED], 2);
        ASSERT_STR_EQ(c->hooks.commands[HOOK_ON_TASK_FAILED][1].argv[1], "two words");
        ASSERT_INT_EQ(c->hooks.n_commands[HOOK_ON_TRANSITION], 1);
        ASSERT_STR_EQ(c->hooks.commands[HOOK_ON_TRANSITION][0].argv[0], "/bin/y");
        ASSERT_INT_EQ(c->hooks.n_commands[HOOK_ON_TASK_SUCCEEDED], 1);
        ASSERT_STR_EQ(c->hooks.commands[HOOK_ON_INSTANCE_FAILED][0].argv[2], "on call");
        ASSERT_U64_EQ(c->hooks.timeout, 30 * USEC_PER_SEC);
        ASSERT_INT_EQ(c->hooks.max_concurrent, 2);
        config_free(TAKE_PTR(c));

        /* Defaults, and the empty assignments that restore them. */
        ASSERT_OK(parse("[Hooks]\nHookTimeout=1s\nHookTimeout=\nMaxConcurrentHooks=9\n"
                        "MaxConcurrentHooks=\n", &c, NULL));
        ASSERT_U64_EQ(c->hooks.timeout, HOOK_TIMEOUT_DEFAULT);
        ASSERT_INT_EQ(c->hooks.max_concurrent, HOOK_MAX_CONCURRENT_DEFAULT);
        ASSERT_INT_EQ(hook_config_n_commands(&c->hooks), 0);
        config_free(TAKE_PTR(c));
        ASSERT_OK(parse("[Hooks]\nHookTimeout=infinity\n", &c, NULL));
        ASSERT_U64_EQ(c->hooks.timeout, USEC_INFINITY);
}

static void test_bad_hook_values_are_reported_with_file_and_line(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        Config *c = NULL;

        ASSERT_INT_EQ(parse("[Hooks]\n"
                            "OnTaskFailed=page-oncall now\n"
                            "OnTransition=/bin/x \"unterminated\n"
                            "HookTimeout=soon\n"
                            "MaxConcurrentHooks=65\n"
                            "OnSomething=/bin/x\n", &c, &d), -EINVAL);
        ASSERT_NULL(c);
        ASSERT_INT_EQ(d.n_messages, 5);
        ASSERT_TRUE(strncmp(d.messages[0], "test.conf:2: OnTaskFailed=page-oncall now: ", 43) == 0);
        ASSERT_NOT_NULL(strstr(d.messages[0], "absolute path"));
        ASSERT_TRUE(strncmp(d.messages[1], "test.conf:3: OnTransition=", 26) == 0);
        ASSERT_NOT_NULL(strstr(d.messages[1], "unterminated quote"));
        ASSERT_STR_EQ(d.messages[2], "test.conf:4: HookTimeout=soon: not a time span (use e.g. "
                                     "30s, 5min, or infinity)");
        ASSERT_STR_EQ(d.messages[3], "test.conf:5: MaxConcurrentHooks=65: out of range (1..64)");
        ASSERT_STR_EQ(d.messages[4], "test.conf:6: OnSomething=/bin/x: unknown key in section "
                                     "[Hooks]");
}

static void test_print_hides_the_arguments_and_parses_back_to_itself(void) {
        _cleanup_(config_freep) Config *c = NULL, *back = NULL;
        _cleanup_(freep) char *out = NULL, *out2 = NULL;
        const char *hooks;

        ASSERT_OK(parse("[Hooks]\n"
                        "OnInstanceFailed=/usr/bin/curl -d @- https://hooks.example/T0KEN\n"
                        "OnTaskFailed=\"/opt/my tools/pa\\\"ge\" x\n"
                        "OnTaskSucceeded=/bin/true\n"
                        "HookTimeout=90s\n"
                        "MaxConcurrentHooks=1\n", &c, NULL));
        out = print(c);
        ASSERT_NULL(strstr(out, "T0KEN"));
        hooks = strstr(out, "\n[Hooks]\n");
        ASSERT_NOT_NULL(hooks);
        ASSERT_STR_EQ(hooks, "\n[Hooks]\n"
                             "OnTaskSucceeded=/bin/true\n"
                             "OnTaskFailed=/opt/my\\x20tools/pa\\x22ge <hidden>\n"
                             "OnInstanceFailed=/usr/bin/curl <hidden> <hidden> <hidden>\n"
                             "HookTimeout=1min 30s\n"
                             "MaxConcurrentHooks=1\n");

        /* Printed again after parsing, it is the same text: the program and the count stay. */
        ASSERT_OK(parse(out, &back, NULL));
        ASSERT_STR_EQ(back->hooks.commands[HOOK_ON_TASK_FAILED][0].argv[0], "/opt/my tools/pa\"ge");
        ASSERT_INT_EQ(back->hooks.n_commands[HOOK_ON_INSTANCE_FAILED], 1);
        out2 = print(back);
        ASSERT_STR_EQ(out2, out);
}

TEST_MAIN(TEST_CASE(test_hook_keys_are_repeatable_and_an_empty_one_resets),
          TEST_CASE(test_bad_hook_values_are_reported_with_file_and_line),
          TEST_CASE(test_print_hides_the_arguments_and_parses_back_to_itself))
