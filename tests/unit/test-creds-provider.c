/* Tests for the provider: the chain's order and what check() says, static sources loaded at
 * start with their event, and a failed exchange reported with a retry. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds/provider.h"
#include "event-recorder.h"
#include "test.h"
#include "util/cleanup.h"

static char dir[] = "/tmp/test-creds-provider-XXXXXX";

static void put(const char *name, const char *text, mode_t mode) {
        char path[256];
        int fd;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
                (void) !write(fd, text, strlen(text));
                close(fd);
                (void) chmod(path, mode);
        }
}

/* A clean slate: no source configured in the environment. */
static void env_reset(void) {
        const char *names[] = { "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                                "ALIBABA_CLOUD_SECURITY_TOKEN", "CREDENTIALS_DIRECTORY",
                                "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                                "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_PROFILE" };
        char home[300];

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                unsetenv(names[i]);
        snprintf(home, sizeof home, "%s/home", dir);
        setenv("HOME", home, 1);
        setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true", 1);
}

static Config *config(const char *text) {
        Config *c = NULL;

        if (config_new(&c) < 0)
                return NULL;
        if (config_parse_text(c, text, strlen(text), "t.conf", NULL) < 0 ||
            config_finish(c, NULL) < 0)
                return config_free(c);
        return c;
}

typedef struct Fixture {
        sd_event *event;
        EventRecorder rec;
        Config *config;
        CredentialsProvider *p;
} Fixture;

static int fixture_init(Fixture *f, const char *text) {
        *f = (Fixture) {};
        f->config = config(text);
        if (!f->config || sd_event_new(&f->event) < 0 || event_sink_new(&f->rec.sink, NULL) < 0)
                return -ENOMEM;
        event_sink_set_journal(f->rec.sink, false);
        event_sink_set_capture(f->rec.sink, recorder_on_event, &f->rec);
        return credentials_provider_new(&f->p, f->event, f->rec.sink, f->config);
}

static void fixture_done(Fixture *f) {
        credentials_provider_free(f->p);
        recorder_clear(&f->rec);
        event_sink_free(f->rec.sink);
        config_free(f->config);
        sd_event_unref(f->event);
}

static void test_systemd_comes_before_the_environment(void) {
        Fixture f;
        const char *source = NULL;
        _cleanup_(freep) char *error = NULL;
        char creds[300];
        const Credentials *c;

        env_reset();
        snprintf(creds, sizeof creds, "%s/creds", dir);
        setenv("CREDENTIALS_DIRECTORY", creds, 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-s", 1);
        ASSERT_OK(fixture_init(&f, ""));
        ASSERT_OK(credentials_provider_check(f.p, &source, &error));
        ASSERT_STR_EQ(source, "systemd");
        ASSERT_OK(credentials_provider_start(f.p));
        c = credentials_provider_get(f.p);
        ASSERT_NOT_NULL(c);
        ASSERT_STR_EQ(c->access_key_id, "sd-id");
        ASSERT_STR_EQ(c->access_key_secret, "sd-s");
        ASSERT_NULL(c->security_token);
        ASSERT_NULL(credentials_provider_problem(f.p));
        ASSERT_INT_EQ(f.rec.n, 1);
        ASSERT_INT_EQ(f.rec.events[0].kind, EVENT_CREDENTIALS_LOADED);
        ASSERT_TRUE(strstr(f.rec.events[0].message, "AccessKeyId sd-id") != NULL);
        ASSERT_TRUE(strstr(f.rec.events[0].message, "sd-s") == NULL);
        fixture_done(&f);

        /* Source=environment skips the directory. */
        ASSERT_OK(fixture_init(&f, "[Credentials]\nSource=environment\n"));
        ASSERT_OK(credentials_provider_check(f.p, &source, &error));
        ASSERT_STR_EQ(source, "environment");
        ASSERT_OK(credentials_provider_start(f.p));
        ASSERT_STR_EQ(credentials_provider_get(f.p)->access_key_id, "env-id");
        fixture_done(&f);
}

/* The shipped unit's SetCredential= defaults are blank files when no key was delivered: that
 * is "nothing here", to skip quietly, not an error to show in every later message. */
static void test_blank_systemd_credentials_are_absent(void) {
        Fixture f;
        const char *source = NULL;
        _cleanup_(freep) char *error = NULL;
        char blank[300];

        env_reset();
        snprintf(blank, sizeof blank, "%s/blank", dir);
        (void) mkdir(blank, 0700);
        put("blank/access-key-id", "\n", 0400);
        put("blank/access-key-secret", "\n", 0400);
        setenv("CREDENTIALS_DIRECTORY", blank, 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-s", 1);
        ASSERT_OK(fixture_init(&f, ""));
        ASSERT_OK(credentials_provider_check(f.p, &source, &error));
        ASSERT_STR_EQ(source, "environment");
        ASSERT_OK(credentials_provider_start(f.p));
        ASSERT_STR_EQ(credentials_provider_get(f.p)->access_key_id, "env-id");
        fixture_done(&f);
}

static void test_config_keys_come_first_and_their_file_must_be_private(void) {
        Fixture f;
        const char *source = NULL;
        _cleanup_(freep) char *error = NULL, *text = NULL;

        env_reset();
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-s", 1);
        ASSERT_TRUE(asprintf(&text, "[Credentials]\nAccessKeyId=cfg-id\nAccessKeySecretFile=%s/secret\n", dir) > 0);

        put("secret", "cfg-s\n", 0600);
        ASSERT_OK(fixture_init(&f, text));
        ASSERT_OK(credentials_provider_check(f.p, &source, &error));
        ASSERT_STR_EQ(source, "config");
        ASSERT_OK(credentials_provider_start(f.p));
        ASSERT_STR_EQ(credentials_provider_get(f.p)->access_key_secret, "cfg-s");
        fixture_done(&f);

        /* A broken explicit key is an error, not a reason to fall back to the environment. */
        put("secret", "cfg-s\n", 0640);
        ASSERT_OK(fixture_init(&f, text));
        ASSERT_INT_EQ(credentials_provider_check(f.p, &source, &error), -EPERM);
        ASSERT_TRUE(strstr(error, "chmod 600") != NULL);
        ASSERT_TRUE(strstr(error, "/secret") != NULL);
        fixture_done(&f);
        put("secret", "cfg-s\n", 0600);
}

static void test_expiration_of_the_current_credentials(void) {
        Fixture f;
        const char *source = NULL;

        env_reset();
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-s", 1);
        ASSERT_OK(fixture_init(&f, "[Credentials]\nSource=environment\n"));
        ASSERT_U64_EQ(credentials_provider_expiration(f.p, &source), 0); /* none yet */
        ASSERT_NULL(source);
        ASSERT_OK(credentials_provider_start(f.p));
        ASSERT_U64_EQ(credentials_provider_expiration(f.p, &source), USEC_INFINITY);
        ASSERT_STR_EQ(source, "environment");
        fixture_done(&f);
}

static void test_nothing_configured(void) {
        Fixture f;
        _cleanup_(freep) char *error = NULL, *error2 = NULL;

        env_reset();
        ASSERT_OK(fixture_init(&f, ""));
        ASSERT_INT_EQ(credentials_provider_check(f.p, NULL, &error), -ENOKEY);
        ASSERT_TRUE(strstr(error, "ALIBABA_CLOUD_ACCESS_KEY_ID") != NULL);
        ASSERT_TRUE(strstr(error, "LoadCredential=") != NULL);
        fixture_done(&f);

        ASSERT_OK(fixture_init(&f, "[Credentials]\nSource=systemd\n"));
        ASSERT_INT_EQ(credentials_provider_check(f.p, NULL, &error2), -ENOKEY);
        ASSERT_TRUE(strncmp(error2, "Source=systemd: not configured here", 35) == 0);
        fixture_done(&f);
}

static void test_broken_profile_is_skipped_by_the_chain_but_named(void) {
        Fixture f;
        _cleanup_(freep) char *error = NULL, *error2 = NULL;

        env_reset();
        put("home/.aliyun/config.json", "{\"profiles\":[{\"name\":\"default\",\"mode\":\"External\"}]}", 0600);
        ASSERT_OK(fixture_init(&f, ""));
        ASSERT_INT_EQ(credentials_provider_check(f.p, NULL, &error), -ENOKEY);
        ASSERT_TRUE(strstr(error, "skipped cli-profile: ") != NULL);
        ASSERT_TRUE(strstr(error, "unsupported profile mode External") != NULL);
        fixture_done(&f);

        ASSERT_OK(fixture_init(&f, "[Credentials]\nSource=cli-profile\n"));
        ASSERT_INT_EQ(credentials_provider_check(f.p, NULL, &error2), -EINVAL);
        ASSERT_TRUE(strstr(error2, "unsupported profile mode External") != NULL);
        fixture_done(&f);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 1);
}

static void on_change(CredentialsProvider *p, void *userdata) {
        if (credentials_provider_failures(p) > 0)
                (void) sd_event_exit(userdata, 0);
}

static void test_unreachable_metadata_server_is_an_error_with_a_retry(void) {
        _cleanup_(sd_event_source_disable_unrefp) sd_event_source *timeout = NULL;
        const char *source = NULL, *problem;
        _cleanup_(freep) char *error = NULL;
        Fixture f;

        env_reset();
        unsetenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
        /* Port 1 on loopback: refused at once. */
        ASSERT_OK(fixture_init(&f, "[Credentials]\nMetadataURL=http://127.0.0.1:1\n"));
        ASSERT_OK(credentials_provider_check(f.p, &source, &error));
        ASSERT_STR_EQ(source, "ecs-ram-role");
        credentials_provider_set_on_change(f.p, on_change, f.event);
        ASSERT_OK(sd_event_add_time_relative(f.event, &timeout, CLOCK_MONOTONIC, 10 * USEC_PER_SEC, 0,
                                             on_timeout, NULL));
        ASSERT_OK(credentials_provider_start(f.p));
        ASSERT_TRUE(strstr(credentials_provider_problem(f.p), "obtaining credentials from ecs-ram-role") != NULL);
        ASSERT_INT_EQ(sd_event_loop(f.event), 0);

        ASSERT_NULL(credentials_provider_get(f.p));
        problem = credentials_provider_problem(f.p);
        ASSERT_TRUE(strstr(problem, "ecs-ram-role: metadata server http://127.0.0.1:1: PUT /latest/api/token") != NULL);
        ASSERT_TRUE(strstr(problem, "retrying in") != NULL);
        /* The delay rounded for a person (#16 item 11): "1.2s", not "1s 200ms". */
        const char *delay = strstr(problem, "retrying in ") + strlen("retrying in ");
        ASSERT_TRUE(strcspn(delay, " )") == strcspn(delay, ")"));
        ASSERT_INT_EQ(f.rec.n, 1);
        ASSERT_INT_EQ(f.rec.events[0].kind, EVENT_CREDENTIALS_ERROR);
        ASSERT_TRUE(strstr(f.rec.events[0].message, "polling is paused") != NULL);
        fixture_done(&f);
        setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true", 1);
}

static void test_matches_compares_every_setting(void) {
        Fixture f;
        Config *same = config("[Credentials]\nRoleName=R\n"), *other = config("[Credentials]\nRoleName=S\n");

        env_reset();
        ASSERT_OK(fixture_init(&f, "[Credentials]\nRoleName=R\n"));
        ASSERT_TRUE(credentials_provider_matches(f.p, same));
        ASSERT_TRUE(!credentials_provider_matches(f.p, other));
        fixture_done(&f);
        config_free(same);
        config_free(other);
}

static void test_setup(void) {
        char path[300];

        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/creds", dir);
        ASSERT_OK(mkdir(path, 0700));
        snprintf(path, sizeof path, "%s/home", dir);
        ASSERT_OK(mkdir(path, 0700));
        snprintf(path, sizeof path, "%s/home/.aliyun", dir);
        ASSERT_OK(mkdir(path, 0700));
        put("creds/access-key-id", "sd-id\n", 0400);
        put("creds/access-key-secret", "sd-s", 0400);
}

static void test_cleanup(void) {
        const char *files[] = { "creds/access-key-id", "creds/access-key-secret", "secret",
                                "home/.aliyun/config.json", "blank/access-key-id",
                                "blank/access-key-secret" };
        const char *dirs[] = { "creds", "blank", "home/.aliyun", "home", "" };
        char path[300];

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof path, "%s/%s", dir, files[i]);
                (void) unlink(path);
        }
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
                ASSERT_OK(rmdir(path));
        }
}

TEST_MAIN(TEST_CASE(test_setup),
          TEST_CASE(test_systemd_comes_before_the_environment),
          TEST_CASE(test_blank_systemd_credentials_are_absent),
          TEST_CASE(test_config_keys_come_first_and_their_file_must_be_private),
          TEST_CASE(test_expiration_of_the_current_credentials),
          TEST_CASE(test_nothing_configured),
          TEST_CASE(test_broken_profile_is_skipped_by_the_chain_but_named),
          TEST_CASE(test_unreachable_metadata_server_is_an_error_with_a_retry),
          TEST_CASE(test_matches_compares_every_setting),
          TEST_CASE(test_cleanup));
