/* Which events fire which hooks, their stable keys, and the environment a hook sees. */
#include <errno.h>

#include "hooks/hook-runner.h"
#include "test.h"

#define BIT(t) HOOK_TRIGGER_BIT(HOOK_ON_##t)

static void test_terminal_events_fire_their_trigger_and_transition(void) {
        Event e = EVENT_INIT(EVENT_TASK_SUCCEEDED);
        ASSERT_INT_EQ(hook_triggers_for_event(&e), BIT(TASK_SUCCEEDED) | BIT(TRANSITION));
        e.kind = EVENT_TASK_FAILED;
        ASSERT_INT_EQ(hook_triggers_for_event(&e), BIT(TASK_FAILED) | BIT(TRANSITION));
        e.kind = EVENT_TASK_CANCELED;
        ASSERT_INT_EQ(hook_triggers_for_event(&e), BIT(TASK_FAILED) | BIT(TRANSITION));
        e.kind = EVENT_INSTANCE_FAILED;
        ASSERT_INT_EQ(hook_triggers_for_event(&e), BIT(INSTANCE_FAILED) | BIT(TRANSITION));
}

static void test_every_kind_has_a_decided_mapping(void) {
        static const EventKind transitions[] = {
                EVENT_TASK_STATE_CHANGED, EVENT_TASK_UNKNOWN_STATE, EVENT_INSTANCE_ADDED,
                EVENT_INSTANCE_SUCCEEDED, EVENT_INSTANCE_STATUS_CHANGED,
        };
        static const EventKind special[] = {
                EVENT_TASK_SUCCEEDED, EVENT_TASK_FAILED, EVENT_TASK_CANCELED, EVENT_INSTANCE_FAILED,
        };

        for (int k = 0; k < _EVENT_KIND_MAX; k++) {
                Event e = EVENT_INIT((EventKind) k);
                unsigned want = 0, got = hook_triggers_for_event(&e);
                bool is_special = false;

                for (size_t i = 0; i < ELEMENTSOF(transitions); i++)
                        if (transitions[i] == (EventKind) k)
                                want = BIT(TRANSITION);
                for (size_t i = 0; i < ELEMENTSOF(special); i++)
                        is_special = is_special || special[i] == (EventKind) k;
                if (is_special)
                        continue; /* above */
                if (got != want)
                        TEST_FAIL_("%s fires %#x, expected %#x", event_kind_name((EventKind) k), got,
                                   want);
        }
        /* Decided: not transitions. */
        Event e = EVENT_INIT(EVENT_TASK_BASELINE);
        ASSERT_INT_EQ(hook_triggers_for_event(&e), 0);
        e.kind = EVENT_TASK_STAGE_CHANGED;
        ASSERT_INT_EQ(hook_triggers_for_event(&e), 0);
        e.kind = EVENT_TASK_PROGRESS;
        ASSERT_INT_EQ(hook_triggers_for_event(&e), 0);
        e.kind = EVENT_HOOK_FAILED; /* a failing hook must not fire hooks */
        ASSERT_INT_EQ(hook_triggers_for_event(&e), 0);
}

static bool key_is(const Event *e, const char *want) {
        char *k = NULL;
        bool ok = hook_event_key(e, &k) == 0 && strcmp(k, want) == 0;

        if (!ok)
                fprintf(stderr, "# key \"%s\", expected \"%s\"\n", k ? k : "(none)", want);
        free(k);
        return ok;
}

static void test_keys_name_the_transition(void) {
        Event e = EVENT_INIT(EVENT_TASK_FAILED);
        e.task_id = "T-1";
        e.task_state = "failed";
        e.task_previous_state = "running";
        ASSERT_TRUE(key_is(&e, "T-1/task-failed"));
        /* After a restart the baseline reports it with no previous state: the same key. */
        e.task_previous_state = NULL;
        e.task_state = "fail";
        ASSERT_TRUE(key_is(&e, "T-1/task-failed"));

        e = EVENT_INIT(EVENT_INSTANCE_FAILED);
        e.task_id = "T-1";
        e.instance_id = "i-3";
        e.instance_status = "failed";
        ASSERT_TRUE(key_is(&e, "T-1/instance-failed/i-3"));

        e = EVENT_INIT(EVENT_TASK_STATE_CHANGED);
        e.task_id = "T-1";
        e.task_previous_state = "running";
        e.task_state = "paused";
        ASSERT_TRUE(key_is(&e, "T-1/task-state-changed/running>paused"));

        e = EVENT_INIT(EVENT_TASK_UNKNOWN_STATE);
        e.task_id = "T-1";
        e.task_state = "weird";
        ASSERT_TRUE(key_is(&e, "T-1/task-unknown-state/weird"));

        e = EVENT_INIT(EVENT_INSTANCE_STATUS_CHANGED);
        e.task_id = "T-1";
        e.instance_id = "i-3";
        e.instance_previous_status = "initial";
        e.instance_status = "creating";
        ASSERT_TRUE(key_is(&e, "T-1/instance-status-changed/i-3/initial>creating"));
        e.instance_previous_status = NULL;
        ASSERT_TRUE(key_is(&e, "T-1/instance-status-changed/i-3/->creating"));

        e = EVENT_INIT(EVENT_INSTANCE_ADDED);
        e.task_id = "T-1";
        e.instance_id = "i-4";
        ASSERT_TRUE(key_is(&e, "T-1/instance-added/i-4"));
}

/* Issue 11, item 5: an instance's second failure has a key of its own; the first keeps the
 * key it always had, so ledgers written before stay right. */
static void test_keys_count_an_instance_failures(void) {
        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);
        char *k = NULL;

        e.task_id = "T-1";
        e.instance_id = "i-1";
        e.instance_failure = 1;
        ASSERT_OK(hook_event_key(&e, &k));
        ASSERT_STR_EQ(k, "T-1/instance-failed/i-1");
        free(k);
        e.instance_failure = 2;
        ASSERT_OK(hook_event_key(&e, &k));
        ASSERT_STR_EQ(k, "T-1/instance-failed/i-1/2");
        free(k);
        e.instance_failure = 0; /* not counted (a pending run from an older release) */
        ASSERT_OK(hook_event_key(&e, &k));
        ASSERT_STR_EQ(k, "T-1/instance-failed/i-1");
        free(k);
}

static void test_keys_escape_separators(void) {
        Event e = EVENT_INIT(EVENT_INSTANCE_STATUS_CHANGED);
        e.task_id = "T-1";
        e.instance_id = "a/b>c%d\n";
        e.instance_previous_status = "x";
        e.instance_status = "y";
        ASSERT_TRUE(key_is(&e, "T-1/instance-status-changed/a%2Fb%3Ec%25d%0A/x>y"));
}

static void test_keys_need_a_task(void) {
        Event e = EVENT_INIT(EVENT_TASK_FAILED);
        char *k = NULL;
        ASSERT_INT_EQ(hook_event_key(&e, &k), -EINVAL);
        ASSERT_NULL(k);
}

static const char *env_get(char **env, const char *name) {
        size_t n = strlen(name);
        for (; *env; env++)
                if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

static size_t env_count(char **env) {
        size_t n = 0;
        while (env[n])
                n++;
        return n;
}

static void test_env_has_exactly_the_event_fields(void) {
        Event e = EVENT_INIT(EVENT_TASK_FAILED);
        char **env = NULL;

        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret", 1);
        setenv("HOME", "/root", 1);
        unsetenv("LANG");

        e.task_id = "T-1";
        e.cluster_id = "c-1";
        e.task_type = "cluster_scaleout";
        e.task_state = "failed";
        e.task_previous_state = "running";
        e.task_stage = "not exported";
        e.error_code = "E1";
        e.error_message = "it broke\nbadly";
        e.request_id = "not exported either";
        e.message = "nor this";
        ASSERT_OK(hook_env_build(&e, "T-1/task-failed", &env));

        ASSERT_STR_EQ(env_get(env, "PATH"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        ASSERT_STR_EQ(env_get(env, "LANG"), "C.UTF-8");
        ASSERT_STR_EQ(env_get(env, "TASKWATCH_EVENT"), "task-failed");
        ASSERT_STR_EQ(env_get(env, "TASKWATCH_EVENT_KEY"), "T-1/task-failed");
        ASSERT_STR_EQ(env_get(env, "TASK_ID"), "T-1");
        ASSERT_STR_EQ(env_get(env, "CLUSTER_ID"), "c-1");
        ASSERT_STR_EQ(env_get(env, "TASK_TYPE"), "cluster_scaleout");
        ASSERT_STR_EQ(env_get(env, "TASK_STATE"), "failed");
        ASSERT_STR_EQ(env_get(env, "TASK_PREVIOUS_STATE"), "running");
        ASSERT_STR_EQ(env_get(env, "ERROR_CODE"), "E1");
        ASSERT_STR_EQ(env_get(env, "ERROR_MESSAGE"), "it broke\nbadly");
        ASSERT_NULL(env_get(env, "INSTANCE_ID"));
        ASSERT_NULL(env_get(env, "INSTANCE_STATUS"));
        ASSERT_INT_EQ(env_count(env), 11);
        for (char **i = env; *i; i++) {
                ASSERT_TRUE(strncmp(*i, "ALIBABA", 7) != 0);
                ASSERT_TRUE(strncmp(*i, "HOME=", 5) != 0);
        }
        strv_free(env);
        unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
        unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
}

static void test_env_of_an_instance_event(void) {
        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);
        char **env = NULL;

        setenv("LANG", "de_DE.UTF-8", 1);
        e.task_id = "T-1";
        e.instance_id = "i-3";
        e.instance_status = "failed";
        ASSERT_OK(hook_env_build(&e, "T-1/instance-failed/i-3", &env));
        ASSERT_STR_EQ(env_get(env, "LANG"), "de_DE.UTF-8");
        ASSERT_STR_EQ(env_get(env, "TASKWATCH_EVENT"), "instance-failed");
        ASSERT_STR_EQ(env_get(env, "INSTANCE_ID"), "i-3");
        ASSERT_STR_EQ(env_get(env, "INSTANCE_STATUS"), "failed");
        ASSERT_INT_EQ(env_count(env), 7);
        strv_free(env);

        /* A LANG that is not a locale name is not passed on. */
        setenv("LANG", "x; rm -rf /", 1);
        ASSERT_OK(hook_env_build(&e, "k", &env));
        ASSERT_STR_EQ(env_get(env, "LANG"), "C.UTF-8");
        strv_free(env);
        unsetenv("LANG");
}

/* Issue 11, item 3: a server string of 200 KiB would stop execve() (E2BIG); each value is
 * cut to HOOK_ENV_VALUE_MAX with a marker, and two long keys with one prefix stay apart. */
static void test_env_cuts_long_server_values(void) {
        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);
        size_t big = 200 * 1024;
        char *msg = malloc(big + 1), *id = malloc(big + 1), *key_a = malloc(big + 1), *key_b;
        char **env = NULL, **env_b = NULL;
        const char *v;

        ASSERT_NOT_NULL(msg);
        ASSERT_NOT_NULL(id);
        ASSERT_NOT_NULL(key_a);
        memset(msg, 'm', big);
        msg[big] = 0;
        memset(id, 'i', big);
        id[big] = 0;
        memcpy(msg + HOOK_ENV_VALUE_MAX - 40, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8); /* é where it is cut */
        memset(key_a, 'k', big);
        key_a[big] = 0;
        key_b = strdup(key_a);
        ASSERT_NOT_NULL(key_b);
        key_b[big - 1] = 'x';

        e.task_id = "T-1";
        e.instance_id = id;
        e.error_message = msg;
        ASSERT_OK(hook_env_build(&e, key_a, &env));
        ASSERT_OK(hook_env_build(&e, key_b, &env_b));
        for (char **i = env; *i; i++)
                ASSERT_TRUE(strlen(*i) <= HOOK_ENV_VALUE_MAX + 64);
        v = env_get(env, "ERROR_MESSAGE");
        ASSERT_TRUE(strlen(v) > HOOK_ENV_VALUE_MAX / 2);
        ASSERT_TRUE(strcmp(v + strlen(v) - strlen(HOOK_ENV_CUT_MARKER), HOOK_ENV_CUT_MARKER) == 0);
        /* not inside a UTF-8 sequence: the byte before the marker is a whole é's end */
        ASSERT_TRUE(((unsigned char) v[strlen(v) - strlen(HOOK_ENV_CUT_MARKER) - 1] & 0xC0) != 0xC0);
        ASSERT_TRUE(strncmp(env_get(env, "INSTANCE_ID"), "iiii", 4) == 0);
        ASSERT_TRUE(strcmp(env_get(env, "TASKWATCH_EVENT_KEY"), env_get(env_b, "TASKWATCH_EVENT_KEY")) != 0);
        /* short values are whole */
        ASSERT_STR_EQ(env_get(env, "TASK_ID"), "T-1");
        strv_free(env);
        strv_free(env_b);
        free(msg);
        free(id);
        free(key_a);
        free(key_b);
}

TEST_MAIN(TEST_CASE(test_terminal_events_fire_their_trigger_and_transition),
          TEST_CASE(test_env_cuts_long_server_values),
          TEST_CASE(test_every_kind_has_a_decided_mapping),
          TEST_CASE(test_keys_name_the_transition),
          TEST_CASE(test_keys_escape_separators),
          TEST_CASE(test_keys_count_an_instance_failures),
          TEST_CASE(test_keys_need_a_task),
          TEST_CASE(test_env_has_exactly_the_event_fields),
          TEST_CASE(test_env_of_an_instance_event))
