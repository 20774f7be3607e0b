/* Tests for the INI reader and the Config: keys, errors with file:line, drop-ins, printing. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/ini.h"
#include "test.h"

/* "file:line" of c->tasks[i], or NULL. */
#define ORIGIN(c, i) config_task_origin((c), (i), (char[512]) {}, 512)

#define EXAMPLE_TASK "T-5faa48fb31b6b8078d000006"

static void diag_clearp(ConfigDiagnostics *d) {
        config_diagnostics_clear(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

/* A scratch directory, removed with everything in it when the variable goes out of scope. */
static void rm_rfp(char **dir) {
        if (*dir) {
                (void) nftw(*dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
                free(*dir);
        }
}

static char *make_tmpdir(void) {
        char *d = strdup("/tmp/test-config-XXXXXX");
        if (d && !mkdtemp(d)) {
                free(d);
                return NULL;
        }
        return d;
}

static int write_file(const char *dir, const char *name, const char *text) {
        _cleanup_(freep) char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        _cleanup_(fclosep) FILE *f = fopen(p, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return ferror(f) ? -EIO : 0;
}

static bool diag_has(const ConfigDiagnostics *d, const char *msg) {
        for (size_t i = 0; i < d->n_messages; i++)
                if (strcmp(d->messages[i], msg) == 0)
                        return true;
        fprintf(stderr, "# not found: \"%s\" among %zu:\n", msg, d->n_messages);
        for (size_t i = 0; i < d->n_messages; i++)
                fprintf(stderr, "#   \"%s\"\n", d->messages[i]);
        return false;
}

static bool startswith(const char *s, const char *prefix) {
        if (strncmp(s, prefix, strlen(prefix)) == 0)
                return true;
        fprintf(stderr, "# \"%s\" does not start with \"%s\"\n", s, prefix);
        return false;
}

static int feed(Config *c, const char *text, const char *filename) {
        return config_parse_text(c, text, strlen(text), filename, NULL);
}

/* Text through config_parse_text() as "test.conf" and then config_finish(). */
static int parse_with(const char *text, bool allow_plain_http, Config **ret, ConfigDiagnostics *d) {
        _cleanup_(config_freep) Config *c = NULL;
        int r, k;

        r = config_new(&c);
        if (r < 0)
                return r;
        c->allow_plain_http = allow_plain_http;
        r = config_parse_text(c, text, strlen(text), "test.conf", d);
        k = config_finish(c, d);
        if (r == 0)
                r = k;
        *ret = TAKE_PTR(c);
        return r;
}

static int parse(const char *text, Config **ret, ConfigDiagnostics *d) {
        return parse_with(text, false, ret, d);
}

/* Expects text to fail with exactly one diagnostic, msg. */
#define ASSERT_ONE_ERROR(text, msg)                                                           \
        do {                                                                                  \
                _cleanup_(diag_clearp) ConfigDiagnostics _d = {};                             \
                _cleanup_(config_freep) Config *_c = NULL;                                    \
                ASSERT_INT_EQ(parse(text, &_c, &_d), -EINVAL);                                \
                ASSERT_TRUE(diag_has(&_d, msg));                                              \
                ASSERT_INT_EQ(_d.n_messages, 1);                                              \
        } while (0)

static void test_defaults(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(config_new(&c));
        ASSERT_OK(config_finish(c, NULL));
        ASSERT_STR_EQ(c->region, "cn-hangzhou");
        ASSERT_STR_EQ(c->endpoint, "https://cs.cn-hangzhou.aliyuncs.com");
        ASSERT_TRUE(!c->endpoint_explicit);
        ASSERT_NULL(c->ca_file);
        ASSERT_U64_EQ(c->request_timeout, 10 * USEC_PER_SEC);
        ASSERT_INT_EQ(c->max_connections, 4);
        ASSERT_U64_EQ(c->min_interval, 5 * USEC_PER_SEC);
        ASSERT_U64_EQ(c->max_interval, 2 * USEC_PER_MINUTE);
        ASSERT_INT_EQ(c->n_tasks, 0);
        ASSERT_NOT_NULL(c->tasks);
        ASSERT_NULL(c->tasks[0]);
        ASSERT_NULL(ORIGIN(c, 0));
}

static void test_empty_text_is_valid(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("", &c, &d));
        ASSERT_OK(config_parse_text(c, NULL, 0, NULL, &d));
        ASSERT_INT_EQ(d.n_messages, 0);
        ASSERT_NULL(d.messages);
}

static void test_every_key(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(freep) char *text = NULL, *ca = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_OK(write_file(dir, "ca.pem", "-----BEGIN CERTIFICATE-----\n"));
        ASSERT_TRUE(asprintf(&ca, "%s/ca.pem", dir) > 0);
        ASSERT_TRUE(asprintf(&text,
                             "[API]\n"
                             "Region=eu-central-1\n"
                             "Endpoint=https://cs.example.test:8443\n"
                             "CAFile=%s\n"
                             "RequestTimeout=30s\n"
                             "MaxConnections=16\n"
                             "[Poll]\n"
                             "MinInterval=500ms\n"
                             "MaxInterval=1h\n"
                             "[Tasks]\n"
                             "Task=" EXAMPLE_TASK "\n",
                             ca) > 0);
        ASSERT_OK(parse(text, &c, &d));
        ASSERT_INT_EQ(d.n_messages, 0);
        ASSERT_STR_EQ(c->region, "eu-central-1");
        ASSERT_STR_EQ(c->endpoint, "https://cs.example.test:8443");
        ASSERT_TRUE(c->endpoint_explicit);
        ASSERT_STR_EQ(c->ca_file, ca);
        ASSERT_STR_EQ(c->ca_file_origin, "test.conf:4");
        ASSERT_U64_EQ(c->request_timeout, 30 * USEC_PER_SEC);
        ASSERT_INT_EQ(c->max_connections, 16);
        ASSERT_U64_EQ(c->min_interval, 500 * USEC_PER_MSEC);
        ASSERT_U64_EQ(c->max_interval, USEC_PER_HOUR);
        ASSERT_INT_EQ(c->n_tasks, 1);
        ASSERT_STR_EQ(c->tasks[0], EXAMPLE_TASK);
        ASSERT_STR_EQ(ORIGIN(c, 0), "test.conf:11");
}

static void test_region_derives_endpoint(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("[API]\nRegion=ap-southeast-1\n", &c, NULL));
        ASSERT_STR_EQ(c->endpoint, "https://cs.ap-southeast-1.aliyuncs.com");
        ASSERT_TRUE(!c->endpoint_explicit);

        /* An empty Endpoint= goes back to deriving, even after an explicit one. */
        ASSERT_OK(feed(c, "[API]\nEndpoint=https://a.test\nEndpoint=\nRegion=us-west-1", "x"));
        ASSERT_OK(config_finish(c, NULL));
        ASSERT_STR_EQ(c->endpoint, "https://cs.us-west-1.aliyuncs.com");
        ASSERT_TRUE(!c->endpoint_explicit);
}

/* The official SDK's endpoint map: some regions are served by cs.aliyuncs.com, whatever the
 * network; the others by cs.<region> or, with Network=vpc, cs-vpc.<region>. */
static void test_region_endpoint_as_the_sdk_derives_it(void) {
        static const struct {
                const char *region, *network, *expected;
        } cases[] = {
                { "cn-beijing", "public", "https://cs.cn-beijing.aliyuncs.com" },
                { "cn-beijing", "vpc", "https://cs-vpc.cn-beijing.aliyuncs.com" },
                { "cn-wuhan", "public", "https://cs.aliyuncs.com" },
                { "cn-wuhan", "vpc", "https://cs.aliyuncs.com" },
                { "ap-northeast-2-pop", "public", "https://cs.aliyuncs.com" },
                { "rus-west-1-pop", "public", "https://cs.aliyuncs.com" },
                { "cn-hangzhou-internal-test-2", "public", "https://cs.aliyuncs.com" },
                /* Close to a mapped name is not the name. */
                { "cn-wuhan-1", "public", "https://cs.cn-wuhan-1.aliyuncs.com" },
                { "cn-shanghai", "public", "https://cs.cn-shanghai.aliyuncs.com" },
                { "eu-west-1", "vpc", "https://cs-vpc.eu-west-1.aliyuncs.com" },
                { "cn-hangzhou", "", "https://cs.cn-hangzhou.aliyuncs.com" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(config_freep) Config *c = NULL;

                ASSERT_TRUE(asprintf(&text, "[API]\nRegion=%s\nNetwork=%s\n", cases[i].region,
                                     cases[i].network) > 0);
                ASSERT_OK(parse(text, &c, NULL));
                ASSERT_STR_EQ(c->endpoint, cases[i].expected);
                ASSERT_TRUE(!c->endpoint_explicit);
        }
        ASSERT_TRUE(config_region_is_central("cn-zhangbei"));
        ASSERT_TRUE(!config_region_is_central("cn-zhangbei-1"));
        ASSERT_TRUE(!config_region_is_central(NULL));
}

static void test_network_key(void) {
        _cleanup_(config_freep) Config *c = NULL, *e = NULL;
        char *ep = NULL;

        ASSERT_OK(parse("", &c, NULL));
        ASSERT_INT_EQ(c->network, CONFIG_NETWORK_PUBLIC);
        ASSERT_STR_EQ(config_network_to_string(CONFIG_NETWORK_VPC), "vpc");
        ASSERT_INT_EQ(config_network_from_string("public"), CONFIG_NETWORK_PUBLIC);
        ASSERT_INT_EQ(config_network_from_string("VPC"), -EINVAL);

        /* An empty value goes back to public. */
        ASSERT_OK(feed(c, "[API]\nNetwork=vpc\nNetwork=\n", "x"));
        ASSERT_OK(config_finish(c, NULL));
        ASSERT_INT_EQ(c->network, CONFIG_NETWORK_PUBLIC);
        ASSERT_STR_EQ(c->endpoint, "https://cs.cn-hangzhou.aliyuncs.com");

        /* An explicit Endpoint= is used as written: Network= only shapes the derived one. */
        ASSERT_OK(parse("[API]\nNetwork=vpc\nEndpoint=https://cs.example.test\n", &e, NULL));
        ASSERT_STR_EQ(e->endpoint, "https://cs.example.test");
        ASSERT_INT_EQ(e->network, CONFIG_NETWORK_VPC);

        ASSERT_ONE_ERROR("[API]\nNetwork=internal\n",
                         "test.conf:2: Network=internal: unknown network (expected public or vpc)");

        ASSERT_INT_EQ(config_endpoint_for_region("", CONFIG_NETWORK_PUBLIC, &ep), -EINVAL);
        ASSERT_INT_EQ(config_endpoint_for_region("cn-beijing", _CONFIG_NETWORK_MAX, &ep), -EINVAL);
        ASSERT_TRUE(!ep);
}

static void test_empty_assignments_restore_defaults(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("[API]\nRegion=eu-west-1\nCAFile=/nonexistent\nRequestTimeout=1min\n"
                        "MaxConnections=9\n"
                        "[Poll]\nMinInterval=1s\nMaxInterval=3s\n"
                        "[API]\nRegion=\nCAFile=\nRequestTimeout=\nMaxConnections=\n"
                        "[Poll]\nMinInterval=\nMaxInterval=\n",
                        &c, NULL));
        ASSERT_STR_EQ(c->region, "cn-hangzhou");
        ASSERT_NULL(c->ca_file);
        ASSERT_NULL(c->ca_file_origin);
        ASSERT_U64_EQ(c->request_timeout, 10 * USEC_PER_SEC);
        ASSERT_INT_EQ(c->max_connections, 4);
        ASSERT_U64_EQ(c->min_interval, 5 * USEC_PER_SEC);
        ASSERT_U64_EQ(c->max_interval, 2 * USEC_PER_MINUTE);
        ASSERT_NULL(c->min_interval_origin);
        ASSERT_NULL(c->max_interval_origin);
}

static void test_comments_whitespace_and_line_endings(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("\xef\xbb\xbf# a comment\r\n"
                        "; another\r\n"
                        "   \t\r\n"
                        "  [API]  \r\n"
                        "\t Region \t=\t eu-west-1 \t\r\n"
                        "  # Region=bad_value\n"
                        "[Tasks]\n"
                        "Task = T-1  T-2\t\tT-3  \n"
                        "Task=T-4", /* no final newline */
                        &c, &d));
        ASSERT_INT_EQ(d.n_messages, 0);
        ASSERT_STR_EQ(c->region, "eu-west-1");
        ASSERT_INT_EQ(c->n_tasks, 4);
        ASSERT_STR_EQ(c->tasks[2], "T-3");
        ASSERT_STR_EQ(c->tasks[3], "T-4");
        ASSERT_STR_EQ(ORIGIN(c, 3), "test.conf:9");
}

static void test_tasks_accumulate_without_duplicates(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("[Tasks]\nTask=T-b\nTask=T-a T-b\n[Poll]\n[Tasks]\nTask=T-c T-a\n", &c,
                        NULL));
        ASSERT_INT_EQ(c->n_tasks, 3);
        ASSERT_STR_EQ(c->tasks[0], "T-b");
        ASSERT_STR_EQ(c->tasks[1], "T-a");
        ASSERT_STR_EQ(c->tasks[2], "T-c");
        ASSERT_NULL(c->tasks[3]);
        /* The first mention is the origin. */
        ASSERT_STR_EQ(ORIGIN(c, 0), "test.conf:2");
        ASSERT_STR_EQ(ORIGIN(c, 1), "test.conf:3");
        ASSERT_STR_EQ(ORIGIN(c, 2), "test.conf:6");
        ASSERT_NULL(ORIGIN(c, 3));
}

static void test_tasks_reset(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("[Tasks]\nTask=T-a T-b\nTask=\nTask=T-b T-c\n", &c, NULL));
        ASSERT_INT_EQ(c->n_tasks, 2);
        ASSERT_STR_EQ(c->tasks[0], "T-b");
        ASSERT_STR_EQ(ORIGIN(c, 0), "test.conf:4");
        ASSERT_STR_EQ(c->tasks[1], "T-c");

        /* A reset in a later text clears what an earlier one added. */
        ASSERT_OK(feed(c, "[Tasks]\nTask=\n", "drop.conf"));
        ASSERT_INT_EQ(c->n_tasks, 0);
        ASSERT_NULL(c->tasks[0]);
        ASSERT_NULL(ORIGIN(c, 0));
}

static void test_many_tasks(void) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(freep) char *text = malloc(5000 * 12 + 64);
        char *p;

        ASSERT_NOT_NULL(text);
        p = stpcpy(text, "[Tasks]\n");
        for (int i = 0; i < 5000; i++)
                p += sprintf(p, "Task=T-%d\n", i);
        p += sprintf(p, "Task=T-0 T-4999 T-2500\n");
        ASSERT_OK(parse(text, &c, NULL));
        ASSERT_INT_EQ(c->n_tasks, 5000);
        ASSERT_STR_EQ(c->tasks[4999], "T-4999");
        ASSERT_STR_EQ(ORIGIN(c, 4999), "test.conf:5001");
        ASSERT_NULL(c->tasks[5000]);

        /* The duplicate index is rebuilt for each text. */
        ASSERT_OK(feed(c, "[Tasks]\nTask=T-77 T-new\n", "b"));
        ASSERT_INT_EQ(c->n_tasks, 5001);
        ASSERT_STR_EQ(c->tasks[5000], "T-new");
}

static void test_task_id_is_valid(void) {
        char id[130];

        ASSERT_TRUE(task_id_is_valid(EXAMPLE_TASK));
        ASSERT_TRUE(task_id_is_valid("T-9a_b.c-D"));
        /* Issue #16: "not", "a" and cluster ids used to pass, and only failed as 404. */
        ASSERT_TRUE(!task_id_is_valid("a"));
        ASSERT_TRUE(!task_id_is_valid("not"));
        ASSERT_TRUE(!task_id_is_valid("9a_b.c-D"));
        ASSERT_TRUE(!task_id_is_valid("T-"));
        ASSERT_INT_EQ(task_id_check("not"), TASK_ID_NO_PREFIX);
        ASSERT_INT_EQ(task_id_check("c82e6987e2bd94e1a8b3e2f4c5d6a7b8e"), TASK_ID_CLUSTER_ID);
        ASSERT_INT_EQ(task_id_check("c82e6987e2bd94e1a8b3e2f4c5d6a7b8"), TASK_ID_NO_PREFIX);
        ASSERT_INT_EQ(task_id_check("id!"), TASK_ID_MALFORMED);
        ASSERT_TRUE(!task_id_is_valid(""));
        ASSERT_TRUE(!task_id_is_valid("-T"));
        ASSERT_TRUE(!task_id_is_valid(".T"));
        ASSERT_TRUE(!task_id_is_valid("T/1"));
        ASSERT_TRUE(!task_id_is_valid("T%2F"));
        ASSERT_TRUE(!task_id_is_valid("T 1"));
        ASSERT_TRUE(!task_id_is_valid("T\xc3\xa9"));
        memset(id, 'a', 128);
        id[0] = 'T';
        id[1] = '-';
        id[128] = '\0';
        ASSERT_TRUE(task_id_is_valid(id));
        id[128] = 'a';
        id[129] = '\0';
        ASSERT_TRUE(!task_id_is_valid(id));
}

static void test_invalid_task_ids(void) {
        ASSERT_ONE_ERROR("[Tasks]\nTask=T/1\n",
                         "test.conf:2: Task=T/1: not a task id: a task id is T- and then up to 126 "
                         "letters, digits, '.', '_' or '-', like " EXAMPLE_TASK);
        /* Issue #16, item 7: a cluster id is named as one, a word is told about the prefix. */
        ASSERT_ONE_ERROR("[Tasks]\nTask=c82e6987e2bd94e1a8b3e2f4c5d6a7b8e\n",
                         "test.conf:2: Task=c82e6987e2bd94e1a8b3e2f4c5d6a7b8e: not a task id: it looks "
                         "like a cluster id; task ids start with T-, like " EXAMPLE_TASK);
        ASSERT_ONE_ERROR("[Tasks]\nTask=not\n",
                         "test.conf:2: Task=not: not a task id: task ids start with T-, like " EXAMPLE_TASK);
        /* ... and a line of words is one mistake, every word named, not only "id!". */
        ASSERT_ONE_ERROR("[Tasks]\nTask=not a task id!\n",
                         "test.conf:2: Task=not a task id!: \"not\", \"a\", \"task\", \"id!\" are not "
                         "task ids (a task id is T- and then up to 126 letters, digits, '.', '_' "
                         "or '-', like " EXAMPLE_TASK ")");

        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;
        ASSERT_INT_EQ(parse("[Tasks]\nTask=T-1 ../x T-2 -y\n", &c, &d), -EINVAL);
        /* One message for the line (it used to be one per bad word), naming them all. */
        ASSERT_INT_EQ(d.n_messages, 1);
        ASSERT_TRUE(diag_has(&d, "test.conf:2: Task=T-1 ../x T-2 -y: \"../x\", \"-y\" are not task "
                                 "ids (a task id is T- and then up to 126 letters, digits, '.', '_' "
                                 "or '-', like " EXAMPLE_TASK ")"));
        /* The good ones on the line are kept. */
        ASSERT_INT_EQ(c->n_tasks, 2);
        ASSERT_STR_EQ(c->tasks[1], "T-2");
}

static void test_syntax_errors(void) {
        ASSERT_ONE_ERROR("Region=x\n",
                         "test.conf:1: Region=x: assignment before any [Section] header");
        ASSERT_ONE_ERROR("# c\n[API\nRegion=x\n",
                         "test.conf:2: [API: unterminated section header, expected [Section]");
        ASSERT_ONE_ERROR("[API] x\n",
                         "test.conf:1: [API] x: unexpected text after the section header");
        ASSERT_ONE_ERROR("[]\n", "test.conf:1: []: empty section name");
        ASSERT_ONE_ERROR("[A[PI]\n", "test.conf:1: [A[PI]: '[' inside a section name");
        ASSERT_ONE_ERROR("[API]\n\njust words\n",
                         "test.conf:3: just words: expected a [Section] header, Key=Value or "
                         "a comment");
        ASSERT_ONE_ERROR("[API]\n = x\n", "test.conf:2: = x: assignment without a key name");
        /* Control characters are quoted, not passed to a terminal or the journal. */
        ASSERT_ONE_ERROR("[API]\n\x1b[2J\n",
                         "test.conf:2: \\x1b[2J: expected a [Section] header, Key=Value or a "
                         "comment");
}

static void test_nul_byte_is_an_error(void) {
        static const char text[] = "[API]\nRegion=eu\0west\nMaxConnections=2\n";
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(config_new(&c));
        ASSERT_INT_EQ(config_parse_text(c, text, sizeof(text) - 1, "n.conf", &d), -EINVAL);
        ASSERT_INT_EQ(d.n_messages, 1);
        ASSERT_TRUE(diag_has(&d, "n.conf:2: line contains a NUL byte"));
        ASSERT_STR_EQ(c->region, "cn-hangzhou");
        ASSERT_INT_EQ(c->max_connections, 2);
}

static void test_unknown_sections_and_keys(void) {
        /* One error for the section, none for the keys under it. */
        ASSERT_ONE_ERROR("[Foo]\nA=1\nB=2\n",
                         "test.conf:1: [Foo]: unknown section (expected [API], [Poll], "
                         "[Tasks], [Credentials], [Hooks] or [Metrics])");
        /* Issue #16: a slip gets a "did you mean" (it used to be the bare "unknown key"). */
        ASSERT_ONE_ERROR("[API]\nRegoin=eu\n",
                         "test.conf:2: Regoin=eu: unknown key in section [API]; did you mean Region=?");
        ASSERT_ONE_ERROR("[Hooks]\nOnInstanceFaild=/bin/true\n",
                         "test.conf:2: OnInstanceFaild=/bin/true: unknown key in section [Hooks]; "
                         "did you mean OnInstanceFailed=?");
        ASSERT_ONE_ERROR("[Tasks]\nRegion=eu\n",
                         "test.conf:2: Region=eu: unknown key in section [Tasks]; did you mean "
                         "Region= of [API]?");
        ASSERT_ONE_ERROR("[API]\nColour=1\n", "test.conf:2: Colour=1: unknown key in section [API]");
        /* Names are case-sensitive, as in systemd: the suggestion shows the case. */
        ASSERT_ONE_ERROR("[api]\n", "test.conf:1: [api]: unknown section; did you mean [API]?");
        ASSERT_ONE_ERROR("[API]\nregion=eu\n",
                         "test.conf:2: region=eu: unknown key in section [API]; did you mean Region=?");
        /* A key of one section is unknown in another. */
        ASSERT_ONE_ERROR("[Poll]\nTask=T-1\n",
                         "test.conf:2: Task=T-1: unknown key in section [Poll]; did you mean Task= of [Tasks]?");
}

static void test_bad_values(void) {
        ASSERT_ONE_ERROR("[Poll]\n\n\n\n\n\nMinInterval=5x\n",
                         "test.conf:7: MinInterval=5x: not a time span (use e.g. 500ms, 10s, "
                         "2min)");
        ASSERT_ONE_ERROR("[Poll]\nMinInterval=0\n",
                         "test.conf:2: MinInterval=0: must be greater than 0");
        ASSERT_ONE_ERROR("[Poll]\nMaxInterval=infinity\n",
                         "test.conf:2: MaxInterval=infinity: must be finite");
        ASSERT_ONE_ERROR("[Poll]\nMaxInterval=99999999999999999999s\n",
                         "test.conf:2: MaxInterval=99999999999999999999s: time span too large");
        ASSERT_ONE_ERROR("[API]\nRequestTimeout=0s\n",
                         "test.conf:2: RequestTimeout=0s: must be greater than 0");
        ASSERT_ONE_ERROR("[API]\nRequestTimeout=5min 1s\n",
                         "test.conf:2: RequestTimeout=5min 1s: must be at most 5min");
        ASSERT_ONE_ERROR("[API]\nMaxConnections=0\n",
                         "test.conf:2: MaxConnections=0: out of range (1..64)");
        ASSERT_ONE_ERROR("[API]\nMaxConnections=65\n",
                         "test.conf:2: MaxConnections=65: out of range (1..64)");
        ASSERT_ONE_ERROR("[API]\nMaxConnections=99999999999999999999999\n",
                         "test.conf:2: MaxConnections=99999999999999999999999: out of range "
                         "(1..64)");
        ASSERT_ONE_ERROR("[API]\nMaxConnections=+4\n",
                         "test.conf:2: MaxConnections=+4: not a number (1..64)");
        ASSERT_ONE_ERROR("[API]\nMaxConnections=0x4\n",
                         "test.conf:2: MaxConnections=0x4: not a number (1..64)");
        ASSERT_ONE_ERROR("[API]\nRegion=cn_hangzhou\n",
                         "test.conf:2: Region=cn_hangzhou: not a region id (lowercase letters, "
                         "digits and '-', e.g. cn-hangzhou)");
        ASSERT_ONE_ERROR("[API]\nRegion=CN-Hangzhou\n",
                         "test.conf:2: Region=CN-Hangzhou: not a region id (lowercase letters, "
                         "digits and '-', e.g. cn-hangzhou)");
        ASSERT_ONE_ERROR("[API]\nCAFile=certs/ca.pem\n",
                         "test.conf:2: CAFile=certs/ca.pem: not an absolute path");

        /* Edges that are fine. */
        _cleanup_(config_freep) Config *c = NULL;
        ASSERT_OK(parse("[API]\nRequestTimeout=5min\nMaxConnections=64\nMaxConnections=1\n"
                        "[Poll]\nMinInterval=1us\n",
                        &c, NULL));
        ASSERT_U64_EQ(c->request_timeout, 5 * USEC_PER_MINUTE);
        ASSERT_INT_EQ(c->max_connections, 1);
        ASSERT_U64_EQ(c->min_interval, 1);
}

static void test_bad_value_keeps_previous(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_INT_EQ(parse("[Poll]\nMinInterval=7s\nMinInterval=bogus\n", &c, &d), -EINVAL);
        ASSERT_U64_EQ(c->min_interval, 7 * USEC_PER_SEC);
        ASSERT_STR_EQ(c->min_interval_origin, "test.conf:2");
}

static void test_all_errors_reported(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_INT_EQ(parse("Early=1\n"
                            "[API]\n"
                            "Region=Bad!\n"
                            "MaxConnections=100\n"
                            "Nope=1\n"
                            "[Poll]\n"
                            "MinInterval=10min\n" /* > default MaxInterval: found by finish */
                            "garbage\n"
                            "[Tasks]\n"
                            "Task=T-ok T/bad\n",
                            &c, &d),
                      -EINVAL);
        ASSERT_INT_EQ(d.n_messages, 7);
        /* In file order, the cross check last. */
        ASSERT_STR_EQ(d.messages[0], "test.conf:1: Early=1: assignment before any [Section] header");
        ASSERT_TRUE(startswith(d.messages[1], "test.conf:3: Region=Bad!: "));
        ASSERT_TRUE(startswith(d.messages[2], "test.conf:4: MaxConnections=100: "));
        ASSERT_STR_EQ(d.messages[3], "test.conf:5: Nope=1: unknown key in section [API]");
        ASSERT_TRUE(startswith(d.messages[4], "test.conf:8: garbage: "));
        ASSERT_TRUE(startswith(d.messages[5], "test.conf:10: Task=T-ok T/bad: "));
        ASSERT_STR_EQ(d.messages[6], "test.conf:7: MinInterval=10min is longer than "
                                     "MaxInterval=2min (the default)");
        ASSERT_NULL(d.messages[7]);
}

static void test_min_interval_above_max_interval(void) {
        ASSERT_ONE_ERROR("[Poll]\nMaxInterval=1s\n",
                         "test.conf:2: MaxInterval=1s is shorter than MinInterval=5s (the "
                         "default)");
        ASSERT_ONE_ERROR("[Poll]\nMinInterval=1min\nMaxInterval=30s\n",
                         "test.conf:3: MaxInterval=30s is shorter than MinInterval=1min (set at "
                         "test.conf:2)");

        _cleanup_(config_freep) Config *c = NULL;
        ASSERT_OK(parse("[Poll]\nMinInterval=30s\nMaxInterval=30s\n", &c, NULL));
}

static void test_endpoint_variants(void) {
        static const struct {
                const char *value, *expected;
        } good[] = {
                { "https://cs.example.test", "https://cs.example.test" },
                { "https://cs.example.test/", "https://cs.example.test" },
                { "https://127.0.0.1:8443", "https://127.0.0.1:8443" },
                { "https://127.0.0.1:8443/", "https://127.0.0.1:8443" },
                { "HTTPS://Host.Example", "https://Host.Example" },
                { "https://[::1]:443", "https://[::1]:443" },
                { "https://h:65535", "https://h:65535" },
        };
        static const struct {
                const char *value, *why;
        } bad[] = {
                { "https://h/path", "a path is not allowed, give only https://host[:port]" },
                { "https://h//", "a path is not allowed, give only https://host[:port]" },
                { "https://h:443/v1/", "a path is not allowed, give only https://host[:port]" },
                { "https://h?x=1", "a query is not allowed, give only https://host[:port]" },
                { "https://h#f", "a fragment is not allowed, give only https://host[:port]" },
                { "https://user:pw@h", "user credentials are not allowed in the URL" },
                { "https://user@h", "user credentials are not allowed in the URL" },
                { "http://127.0.0.1:8080", "plain http is not allowed, use https://" },
                { "ftp://h", "not a URL of the form https://host[:port]" },
                { "cs.aliyuncs.com", "not a URL of the form https://host[:port]" },
                { "https://", "no host name (expected https://host[:port])" },
                { "https:///", "no host name (expected https://host[:port])" },
                { "https://:443", "no host name (expected https://host[:port])" },
                { "https://h:0", "invalid port (expected 1..65535)" },
                { "https://h:65536", "invalid port (expected 1..65535)" },
                { "https://h:", "invalid port (expected 1..65535)" },
                { "https://h:12x", "invalid character in the host name or port" },
                { "https://h x", "invalid character in the host name or port" },
                { "https://h_x", "invalid character in the host name or port" },
                { "https://[::1", "invalid IPv6 address" },
                { "https://[]", "invalid IPv6 address" },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(diag_clearp) ConfigDiagnostics d = {};
                _cleanup_(config_freep) Config *c = NULL;

                ASSERT_TRUE(asprintf(&text, "[API]\nEndpoint=%s\n", good[i].value) > 0);
                ASSERT_OK(parse(text, &c, &d));
                ASSERT_STR_EQ(c->endpoint, good[i].expected);
                ASSERT_TRUE(c->endpoint_explicit);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(freep) char *text = NULL, *msg = NULL;
                _cleanup_(diag_clearp) ConfigDiagnostics d = {};
                _cleanup_(config_freep) Config *c = NULL;

                ASSERT_TRUE(asprintf(&text, "[API]\nEndpoint=%s\n", bad[i].value) > 0);
                ASSERT_TRUE(asprintf(&msg, "test.conf:2: Endpoint=%s: %s", bad[i].value,
                                     bad[i].why) > 0);
                ASSERT_INT_EQ(parse(text, &c, &d), -EINVAL);
                ASSERT_INT_EQ(d.n_messages, 1);
                ASSERT_TRUE(diag_has(&d, msg));
                /* A rejected Endpoint= leaves the derived one. */
                ASSERT_STR_EQ(c->endpoint, "https://cs.cn-hangzhou.aliyuncs.com");
        }
}

static void test_plain_http_only_with_test_hook(void) {
        _cleanup_(config_freep) Config *c = NULL, *c2 = NULL, *c3 = NULL;
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};

        /* The programs read the variable once; only "1" allows. */
        ASSERT_OK(setenv("TASKWATCHD_ALLOW_PLAIN_HTTP", "yes", 1));
        ASSERT_TRUE(!config_allow_plain_http_from_env());
        ASSERT_OK(unsetenv("TASKWATCHD_ALLOW_PLAIN_HTTP"));
        ASSERT_TRUE(!config_allow_plain_http_from_env());
        ASSERT_INT_EQ(parse_with("[API]\nEndpoint=http://127.0.0.1:8080/\n", false, &c2, &d), -EINVAL);
        ASSERT_OK(setenv("TASKWATCHD_ALLOW_PLAIN_HTTP", "1", 1));
        ASSERT_TRUE(config_allow_plain_http_from_env());
        ASSERT_OK(unsetenv("TASKWATCHD_ALLOW_PLAIN_HTTP"));
        /* Parsing itself reads no environment: the option decides. */
        ASSERT_OK(setenv("TASKWATCHD_ALLOW_PLAIN_HTTP", "1", 1));
        ASSERT_INT_EQ(parse_with("[API]\nEndpoint=http://127.0.0.1:8080/\n", false, &c3, NULL), -EINVAL);
        ASSERT_OK(unsetenv("TASKWATCHD_ALLOW_PLAIN_HTTP"));
        ASSERT_OK(parse_with("[API]\nEndpoint=http://127.0.0.1:8080/\n", true, &c, NULL));
        ASSERT_STR_EQ(c->endpoint, "http://127.0.0.1:8080");
}

static void test_ca_file_checked_by_finish(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(freep) char *text = NULL, *msg = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_ONE_ERROR("[API]\n\nCAFile=/nonexistent/ca.pem\n",
                         "test.conf:3: CAFile=/nonexistent/ca.pem: No such file or directory");

        ASSERT_TRUE(asprintf(&text, "[API]\nCAFile=%s\n", dir) > 0);
        ASSERT_TRUE(asprintf(&msg, "test.conf:2: CAFile=%s: not a regular file", dir) > 0);
        ASSERT_ONE_ERROR(text, msg);

        /* A FIFO is refused without being opened, which would block. */
        free(text);
        free(msg);
        ASSERT_TRUE(asprintf(&text, "%s/fifo", dir) > 0);
        ASSERT_INT_EQ(mkfifo(text, 0600), 0);
        free(text);
        ASSERT_TRUE(asprintf(&text, "[API]\nCAFile=%s/fifo\n", dir) > 0);
        ASSERT_TRUE(asprintf(&msg, "test.conf:2: CAFile=%s/fifo: not a regular file", dir) > 0);
        ASSERT_ONE_ERROR(text, msg);

        /* Parsing alone does not touch the file system. */
        _cleanup_(config_freep) Config *c = NULL;
        ASSERT_OK(config_new(&c));
        ASSERT_OK(feed(c, "[API]\nCAFile=/nonexistent\n", "t"));
}

static void test_print_round_trip(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(config_freep) Config *c = NULL, *back = NULL;
        _cleanup_(freep) char *text = NULL, *expected = NULL, *out = NULL, *out2 = NULL;
        size_t size = 0, size2 = 0;
        FILE *f;

        ASSERT_NOT_NULL(dir);
        ASSERT_OK(write_file(dir, "ca.pem", ""));
        ASSERT_TRUE(asprintf(&text,
                             "[API]\nRegion=eu-west-1\nCAFile=%s/ca.pem\n"
                             "RequestTimeout=1min 2s 3ms 4us\nMaxConnections=7\n"
                             "MaxRequestsPerSecond=2.5\n"
                             "[Poll]\nMinInterval=1.5s\nMaxInterval=1h 30min\nTaskTimeout=3h\n"
                             "[Tasks]\nTask=T-2 T-1\nTask=" EXAMPLE_TASK "\n",
                             dir) > 0);
        ASSERT_OK(parse(text, &c, NULL));

        f = open_memstream(&out, &size);
        ASSERT_NOT_NULL(f);
        config_print(c, f);
        ASSERT_INT_EQ(fclose(f), 0);
        /* Spans format_timespan() would shorten are printed exactly, in microseconds. */
        ASSERT_TRUE(asprintf(&expected,
                             "[API]\n"
                             "Region=eu-west-1\n"
                             "Network=public\n"
                             "Endpoint=https://cs.eu-west-1.aliyuncs.com\n"
                             "CAFile=%s/ca.pem\n"
                             "RequestTimeout=62003004us\n"
                             "MaxConnections=7\n"
                             "MaxRequestsPerSecond=2.5\n"
                             "\n"
                             "[Poll]\n"
                             "MinInterval=1s 500ms\n"
                             "MaxInterval=1h 30min\n"
                             "TaskTimeout=3h\n"
                             "\n"
                             "[Tasks]\n"
                             "Task=T-2\n"
                             "Task=T-1\n"
                             "Task=" EXAMPLE_TASK "\n"
                             "\n"
                             "[Credentials]\n"
                             "Source=auto\n"
                             "AccessKeyId=\n"
                             "AccessKeySecretFile=\n"
                             "SecurityTokenFile=\n"
                             "RoleName=\n"
                             "MetadataURL=\n"
                             "STSEndpoint=\n"
                             "\n"
                             "[Metrics]\n"
                             "Listen=\n"
                             "\n"
                             "[Hooks]\n"
                             "HookTimeout=5min\n"
                             "MaxConcurrentHooks=4\n",
                             dir) > 0);
        ASSERT_STR_EQ(out, expected);

        ASSERT_OK(config_new(&back));
        ASSERT_OK(config_parse_text(back, out, size, "printed", NULL));
        ASSERT_STR_EQ(back->region, c->region);
        ASSERT_STR_EQ(back->endpoint, c->endpoint);
        ASSERT_INT_EQ(back->network, c->network);
        ASSERT_STR_EQ(back->ca_file, c->ca_file);
        ASSERT_U64_EQ(back->request_timeout, c->request_timeout);
        ASSERT_INT_EQ(back->max_connections, c->max_connections);
        ASSERT_U64_EQ(back->min_interval, c->min_interval);
        ASSERT_U64_EQ(back->max_interval, c->max_interval);
        ASSERT_INT_EQ(back->n_tasks, c->n_tasks);
        for (size_t i = 0; i < c->n_tasks; i++)
                ASSERT_STR_EQ(back->tasks[i], c->tasks[i]);

        /* Printing again gives the same text. */
        f = open_memstream(&out2, &size2);
        ASSERT_NOT_NULL(f);
        config_print(back, f);
        ASSERT_INT_EQ(fclose(f), 0);
        ASSERT_STR_EQ(out2, out);
}

static void test_rate_and_task_timeout_keys(void) {
        static const char *const bad[] = {
                "MaxRequestsPerSecond=0", "MaxRequestsPerSecond=-1", "MaxRequestsPerSecond=1e3",
                "MaxRequestsPerSecond=inf", "MaxRequestsPerSecond=2.", "MaxRequestsPerSecond=.5",
                "MaxRequestsPerSecond=100001",
        };
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_OK(parse("[API]\nMaxRequestsPerSecond=0.5\n[Poll]\nTaskTimeout=90min\n", &c, NULL));
        ASSERT_TRUE(c->max_requests_per_second == 0.5);
        ASSERT_U64_EQ(c->task_timeout, 90 * USEC_PER_MINUTE);
        config_free(TAKE_PTR(c));
        ASSERT_OK(parse("[API]\nMaxRequestsPerSecond=7\nMaxRequestsPerSecond=\n[Poll]\nTaskTimeout=1h\nTaskTimeout=\n", &c, NULL));
        ASSERT_TRUE(c->max_requests_per_second == 50);
        ASSERT_U64_EQ(c->task_timeout, USEC_INFINITY);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(config_freep) Config *b = NULL;
                ASSERT_TRUE(asprintf(&text, "[API]\n%s\n", bad[i]) > 0);
                ASSERT_INT_EQ(parse(text, &b, NULL), -EINVAL);
        }
}

static void test_metrics_listen(void) {
        _cleanup_(config_freep) Config *c = NULL, *off = NULL;

        ASSERT_OK(parse("[Metrics]\nListen=[::1]:9732\n", &c, NULL));
        ASSERT_STR_EQ(c->metrics_listen, "[::1]:9732");
        ASSERT_INT_EQ(c->metrics_address.addr.sa.sa_family, AF_INET6);
        ASSERT_OK(parse("[Metrics]\nListen=/run/taskwatchd/metrics.sock\nListen=\n", &off, NULL));
        ASSERT_NULL(off->metrics_listen);
        ASSERT_INT_EQ(off->metrics_address.len, 0);
        ASSERT_ONE_ERROR("[Metrics]\nListen=localhost:9732\n",
                         "test.conf:2: Listen=localhost:9732: not a numeric IPv4 address "
                         "(names are not resolved)");
        ASSERT_ONE_ERROR("\n[Metrics]\nListen=127.0.0.1:0\n",
                         "test.conf:3: Listen=127.0.0.1:0: the port must be a number from 1 "
                         "to 65535");
        ASSERT_ONE_ERROR("[Metrics]\nListen=metrics.sock\n",
                         "test.conf:2: Listen=metrics.sock: expected IPv4-address:port, "
                         "[IPv6-address]:port or an absolute path");
}

static void test_print_defaults(void) {
        _cleanup_(config_freep) Config *c = NULL, *back = NULL;
        _cleanup_(freep) char *out = NULL;
        size_t size = 0;
        FILE *f;

        ASSERT_OK(config_new(&c));
        ASSERT_OK(config_finish(c, NULL));
        f = open_memstream(&out, &size);
        ASSERT_NOT_NULL(f);
        config_print(c, f);
        ASSERT_INT_EQ(fclose(f), 0);
        ASSERT_STR_EQ(out, "[API]\nRegion=cn-hangzhou\nNetwork=public\nEndpoint=https://cs.cn-hangzhou.aliyuncs.com\n"
                           "CAFile=\nRequestTimeout=10s\nMaxConnections=4\nMaxRequestsPerSecond=50\n\n"
                           "[Poll]\nMinInterval=5s\nMaxInterval=2min\nTaskTimeout=infinity\n\n[Tasks]\n\n"
                           "[Credentials]\nSource=auto\nAccessKeyId=\nAccessKeySecretFile=\n"
                           "SecurityTokenFile=\nRoleName=\nMetadataURL=\nSTSEndpoint=\n\n"
                           "[Metrics]\nListen=\n\n"
                           "[Hooks]\nHookTimeout=5min\nMaxConcurrentHooks=4\n");
        ASSERT_OK(config_new(&back));
        ASSERT_OK(config_parse_text(back, out, size, "printed", NULL));
        ASSERT_OK(config_finish(back, NULL));
        ASSERT_NULL(back->ca_file);
        ASSERT_INT_EQ(back->n_tasks, 0);
}

static void test_load_main_and_dropins(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(freep) char *main_path = NULL, *dropins = NULL, *o = NULL;
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&main_path, "%s/tw.conf", dir) > 0);
        ASSERT_TRUE(asprintf(&dropins, "%s/tw.conf.d", dir) > 0);
        ASSERT_OK(write_file(dir, "tw.conf",
                             "[API]\nRegion=eu-west-1\nMaxConnections=2\n"
                             "[Tasks]\nTask=T-main1 T-main2\n"));
        ASSERT_INT_EQ(mkdir(dropins, 0755), 0);
        /* Read in strcmp order: "10-b" before "9-a" before "a". */
        ASSERT_OK(write_file(dropins, "9-a.conf", "[API]\nMaxConnections=9\n"
                                                  "[Tasks]\nTask=\nTask=T-9a T-main2\n"));
        ASSERT_OK(write_file(dropins, "10-b.conf", "[API]\nMaxConnections=10\n"
                                                   "[Tasks]\nTask=T-10b\n"));
        ASSERT_OK(write_file(dropins, "a.conf", "[Tasks]\nTask=T-a T-9a\n"));
        /* Skipped: other suffixes, hidden files, directories, masked by /dev/null. */
        ASSERT_OK(write_file(dropins, "z.conf.bak", "garbage\n"));
        ASSERT_OK(write_file(dropins, ".hidden.conf", "garbage\n"));
        ASSERT_OK(write_file(dropins, "conf", "garbage\n"));
        ASSERT_TRUE(asprintf(&o, "%s/dir.conf", dropins) > 0);
        ASSERT_INT_EQ(mkdir(o, 0755), 0);
        free(o);
        ASSERT_TRUE(asprintf(&o, "%s/masked.conf", dropins) > 0);
        ASSERT_INT_EQ(symlink("/dev/null", o), 0);

        ASSERT_OK(config_load(main_path, NULL, &c, &d));
        ASSERT_INT_EQ(d.n_messages, 0);
        ASSERT_STR_EQ(c->region, "eu-west-1");
        ASSERT_STR_EQ(c->endpoint, "https://cs.eu-west-1.aliyuncs.com");
        ASSERT_INT_EQ(c->max_connections, 9);
        /* 9-a.conf's reset dropped the ids of tw.conf and 10-b.conf. */
        ASSERT_INT_EQ(c->n_tasks, 3);
        ASSERT_STR_EQ(c->tasks[0], "T-9a");
        ASSERT_STR_EQ(c->tasks[1], "T-main2");
        ASSERT_STR_EQ(c->tasks[2], "T-a");
        free(o);
        ASSERT_TRUE(asprintf(&o, "%s/9-a.conf:5", dropins) > 0);
        ASSERT_STR_EQ(ORIGIN(c, 0), o);
        ASSERT_STR_EQ(ORIGIN(c, 1), o);
        free(o);
        ASSERT_TRUE(asprintf(&o, "%s/a.conf:2", dropins) > 0);
        ASSERT_STR_EQ(ORIGIN(c, 2), o);
}

static void test_load_without_dropin_dir(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(freep) char *main_path = NULL;
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&main_path, "%s/tw.conf", dir) > 0);
        ASSERT_OK(write_file(dir, "tw.conf", "[Tasks]\nTask=T-1\n"));
        ASSERT_OK(config_load(main_path, NULL, &c, NULL));
        ASSERT_INT_EQ(c->n_tasks, 1);
        ASSERT_STR_EQ(c->endpoint, "https://cs.cn-hangzhou.aliyuncs.com");
}

static void test_load_missing_explicit_file(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(freep) char *main_path = NULL, *msg = NULL;
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        Config *c = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&main_path, "%s/missing.conf", dir) > 0);
        ASSERT_TRUE(asprintf(&msg, "%s: cannot open: No such file or directory", main_path) > 0);
        ASSERT_INT_EQ(config_load(main_path, NULL, &c, &d), -EINVAL);
        ASSERT_NULL(c);
        ASSERT_INT_EQ(d.n_messages, 1);
        ASSERT_TRUE(diag_has(&d, msg));
}

static void test_load_default_path(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        /* Only meaningful where nothing is installed: then defaults and no complaint. */
        if (access("/etc/taskwatchd", F_OK) == 0)
                return;
        ASSERT_OK(config_load(NULL, NULL, &c, &d));
        ASSERT_INT_EQ(d.n_messages, 0);
        ASSERT_STR_EQ(c->region, "cn-hangzhou");
        ASSERT_INT_EQ(c->n_tasks, 0);
}

static void test_load_errors_of_all_files(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(freep) char *main_path = NULL, *dropins = NULL, *m = NULL;
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        Config *c = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&main_path, "%s/tw.conf", dir) > 0);
        ASSERT_TRUE(asprintf(&dropins, "%s/tw.conf.d", dir) > 0);
        ASSERT_OK(write_file(dir, "tw.conf", "[Poll]\n# x\nMinInterval=5x\n"));
        ASSERT_INT_EQ(mkdir(dropins, 0755), 0);
        ASSERT_OK(write_file(dropins, "a.conf", "[API]\nCAFile=/nonexistent/ca\n"));
        ASSERT_OK(write_file(dropins, "b.conf", "[Nope]\n"));

        ASSERT_INT_EQ(config_load(main_path, NULL, &c, &d), -EINVAL);
        ASSERT_NULL(c);
        ASSERT_INT_EQ(d.n_messages, 3);
        ASSERT_TRUE(asprintf(&m, "%s:3: MinInterval=5x: not a time span (use e.g. 500ms, 10s, "
                                 "2min)", main_path) > 0);
        ASSERT_STR_EQ(d.messages[0], m);
        free(m);
        /* Sorted by file and line (issue #16): a.conf's CAFile= check runs last, after every
         * file is read, but is reported before b.conf's problem. */
        ASSERT_TRUE(asprintf(&m, "%s/a.conf:2: CAFile=/nonexistent/ca: No such file or "
                                 "directory", dropins) > 0);
        ASSERT_STR_EQ(d.messages[1], m);
        free(m);
        ASSERT_TRUE(asprintf(&m, "%s/b.conf:1: [Nope]: unknown section (expected [API], "
                                 "[Poll], [Tasks], [Credentials], [Hooks] or [Metrics])", dropins) > 0);
        ASSERT_STR_EQ(d.messages[2], m);
}

static void test_load_refuses_large_and_odd_files(void) {
        _cleanup_(rm_rfp) char *dir = make_tmpdir();
        _cleanup_(freep) char *p = NULL, *m = NULL, *big = NULL;
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_NOT_NULL(dir);
        ASSERT_TRUE(asprintf(&p, "%s/big.conf", dir) > 0);
        big = malloc(CONFIG_FILE_SIZE_MAX + 2);
        ASSERT_NOT_NULL(big);
        /* Exactly 1 MiB of comment is fine... */
        memset(big, '#', CONFIG_FILE_SIZE_MAX);
        big[CONFIG_FILE_SIZE_MAX] = '\0';
        ASSERT_OK(write_file(dir, "big.conf", big));
        ASSERT_OK(config_load(p, NULL, &c, &d));
        c = config_free(c);
        /* ...one byte more is not. */
        big[CONFIG_FILE_SIZE_MAX] = '#';
        big[CONFIG_FILE_SIZE_MAX + 1] = '\0';
        ASSERT_OK(write_file(dir, "big.conf", big));
        ASSERT_INT_EQ(config_load(p, NULL, &c, &d), -EINVAL);
        ASSERT_TRUE(asprintf(&m, "%s: larger than 1 MiB, refusing it", p) > 0);
        ASSERT_TRUE(diag_has(&d, m));
        config_diagnostics_clear(&d);

        /* A directory given as the file. */
        free(m);
        ASSERT_TRUE(asprintf(&m, "%s: not a regular file", dir) > 0);
        ASSERT_INT_EQ(config_load(dir, NULL, &c, &d), -EINVAL);
        ASSERT_TRUE(diag_has(&d, m));
        config_diagnostics_clear(&d);

        /* A FIFO is refused without being opened, which would block. */
        free(m);
        free(p);
        ASSERT_TRUE(asprintf(&p, "%s/fifo.conf", dir) > 0);
        ASSERT_INT_EQ(mkfifo(p, 0600), 0);
        ASSERT_TRUE(asprintf(&m, "%s: not a regular file", p) > 0);
        ASSERT_INT_EQ(config_load(p, NULL, &c, &d), -EINVAL);
        ASSERT_TRUE(diag_has(&d, m));
        config_diagnostics_clear(&d);

        /* Unreadable: strerror() names the reason. */
        free(p);
        free(m);
        ASSERT_TRUE(asprintf(&p, "%s/big.conf/sub.conf", dir) > 0);
        ASSERT_TRUE(asprintf(&m, "%s: cannot open: Not a directory", p) > 0);
        ASSERT_INT_EQ(config_load(p, NULL, &c, &d), -EINVAL);
        ASSERT_TRUE(diag_has(&d, m));
        ASSERT_NULL(c);
}

/* The shipped example is valid, and uncommenting every "#Key=" line changes nothing. */
static void test_credentials_keys(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL, *e = NULL;

        ASSERT_OK(parse("[Credentials]\nSource=config\nAccessKeyId=LTAI5tExample\n"
                        "AccessKeySecretFile=/etc/taskwatchd/secret\n"
                        "SecurityTokenFile=/etc/taskwatchd/token\nRoleName=Watch.Role_1\n"
                        "MetadataURL=http://100.100.100.200/\n"
                        "STSEndpoint=https://sts-vpc.cn-hangzhou.aliyuncs.com\n", &c, &d));
        ASSERT_INT_EQ(d.n_messages, 0);
        ASSERT_INT_EQ(c->credentials_source, CREDENTIALS_SOURCE_CONFIG);
        ASSERT_STR_EQ(c->access_key_id, "LTAI5tExample");
        ASSERT_STR_EQ(c->access_key_secret_file, "/etc/taskwatchd/secret");
        ASSERT_STR_EQ(c->security_token_file, "/etc/taskwatchd/token");
        ASSERT_STR_EQ(c->role_name, "Watch.Role_1");
        ASSERT_STR_EQ(c->metadata_url, "http://100.100.100.200");
        ASSERT_STR_EQ(c->sts_endpoint, "https://sts-vpc.cn-hangzhou.aliyuncs.com");

        /* Empty assignments restore the defaults. */
        ASSERT_OK(parse("[Credentials]\nSource=oidc\nSource=\nRoleName=r\nRoleName=\n"
                        "MetadataURL=http://h\nMetadataURL=\n", &e, &d));
        ASSERT_INT_EQ(e->credentials_source, CREDENTIALS_SOURCE_AUTO);
        ASSERT_NULL(e->role_name);
        ASSERT_NULL(e->metadata_url);
        ASSERT_NULL(e->access_key_id);
}

static void test_credentials_source_names_round_trip(void) {
        for (int s = 0; s < _CREDENTIALS_SOURCE_MAX; s++)
                ASSERT_INT_EQ(credentials_source_from_string(credentials_source_to_string(s)), s);
        ASSERT_INT_EQ(credentials_source_from_string("ecs"), -EINVAL);
        ASSERT_NULL(credentials_source_to_string(_CREDENTIALS_SOURCE_MAX));
}

static void test_credentials_bad_values(void) {
        ASSERT_ONE_ERROR("[Credentials]\nSource=vault\n",
                         "test.conf:2: Source=vault: unknown source (expected auto, config, "
                         "systemd, environment, oidc, cli-profile or ecs-ram-role)");
        ASSERT_ONE_ERROR("[Credentials]\nAccessKeyId=LTAI x\n",
                         "test.conf:2: AccessKeyId=LTAI x: not an AccessKeyId (printable "
                         "characters without blanks)");
        ASSERT_ONE_ERROR("[Credentials]\nAccessKeySecretFile=secret\n",
                         "test.conf:2: AccessKeySecretFile=secret: not an absolute path");
        ASSERT_ONE_ERROR("[Credentials]\nRoleName=a/b\n",
                         "test.conf:2: RoleName=a/b: not a RAM role name (up to 64 letters, "
                         "digits, '.', '_', '-')");
        ASSERT_ONE_ERROR("[Credentials]\nMetadataURL=http://h/latest\n",
                         "test.conf:2: MetadataURL=http://h/latest: a path is not allowed, "
                         "give only https://host[:port]");
}

static void test_credentials_sts_endpoint_needs_https(void) {
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_ONE_ERROR("[Credentials]\nSTSEndpoint=http://127.0.0.1:1\n",
                         "test.conf:2: STSEndpoint=http://127.0.0.1:1: plain http is not "
                         "allowed, use https://");
        /* The metadata server is plain http by design. */
        ASSERT_OK(parse("[Credentials]\nMetadataURL=http://127.0.0.1:8080\n", &c, NULL));
        ASSERT_STR_EQ(c->metadata_url, "http://127.0.0.1:8080");
}

static void test_credentials_explicit_key_is_all_or_nothing(void) {
        ASSERT_ONE_ERROR("[Credentials]\nAccessKeyId=LTAI\n",
                         "test.conf:2: AccessKeyId= is set but AccessKeySecretFile= is not");
        ASSERT_ONE_ERROR("[Credentials]\nAccessKeySecretFile=/s\n",
                         "test.conf:2: AccessKeySecretFile= is set but AccessKeyId= is not");
        ASSERT_ONE_ERROR("[Credentials]\nSecurityTokenFile=/t\n",
                         "test.conf:2: SecurityTokenFile= needs AccessKeyId= and "
                         "AccessKeySecretFile=");
        ASSERT_ONE_ERROR("[Credentials]\nSource=config\n",
                         "[Credentials]: Source=config needs AccessKeyId= and "
                         "AccessKeySecretFile=");
}

static void test_example_config_shows_defaults(void) {
        _cleanup_(freep) char *path = NULL, *text = NULL, *out = NULL, *out2 = NULL;
        _cleanup_(config_freep) Config *c = NULL, *u = NULL, *def = NULL;
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        size_t len = 0, size = 0, n_keys = 0;
        FILE *f;

        /* __FILE__ is relative to the build directory, where meson runs the tests. */
        ASSERT_TRUE(asprintf(&path, "%.*s/../../conf/taskwatchd.conf",
                             (int) (strrchr(__FILE__, '/') - __FILE__), __FILE__) > 0);
        f = fopen(path, "re");
        if (!f) {
                printf("# skipped: %s not found from here\n", path);
                return;
        }
        ASSERT_TRUE(getdelim(&text, &len, '\0', f) > 0);
        fclose(f);

        ASSERT_OK(config_load(path, NULL, &c, &d));
        ASSERT_INT_EQ(d.n_messages, 0);

        /* "#Key=" at the start of a line is an assignment shown commented out. */
        for (char *p = text; (p = strstr(p, "\n#")); p++)
                if (p[2] >= 'A' && p[2] <= 'Z' &&
                    memchr(p, '=', (size_t) (strchrnul(p + 1, '\n') - p))) {
                        p[1] = ' ';
                        n_keys++;
                }
        ASSERT_INT_EQ(n_keys, 26); /* every key */
        ASSERT_OK(config_new(&u));
        ASSERT_OK(config_parse_text(u, text, strlen(text), "uncommented", &d));
        ASSERT_OK(config_finish(u, &d));

        ASSERT_OK(config_new(&def));
        ASSERT_OK(config_finish(def, NULL));
        f = open_memstream(&out, &size);
        ASSERT_NOT_NULL(f);
        config_print(def, f);
        config_print(c, f);
        ASSERT_INT_EQ(fclose(f), 0);
        f = open_memstream(&out2, &size);
        ASSERT_NOT_NULL(f);
        config_print(u, f);
        config_print(u, f);
        ASSERT_INT_EQ(fclose(f), 0);
        ASSERT_STR_EQ(out2, out);
}

static int record(const char *section, const char *key, const char *value, const char *filename,
                  unsigned line, void *userdata) {
        FILE *f = userdata;
        fprintf(f, "%s:%u [%s] %s=%s|\n", filename, line, section, key ? key : "(null)",
                value ? value : "(null)");
        return key && strcmp(key, "Stop") == 0 ? -ECANCELED : 0;
}

static int record_error(const char *filename, unsigned line, const char *message,
                        void *userdata) {
        FILE *f = userdata;
        fprintf(f, "%s:%u ERROR %s\n", filename, line, message);
        return 0;
}

static void test_ini_parse_calls_back_in_order(void) {
        static const char text[] = "[A]\nk = v = w\nEmpty=\n[B b]\n  x=1  \nbad\nStop=1\nAfter=1\n";
        _cleanup_(freep) char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        ASSERT_NOT_NULL(f);
        ASSERT_INT_EQ(ini_parse(text, sizeof(text) - 1, "f.ini", record, record_error, f),
                      -ECANCELED);
        ASSERT_INT_EQ(fclose(f), 0);
        ASSERT_STR_EQ(out, "f.ini:1 [A] (null)=(null)|\n"
                           "f.ini:2 [A] k=v = w|\n"
                           "f.ini:3 [A] Empty=|\n"
                           "f.ini:4 [B b] (null)=(null)|\n"
                           "f.ini:5 [B b] x=1|\n"
                           "f.ini:6 ERROR bad: expected a [Section] header, Key=Value or a "
                           "comment\n"
                           "f.ini:7 [B b] Stop=1|\n");

        /* Keys under a malformed header are dropped, not filed under the previous one. */
        static const char text2[] = "[A]\n[B\nk=1\n[C]\nk=2\n";
        _cleanup_(freep) char *out2 = NULL;
        f = open_memstream(&out2, &size);
        ASSERT_NOT_NULL(f);
        ASSERT_INT_EQ(ini_parse(text2, sizeof(text2) - 1, NULL, record, NULL, f), -EINVAL);
        ASSERT_INT_EQ(fclose(f), 0);
        ASSERT_STR_EQ(out2, "(string):1 [A] (null)=(null)|\n"
                            "(string):4 [C] (null)=(null)|\n"
                            "(string):5 [C] k=2|\n");
}

static void test_ini_quote(void) {
        _cleanup_(freep) char *a = ini_quote("plain text \xc3\xa9");
        _cleanup_(freep) char *b = ini_quote("tab\there\\ \x7f\x01");
        char long_s[INI_QUOTE_MAX + 10];

        ASSERT_STR_EQ(a, "plain text \xc3\xa9");
        ASSERT_STR_EQ(b, "tab\\x09here\\\\ \\x7f\\x01");
        memset(long_s, 'x', sizeof(long_s) - 1);
        long_s[sizeof(long_s) - 1] = '\0';
        _cleanup_(freep) char *c = ini_quote(long_s);
        ASSERT_INT_EQ(strlen(c), INI_QUOTE_MAX + 3);
        ASSERT_TRUE(strcmp(c + INI_QUOTE_MAX, "...") == 0);

        /* A two-byte character across the limit is dropped whole. */
        memcpy(long_s + INI_QUOTE_MAX - 1, "\xc3\xa9", 2);
        _cleanup_(freep) char *d = ini_quote(long_s);
        ASSERT_INT_EQ(strlen(d), INI_QUOTE_MAX - 1 + 3);
        ASSERT_TRUE(strcmp(d + INI_QUOTE_MAX - 1, "...") == 0);
}

/* Issue #16: cross-key problems came last, after the drop-ins' own. */
static void test_diagnostics_sorted_by_file_and_line(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        char *files[] = { (char *) "/e/t.conf", (char *) "/e/t.conf.d/10-a.conf" };

        ASSERT_OK(config_diagnostics_add(&d, "kept first: not a file message"));
        ASSERT_OK(config_diagnostics_add(&d, "/e/t.conf:5: MaxConnections=lots: not a number"));
        ASSERT_OK(config_diagnostics_add(&d, "/e/t.conf.d/10-a.conf:2: Regoin=x: unknown key"));
        ASSERT_OK(config_diagnostics_add(&d, "/e/t.conf:12: b"));
        ASSERT_OK(config_diagnostics_add(&d, "/e/t.conf:3: MaxInterval=1min is shorter"));
        ASSERT_OK(config_diagnostics_add(&d, "/e/t.conf: cannot open"));
        ASSERT_OK(config_diagnostics_add(&d, "elsewhere:1: x"));
        ASSERT_OK(config_diagnostics_sort(&d, 1, files, 2));
        ASSERT_STR_EQ(d.messages[0], "kept first: not a file message");
        ASSERT_STR_EQ(d.messages[1], "/e/t.conf: cannot open");
        ASSERT_STR_EQ(d.messages[2], "/e/t.conf:3: MaxInterval=1min is shorter");
        ASSERT_STR_EQ(d.messages[3], "/e/t.conf:5: MaxConnections=lots: not a number");
        ASSERT_STR_EQ(d.messages[4], "/e/t.conf:12: b");
        ASSERT_STR_EQ(d.messages[5], "/e/t.conf.d/10-a.conf:2: Regoin=x: unknown key");
        ASSERT_STR_EQ(d.messages[6], "elsewhere:1: x");
        ASSERT_NULL(d.messages[7]);
}

/* Bytes that are not text are escaped; valid UTF-8 stays readable, except what a terminal
 * would act on instead of showing (C1 controls, bidirectional overrides). */
static void test_ini_quote_escapes_what_is_not_text(void) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "\xff\xfe", "\\xff\\xfe" },
                { "caf\xe9", "caf\\xe9" },                       /* Latin-1, not UTF-8 */
                { "\xc0\xaf", "\\xc0\\xaf" },                   /* overlong "/" */
                { "\xed\xa0\x80", "\\xed\\xa0\\x80" },           /* a surrogate */
                { "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" }, /* beyond U+10FFFF */
                { "\xe2\x82", "\\xe2\\x82" },                   /* cut short */
                { "\xc2\x9b" "2J", "\\u009b2J" },                 /* C1 CSI */
                { "abc\xe2\x80\xae" "evil", "abc\\u202eevil" },      /* RIGHT-TO-LEFT OVERRIDE */
                { "\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80" }, /* kept */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *q = ini_quote(cases[i].in);
                ASSERT_STR_EQ(q, cases[i].out);
        }
}

static void test_config_errors_escape_raw_bytes(void) {
        _cleanup_(diag_clearp) ConfigDiagnostics d = {};
        _cleanup_(config_freep) Config *c = NULL;

        ASSERT_INT_EQ(parse("[API]\nRegion=\xff\xfe\n[Poll]\nK\xe9y=1\n", &c, &d), -EINVAL);
        ASSERT_INT_EQ(d.n_messages, 2);
        for (size_t i = 0; i < d.n_messages; i++)
                for (const char *p = d.messages[i]; *p; p++)
                        if ((unsigned char) *p >= 0x80)
                                TEST_FAIL_("raw byte 0x%02x in \"%s\"", (unsigned char) *p, d.messages[i]);
        ASSERT_TRUE(strstr(d.messages[0], "Region=\\xff\\xfe: ") != NULL);
        ASSERT_TRUE(strstr(d.messages[1], "K\\xe9y") != NULL);
}

TEST_MAIN(TEST_CASE(test_diagnostics_sorted_by_file_and_line),
          TEST_CASE(test_defaults),
          TEST_CASE(test_empty_text_is_valid),
          TEST_CASE(test_every_key),
          TEST_CASE(test_region_derives_endpoint),
          TEST_CASE(test_region_endpoint_as_the_sdk_derives_it),
          TEST_CASE(test_network_key),
          TEST_CASE(test_empty_assignments_restore_defaults),
          TEST_CASE(test_comments_whitespace_and_line_endings),
          TEST_CASE(test_tasks_accumulate_without_duplicates),
          TEST_CASE(test_tasks_reset),
          TEST_CASE(test_many_tasks),
          TEST_CASE(test_task_id_is_valid),
          TEST_CASE(test_invalid_task_ids),
          TEST_CASE(test_syntax_errors),
          TEST_CASE(test_nul_byte_is_an_error),
          TEST_CASE(test_unknown_sections_and_keys),
          TEST_CASE(test_bad_values),
          TEST_CASE(test_bad_value_keeps_previous),
          TEST_CASE(test_all_errors_reported),
          TEST_CASE(test_ini_quote_escapes_what_is_not_text),
          TEST_CASE(test_config_errors_escape_raw_bytes),
          TEST_CASE(test_min_interval_above_max_interval),
          TEST_CASE(test_endpoint_variants),
          TEST_CASE(test_plain_http_only_with_test_hook),
          TEST_CASE(test_ca_file_checked_by_finish),
          TEST_CASE(test_print_round_trip),
          TEST_CASE(test_rate_and_task_timeout_keys),
          TEST_CASE(test_metrics_listen),
          TEST_CASE(test_print_defaults),
          TEST_CASE(test_load_main_and_dropins),
          TEST_CASE(test_load_without_dropin_dir),
          TEST_CASE(test_load_missing_explicit_file),
          TEST_CASE(test_load_default_path),
          TEST_CASE(test_load_errors_of_all_files),
          TEST_CASE(test_load_refuses_large_and_odd_files),
          TEST_CASE(test_credentials_keys),
          TEST_CASE(test_credentials_source_names_round_trip),
          TEST_CASE(test_credentials_bad_values),
          TEST_CASE(test_credentials_sts_endpoint_needs_https),
          TEST_CASE(test_credentials_explicit_key_is_all_or_nothing),
          TEST_CASE(test_example_config_shows_defaults),
          TEST_CASE(test_ini_parse_calls_back_in_order),
          TEST_CASE(test_ini_quote));
