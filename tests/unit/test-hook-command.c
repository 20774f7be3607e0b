/* Hook command lines split like ExecStart=, and the [Hooks] keys that hold them. */
#include <errno.h>

#include "hooks/hook-config.h"
#include "test.h"
#include "util/time-util.h"

static size_t strv_length(char **l) {
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

/* Splits line and compares with the expected words (NULL-terminated). */
static bool split_is(const char *line, const char *const *want) {
        char **argv = NULL, *error = NULL;
        bool ok;

        if (hook_command_split(line, &argv, &error) < 0) {
                fprintf(stderr, "# split(%s): %s\n", line, error ? error : "?");
                free(error);
                return false;
        }
        ok = true;
        for (size_t i = 0;; i++) {
                if (!want[i] || !argv[i]) {
                        ok = ok && !want[i] && !argv[i];
                        break;
                }
                if (strcmp(want[i], argv[i]) != 0) {
                        fprintf(stderr, "# split(%s): word %zu is \"%s\", expected \"%s\"\n", line,
                                i, argv[i], want[i]);
                        ok = false;
                }
        }
        if (!ok)
                fprintf(stderr, "# split(%s): %zu words\n", line, strv_length(argv));
        strv_free(argv);
        return ok;
}

/* Splitting fails with -EINVAL and an error containing `why`. */
static bool split_fails(const char *line, const char *why) {
        char **argv = NULL, *error = NULL;
        int r = hook_command_split(line, &argv, &error);
        bool ok = r == -EINVAL && !argv && error && strstr(error, why);

        if (!ok)
                fprintf(stderr, "# split(%s): r=%d error=%s\n", line, r, error ? error : "(null)");
        free(error);
        strv_free(argv);
        return ok;
}

#define W(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void test_words_are_split_on_blanks(void) {
        ASSERT_TRUE(split_is("/bin/true", W("/bin/true")));
        ASSERT_TRUE(split_is("  /usr/bin/page   --urgent\tops  ", W("/usr/bin/page", "--urgent", "ops")));
        ASSERT_TRUE(split_is("/a\nb\r\nc", W("/a", "b", "c")));
}

static void test_quotes_group_words(void) {
        ASSERT_TRUE(split_is("/bin/sh -c 'echo \"$TASK_ID\" >> /tmp/x'",
                             W("/bin/sh", "-c", "echo \"$TASK_ID\" >> /tmp/x")));
        ASSERT_TRUE(split_is("/bin/echo \"a b\" 'c  d'", W("/bin/echo", "a b", "c  d")));
        /* Quotes may start and end inside a word, as in systemd. */
        ASSERT_TRUE(split_is("/bin/echo a\"b c\"d 'x'y", W("/bin/echo", "ab cd", "xy")));
        /* An empty pair of quotes is an empty word. */
        ASSERT_TRUE(split_is("/bin/echo \"\" ''", W("/bin/echo", "", "")));
        /* The other quote is literal inside one. */
        ASSERT_TRUE(split_is("/bin/echo \"it's\" 'say \"hi\"'", W("/bin/echo", "it's", "say \"hi\"")));
}

static void test_backslash_escapes(void) {
        ASSERT_TRUE(split_is("/bin/echo a\\ b", W("/bin/echo", "a b")));
        ASSERT_TRUE(split_is("/bin/echo \\\"q\\\" \\'s\\'", W("/bin/echo", "\"q\"", "'s'")));
        ASSERT_TRUE(split_is("/bin/echo \\\\", W("/bin/echo", "\\")));
        ASSERT_TRUE(split_is("/bin/echo \"in \\\"quotes\\\"\"", W("/bin/echo", "in \"quotes\"")));
        ASSERT_TRUE(split_is("/bin/echo 'in \\'single\\''", W("/bin/echo", "in 'single'")));
        ASSERT_TRUE(split_is("/bin/echo a\\sb \\t\\n", W("/bin/echo", "a b", "\t\n")));
        ASSERT_TRUE(split_is("/bin/echo \\x41\\102 \\x7e", W("/bin/echo", "AB", "~")));
        ASSERT_TRUE(split_is("/my\\ tools/page", W("/my tools/page")));
}

static void test_bad_escapes_are_refused(void) {
        ASSERT_TRUE(split_fails("/bin/echo \\$HOME", "invalid escape sequence \\$"));
        ASSERT_TRUE(split_fails("/bin/echo \\q", "invalid escape sequence \\q"));
        ASSERT_TRUE(split_fails("/bin/echo a\\", "trailing backslash"));
        ASSERT_TRUE(split_fails("/bin/echo \\x4", "\\x"));
        ASSERT_TRUE(split_fails("/bin/echo \\xzz", "\\x"));
        ASSERT_TRUE(split_fails("/bin/echo \\12", "octal"));
        ASSERT_TRUE(split_fails("/bin/echo \\x00", "NUL"));
        ASSERT_TRUE(split_fails("/bin/echo \\000", "NUL"));
}

static void test_unterminated_quote_is_refused(void) {
        ASSERT_TRUE(split_fails("/bin/echo \"abc", "unterminated quote"));
        ASSERT_TRUE(split_fails("/bin/echo 'abc", "unterminated quote"));
        ASSERT_TRUE(split_fails("/bin/echo 'a\\'", "unterminated quote"));
}

static void test_first_word_must_be_absolute(void) {
        ASSERT_TRUE(split_fails("page --urgent", "hook command must be an absolute path: page"));
        ASSERT_TRUE(split_fails("./page", "hook command must be an absolute path: ./page"));
        /* systemd's prefixes (-, @, +, !) are not supported: they fail the same way. */
        ASSERT_TRUE(split_fails("-/bin/page", "must be an absolute path: -/bin/page"));
        ASSERT_TRUE(split_fails("''", "must be an absolute path: "));
        ASSERT_TRUE(split_fails("   ", "empty hook command"));
        ASSERT_TRUE(split_fails("", "empty hook command"));
}

static void test_error_is_optional(void) {
        char **argv = NULL;
        ASSERT_INT_EQ(hook_command_split("relative", &argv, NULL), -EINVAL);
        ASSERT_NULL(argv);
}

static void test_config_add_appends_and_empty_clears(void) {
        HookConfig c;
        char *error = NULL;

        hook_config_init(&c);
        ASSERT_OK(hook_config_add(&c, HOOK_ON_TASK_FAILED, "/usr/bin/page ops", &error));
        ASSERT_OK(hook_config_add(&c, HOOK_ON_TASK_FAILED, " /bin/sh -c 'exit 0' ", &error));
        ASSERT_INT_EQ(c.n_commands[HOOK_ON_TASK_FAILED], 2);
        ASSERT_STR_EQ(c.commands[HOOK_ON_TASK_FAILED][0].argv[1], "ops");
        ASSERT_STR_EQ(c.commands[HOOK_ON_TASK_FAILED][1].line, "/bin/sh -c 'exit 0'");
        ASSERT_STR_EQ(c.commands[HOOK_ON_TASK_FAILED][1].argv[2], "exit 0");
        ASSERT_INT_EQ(hook_config_n_commands(&c), 2);

        ASSERT_INT_EQ(hook_config_add(&c, HOOK_ON_TASK_FAILED, "page", &error), -EINVAL);
        ASSERT_STR_EQ(error, "hook command must be an absolute path: page");
        free(error);
        ASSERT_INT_EQ(c.n_commands[HOOK_ON_TASK_FAILED], 2);

        ASSERT_OK(hook_config_add(&c, HOOK_ON_TASK_FAILED, "", &error));
        ASSERT_INT_EQ(c.n_commands[HOOK_ON_TASK_FAILED], 0);
        ASSERT_NULL(c.commands[HOOK_ON_TASK_FAILED]);
        hook_config_done(&c);
}

static void test_config_assign_knows_every_key(void) {
        HookConfig c, copy;
        char *error = NULL;

        hook_config_init(&c);
        ASSERT_U64_EQ(c.timeout, 5 * USEC_PER_MINUTE);
        ASSERT_INT_EQ(c.max_concurrent, 4);

        ASSERT_OK(hook_config_assign(&c, "OnTaskSucceeded", "/bin/true", &error));
        ASSERT_OK(hook_config_assign(&c, "OnTaskFailed", "/bin/false", &error));
        ASSERT_OK(hook_config_assign(&c, "OnInstanceFailed", "/bin/echo i", &error));
        ASSERT_OK(hook_config_assign(&c, "OnTransition", "/bin/echo t", &error));
        ASSERT_OK(hook_config_assign(&c, "OnTransition", "/bin/echo u", &error));
        for (int t = 0; t < _HOOK_TRIGGER_MAX; t++)
                ASSERT_INT_EQ(c.n_commands[t], t == HOOK_ON_TRANSITION ? 2 : 1);

        ASSERT_OK(hook_config_assign(&c, "HookTimeout", "1min 30s", &error));
        ASSERT_U64_EQ(c.timeout, 90 * USEC_PER_SEC);
        ASSERT_OK(hook_config_assign(&c, "HookTimeout", "infinity", &error));
        ASSERT_U64_EQ(c.timeout, USEC_INFINITY);
        ASSERT_OK(hook_config_assign(&c, "MaxConcurrentHooks", "64", &error));
        ASSERT_INT_EQ(c.max_concurrent, 64);

        /* A reload copies the config into the runner: the copy is deep. */
        ASSERT_OK(hook_config_copy(&copy, &c));
        ASSERT_TRUE(copy.commands[HOOK_ON_TRANSITION] != c.commands[HOOK_ON_TRANSITION]);
        ASSERT_STR_EQ(copy.commands[HOOK_ON_TRANSITION][1].argv[1], "u");
        ASSERT_U64_EQ(copy.timeout, USEC_INFINITY);
        hook_config_done(&copy);

        ASSERT_OK(hook_config_assign(&c, "HookTimeout", "", &error));
        ASSERT_U64_EQ(c.timeout, 5 * USEC_PER_MINUTE);
        ASSERT_OK(hook_config_assign(&c, "MaxConcurrentHooks", "", &error));
        ASSERT_INT_EQ(c.max_concurrent, 4);
        ASSERT_INT_EQ(hook_config_assign(&c, "OnTaskStarted", "/bin/true", &error), -ENOENT);
        ASSERT_NULL(error);
        hook_config_done(&c);
        ASSERT_INT_EQ(hook_config_n_commands(&c), 0);
}

static void test_config_assign_refuses_bad_values(void) {
        static const struct {
                const char *key, *value, *why;
        } bad[] = {
                { "HookTimeout", "0", "greater than 0" },
                { "HookTimeout", "soon", "not a time span" },
                { "MaxConcurrentHooks", "0", "out of range" },
                { "MaxConcurrentHooks", "65", "out of range" },
                { "MaxConcurrentHooks", "99999", "out of range" },
                { "MaxConcurrentHooks", "+3", "not a number" },
                { "MaxConcurrentHooks", "0x4", "not a number" },
                { "OnTaskFailed", "curl https://x", "absolute path: curl" },
        };
        HookConfig c;

        hook_config_init(&c);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *error = NULL;
                int r = hook_config_assign(&c, bad[i].key, bad[i].value, &error);
                if (r != -EINVAL || !error || !strstr(error, bad[i].why))
                        TEST_FAIL_("%s=%s: r=%d error=%s", bad[i].key, bad[i].value, r,
                                   error ? error : "(null)");
                free(error);
        }
        ASSERT_U64_EQ(c.timeout, HOOK_TIMEOUT_DEFAULT);
        ASSERT_INT_EQ(c.max_concurrent, HOOK_MAX_CONCURRENT_DEFAULT);
        ASSERT_INT_EQ(hook_config_n_commands(&c), 0);
        hook_config_done(&c);
}

static void test_trigger_names_round_trip(void) {
        for (int t = 0; t < _HOOK_TRIGGER_MAX; t++)
                ASSERT_INT_EQ(hook_trigger_from_string(hook_trigger_to_string((HookTrigger) t)), t);
        ASSERT_INT_EQ(hook_trigger_from_string("ontaskfailed"), -EINVAL);
        ASSERT_NULL(hook_trigger_to_string(_HOOK_TRIGGER_MAX));
}

TEST_MAIN(TEST_CASE(test_words_are_split_on_blanks),
          TEST_CASE(test_quotes_group_words),
          TEST_CASE(test_backslash_escapes),
          TEST_CASE(test_bad_escapes_are_refused),
          TEST_CASE(test_unterminated_quote_is_refused),
          TEST_CASE(test_first_word_must_be_absolute),
          TEST_CASE(test_error_is_optional),
          TEST_CASE(test_config_add_appends_and_empty_clears),
          TEST_CASE(test_config_assign_knows_every_key),
          TEST_CASE(test_config_assign_refuses_bad_values),
          TEST_CASE(test_trigger_names_round_trip))
