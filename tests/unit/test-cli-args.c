/* taskwatch's command line: global options stop at the command, each command its own. */
#include <errno.h>

#include "cli-args.h"
#include "reload.h"
#include "test.h"
#include "util/cleanup.h"

#define ARGV(...) ((char *[]) { __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *)))
#define PARSE_GLOBAL(g, ...) cli_parse_global(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (g))
#define PARSE(cmd, o, ...) cli_parse_command((cmd), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o))

static void test_global_options_stop_at_the_command(void) {
        GlobalOptions g;

        ASSERT_OK(PARSE_GLOBAL(&g, "taskwatch", "--config", "/x.conf", "wait", "--timeout", "5s", "T-1"));
        ASSERT_STR_EQ(g.config_path, "/x.conf");
        ASSERT_INT_EQ(g.command_index, 3);
        ASSERT_INT_EQ(g.color, -1);

        ASSERT_OK(PARSE_GLOBAL(&g, "taskwatch", "-c/y.conf", "--no-color", "get", "-h"));
        ASSERT_STR_EQ(g.config_path, "/y.conf");
        ASSERT_INT_EQ(g.color, 0);
        ASSERT_INT_EQ(g.command_index, 3);
        ASSERT_TRUE(!g.help); /* the -h after the command is the command's */
}

static void test_global_help_version_and_no_command(void) {
        GlobalOptions g;

        ASSERT_OK(PARSE_GLOBAL(&g, "taskwatch", "--help"));
        ASSERT_TRUE(g.help);
        ASSERT_INT_EQ(g.command_index, 2);
        ASSERT_OK(PARSE_GLOBAL(&g, "taskwatch", "--version"));
        ASSERT_TRUE(g.version);
        ASSERT_OK(PARSE_GLOBAL(&g, "taskwatch"));
        ASSERT_INT_EQ(g.command_index, 1);
}

static void test_global_refuses_unknown_options_and_empty_config(void) {
        GlobalOptions g;

        ASSERT_INT_EQ(PARSE_GLOBAL(&g, "taskwatch", "--timeout=5s", "wait", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE_GLOBAL(&g, "taskwatch", "--config=", "get", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE_GLOBAL(&g, "taskwatch", "--config"), -EINVAL);
}

static void test_commands_by_name(void) {
        ASSERT_INT_EQ(cli_command_from_string("get"), CLI_COMMAND_GET);
        ASSERT_INT_EQ(cli_command_from_string("wait"), CLI_COMMAND_WAIT);
        ASSERT_INT_EQ(cli_command_from_string("add"), CLI_COMMAND_ADD);
        ASSERT_INT_EQ(cli_command_from_string("remove"), CLI_COMMAND_REMOVE);
        ASSERT_INT_EQ(cli_command_from_string("status"), CLI_COMMAND_STATUS);
        ASSERT_INT_EQ(cli_command_from_string("help"), CLI_COMMAND_HELP);
        ASSERT_INT_EQ(cli_command_from_string("Get"), -EINVAL);
        ASSERT_INT_EQ(cli_command_from_string("rm"), -EINVAL);
        ASSERT_STR_EQ(cli_command_to_string(CLI_COMMAND_REMOVE), "remove");
        ASSERT_NULL(cli_command_to_string(_CLI_COMMAND_MAX));
}

static void test_wait_options_anywhere_among_the_tasks(void) {
        CommandOptions o;

        /* o.args points into argv: it must outlive the ASSERT's block */
        char *argv[] = { (char *) "wait", (char *) "T-1", (char *) "--timeout", (char *) "45min",
                         (char *) "T-2", (char *) "--interval=2s", (char *) "--max-interval",
                         (char *) "1min", NULL };

        ASSERT_OK(cli_parse_command(CLI_COMMAND_WAIT, 8, argv, &o));
        ASSERT_U64_EQ(o.timeout, 45 * USEC_PER_MINUTE);
        ASSERT_U64_EQ(o.interval, 2 * USEC_PER_SEC);
        ASSERT_U64_EQ(o.max_interval, USEC_PER_MINUTE);
        ASSERT_INT_EQ(o.n_args, 2);
        ASSERT_STR_EQ(o.args[0], "T-1");
        ASSERT_STR_EQ(o.args[1], "T-2");
}

static void test_wait_defaults(void) {
        CommandOptions o;

        ASSERT_OK(PARSE(CLI_COMMAND_WAIT, &o, "wait", "T-1"));
        ASSERT_U64_EQ(o.timeout, USEC_INFINITY);
        ASSERT_U64_EQ(o.interval, 0);
        ASSERT_U64_EQ(o.max_interval, 0);
        ASSERT_TRUE(!o.help && !o.json);
}

static void test_wait_refuses_bad_spans(void) {
        CommandOptions o;

        ASSERT_INT_EQ(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--timeout=soon", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--timeout=0", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--interval=0", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--interval=infinity", "T-1"), -EINVAL);
        ASSERT_OK(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--timeout=infinity", "T-1"));
}

static void test_commands_that_need_tasks_refuse_none(void) {
        CommandOptions o;

        ASSERT_INT_EQ(PARSE(CLI_COMMAND_GET, &o, "get"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--timeout=5s"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_ADD, &o, "add"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_REMOVE, &o, "remove", "--no-reload"), -EINVAL);
        /* ... except to show their help */
        ASSERT_OK(PARSE(CLI_COMMAND_GET, &o, "get", "--help"));
        ASSERT_TRUE(o.help);
}

/* #16 item 9: get's outputs, one at a time; -o is get's only. */
static void test_get_outputs(void) {
        CommandOptions o;

        ASSERT_OK(PARSE(CLI_COMMAND_GET, &o, "get", "-o", "wide", "T-1"));
        ASSERT_TRUE(o.wide);
        ASSERT_OK(PARSE(CLI_COMMAND_GET, &o, "get", "T-1", "--output=wide"));
        ASSERT_TRUE(o.wide);
        ASSERT_OK(PARSE(CLI_COMMAND_GET, &o, "get", "--json-lines", "T-1", "T-2"));
        ASSERT_TRUE(o.json_lines && !o.json && !o.wide);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_GET, &o, "get", "-o", "yaml", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_GET, &o, "get", "--json", "--json-lines", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_GET, &o, "get", "--json", "-o", "wide", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_STATUS, &o, "status", "-o", "wide"), -EINVAL);
}

static void test_options_belong_to_their_command(void) {
        CommandOptions o;

        ASSERT_OK(PARSE(CLI_COMMAND_GET, &o, "get", "--json", "T-1"));
        ASSERT_TRUE(o.json);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_GET, &o, "get", "--timeout=5s", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_WAIT, &o, "wait", "--json", "T-1"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_ADD, &o, "add", "--json", "T-1"), -EINVAL);
        ASSERT_OK(PARSE(CLI_COMMAND_ADD, &o, "add", "--no-reload", "T-1"));
        ASSERT_TRUE(o.no_reload);
        ASSERT_OK(PARSE(CLI_COMMAND_STATUS, &o, "status", "--json", "--state-dir", "/s"));
        ASSERT_TRUE(o.json);
        ASSERT_STR_EQ(o.state_dir, "/s");
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_STATUS, &o, "status", "--state-dir=rel"), -EINVAL);
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_STATUS, &o, "status", "T-1"), -EINVAL);
}

static void test_double_dash_ends_options(void) {
        CommandOptions o;

        char *argv[] = { (char *) "get", (char *) "--", (char *) "--json", NULL };

        ASSERT_OK(cli_parse_command(CLI_COMMAND_GET, 3, argv, &o));
        ASSERT_TRUE(!o.json);
        ASSERT_INT_EQ(o.n_args, 1);
        ASSERT_STR_EQ(o.args[0], "--json");
}

static void test_help_takes_one_command(void) {
        CommandOptions o;

        ASSERT_OK(PARSE(CLI_COMMAND_HELP, &o, "help"));
        ASSERT_INT_EQ(o.n_args, 0);
        char *argv[] = { (char *) "help", (char *) "wait", NULL };

        ASSERT_OK(cli_parse_command(CLI_COMMAND_HELP, 2, argv, &o));
        ASSERT_STR_EQ(o.args[0], "wait");
        ASSERT_INT_EQ(PARSE(CLI_COMMAND_HELP, &o, "help", "wait", "get"), -EINVAL);
}

static void test_wait_interval_rules(void) {
        CommandOptions o = {};
        usec_t min, max;

        /* nothing given: the configuration's */
        ASSERT_OK(cli_wait_intervals(&o, 5 * USEC_PER_SEC, 2 * USEC_PER_MINUTE, &min, &max));
        ASSERT_U64_EQ(min, 5 * USEC_PER_SEC);
        ASSERT_U64_EQ(max, 2 * USEC_PER_MINUTE);

        /* --interval replaces MinInterval=, MaxInterval= stays when longer */
        o.interval = 10 * USEC_PER_SEC;
        ASSERT_OK(cli_wait_intervals(&o, 5 * USEC_PER_SEC, 2 * USEC_PER_MINUTE, &min, &max));
        ASSERT_U64_EQ(min, 10 * USEC_PER_SEC);
        ASSERT_U64_EQ(max, 2 * USEC_PER_MINUTE);

        /* ... and is raised to the interval when shorter */
        o.interval = 5 * USEC_PER_MINUTE;
        ASSERT_OK(cli_wait_intervals(&o, 5 * USEC_PER_SEC, 2 * USEC_PER_MINUTE, &min, &max));
        ASSERT_U64_EQ(max, 5 * USEC_PER_MINUTE);

        /* --max-interval wins, but not below the interval */
        o.interval = 2 * USEC_PER_SEC;
        o.max_interval = 10 * USEC_PER_SEC;
        ASSERT_OK(cli_wait_intervals(&o, 5 * USEC_PER_SEC, 2 * USEC_PER_MINUTE, &min, &max));
        ASSERT_U64_EQ(min, 2 * USEC_PER_SEC);
        ASSERT_U64_EQ(max, 10 * USEC_PER_SEC);
        o.max_interval = USEC_PER_SEC;
        ASSERT_INT_EQ(cli_wait_intervals(&o, 5 * USEC_PER_SEC, 2 * USEC_PER_MINUTE, &min, &max), -EINVAL);
        /* --max-interval alone is checked against the configuration's MinInterval= */
        o.interval = 0;
        ASSERT_INT_EQ(cli_wait_intervals(&o, 5 * USEC_PER_SEC, 2 * USEC_PER_MINUTE, &min, &max), -EINVAL);
}

static void test_daemon_config_from_its_command_line(void) {
        static const char a[] = "taskwatchd\0--config\0/etc/x.conf\0--exit-when-done";
        static const char b[] = "/usr/sbin/taskwatchd\0--config=rel.conf";
        static const char c[] = "taskwatchd\0-c/c.conf";
        static const char d[] = "taskwatchd\0-c\0/d.conf\0--\0--config=/e.conf";
        static const char e[] = "taskwatchd\0--check-config";
        static const char f[] = "taskwatchd\0--config"; /* cut short */
        char *p;

        ASSERT_OK(cmdline_config_path(a, sizeof(a), &p));
        ASSERT_STR_EQ(p, "/etc/x.conf");
        free(p);
        ASSERT_OK(cmdline_config_path(b, sizeof(b), &p));
        ASSERT_STR_EQ(p, "rel.conf");
        free(p);
        ASSERT_OK(cmdline_config_path(c, sizeof(c), &p));
        ASSERT_STR_EQ(p, "/c.conf");
        free(p);
        ASSERT_OK(cmdline_config_path(d, sizeof(d), &p));
        ASSERT_STR_EQ(p, "/d.conf");
        free(p);
        ASSERT_OK(cmdline_config_path(e, sizeof(e), &p));
        ASSERT_NULL(p);
        ASSERT_OK(cmdline_config_path(f, sizeof(f), &p));
        ASSERT_NULL(p);
}

/* "taskwatch get --config F T-1": global options where a user puts them. */
static void test_global_options_after_the_command_are_taken_out(void) {
        char *argv[] = { (char *) "get", (char *) "--config", (char *) "/a.conf", (char *) "T-1",
                         (char *) "--no-color", (char *) "-c/b.conf", (char *) "--json",
                         (char *) "--", (char *) "--config=/c.conf", NULL };
        char *argv2[] = { (char *) "wait", (char *) "T-1", (char *) "--config", NULL };
        char *argv3[] = { (char *) "wait", (char *) "--config=", NULL };
        GlobalOptions g = { .color = -1 };
        int argc = 9, argc2 = 3, argc3 = 2;

        ASSERT_OK(cli_extract_global(&argc, argv, &g));
        ASSERT_STR_EQ(g.config_path, "/b.conf");
        ASSERT_INT_EQ(g.color, 0);
        ASSERT_INT_EQ(argc, 5);
        ASSERT_STR_EQ(argv[0], "get");
        ASSERT_STR_EQ(argv[1], "T-1");
        ASSERT_STR_EQ(argv[2], "--json");
        ASSERT_STR_EQ(argv[3], "--");
        ASSERT_STR_EQ(argv[4], "--config=/c.conf");
        ASSERT_NULL(argv[5]);

        ASSERT_INT_EQ(cli_extract_global(&argc2, argv2, &g), -EINVAL);
        ASSERT_INT_EQ(cli_extract_global(&argc3, argv3, &g), -EINVAL);
}

static void test_daemon_state_dir_and_flags_from_its_command_line(void) {
        static const char a[] = "taskwatchd\0--state-dir\0/s\0--exit-when-done";
        static const char b[] = "taskwatchd\0--state-dir=rel\0--\0--exit-when-done";
        static const char c[] = "taskwatchd\0--state-directory=/x"; /* not our option */
        char *p;

        ASSERT_OK(cmdline_option(a, sizeof(a), "state-dir", 0, &p));
        ASSERT_STR_EQ(p, "/s");
        free(p);
        ASSERT_TRUE(cmdline_has_flag(a, sizeof(a), "exit-when-done"));
        ASSERT_OK(cmdline_option(b, sizeof(b), "state-dir", 0, &p));
        ASSERT_STR_EQ(p, "rel");
        free(p);
        ASSERT_TRUE(!cmdline_has_flag(b, sizeof(b), "exit-when-done"));
        ASSERT_OK(cmdline_option(c, sizeof(c), "state-dir", 0, &p));
        ASSERT_NULL(p);
}

static void test_directories_from_a_daemons_environment(void) {
        static const char env[] = "HOME=/root\0RUNTIME_DIRECTORY=/run/a:/run/b\0STATE_DIRECTORY=\0"
                                  "XSTATE_DIRECTORY=/no";
        char *p;

        ASSERT_OK(environ_first_dir(env, sizeof(env), "RUNTIME_DIRECTORY", &p));
        ASSERT_STR_EQ(p, "/run/a");
        free(p);
        ASSERT_OK(environ_first_dir(env, sizeof(env), "STATE_DIRECTORY", &p));
        ASSERT_NULL(p);
        ASSERT_OK(environ_first_dir(env, sizeof(env), "CREDENTIALS_DIRECTORY", &p));
        ASSERT_NULL(p);
}

TEST_MAIN(TEST_CASE(test_get_outputs),
          TEST_CASE(test_global_options_stop_at_the_command),
          TEST_CASE(test_global_help_version_and_no_command),
          TEST_CASE(test_daemon_state_dir_and_flags_from_its_command_line),
          TEST_CASE(test_global_options_after_the_command_are_taken_out),
          TEST_CASE(test_directories_from_a_daemons_environment),
          TEST_CASE(test_global_refuses_unknown_options_and_empty_config),
          TEST_CASE(test_commands_by_name),
          TEST_CASE(test_wait_options_anywhere_among_the_tasks),
          TEST_CASE(test_wait_defaults),
          TEST_CASE(test_wait_refuses_bad_spans),
          TEST_CASE(test_commands_that_need_tasks_refuse_none),
          TEST_CASE(test_options_belong_to_their_command),
          TEST_CASE(test_double_dash_ends_options),
          TEST_CASE(test_help_takes_one_command),
          TEST_CASE(test_wait_interval_rules),
          TEST_CASE(test_daemon_config_from_its_command_line))
