/* The task store: round trips, restarts that neither lose nor repeat events, bad files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event-recorder.h"
#include "test.h"
#include "util/strutil.h"
#include "state/task-store.h"

static char tmp[] = "/tmp/test-task-store-XXXXXX";
static char tasks[sizeof(tmp) + 16];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void setup(void) {
        strcpy(tmp, "/tmp/test-task-store-XXXXXX");
        if (!mkdtemp(tmp))
                abort();
        snprintf(tasks, sizeof tasks, "%s/tasks", tmp);
}

static void teardown(void) {
        (void) chmod(tmp, 0700);
        (void) nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static TaskStore *open_store(void) {
        TaskStore *s = NULL;
        char *reason = NULL;

        if (task_store_open(&s, tmp, &reason) < 0) {
                fprintf(stderr, "# task_store_open: %s\n", reason);
                abort();
        }
        free(reason);
        return s;
}

static void write_file(const char *name, const void *data, size_t len) {
        char path[256];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", tasks, name);
        f = fopen(path, "we");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
                abort();
}

static bool exists(const char *name) {
        char path[256];

        snprintf(path, sizeof path, "%s/%s", tasks, name);
        return access(path, F_OK) == 0;
}

/* The names in tasks/, sorted and joined with spaces ("" when empty). */
static char *dir_listing(void) {
        struct dirent **v;
        StrBuf b = {};
        int n = scandir(tasks, &v, NULL, alphasort);

        if (n < 0)
                abort();
        for (int i = 0; i < n; i++) {
                if (strcmp(v[i]->d_name, ".") != 0 && strcmp(v[i]->d_name, "..") != 0)
                        strbuf_appendf(&b, "%s%s", b.len ? " " : "", v[i]->d_name);
                free(v[i]);
        }
        free(v);
        return strbuf_steal(&b);
}

/* How many names in tasks/ start with prefix. */
static size_t count_prefix(const char *prefix) {
        DIR *d = opendir(tasks);
        size_t n = 0;

        if (!d)
                abort();
        for (struct dirent *de; (de = readdir(d));)
                n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
        closedir(d);
        return n;
}

/* Everything a JSON writer must escape, and text beyond ASCII. */
#define AWKWARD_TEXT                                                                               \
        "Stage \"one\"\twith\ttabs\nand a newline, \x01\x1f\x7f control, unicode é 日本 😀, "  \
        "backslash \\ and slash /"

static void fill_record(TaskRecord *r, const char *id, size_t n_instances) {
        TaskSnapshot *s = &r->snapshot;

        if (task_record_init(r, id) < 0)
                abort();
        r->have_baseline = true;
        s->state = strdup("running");
        s->stage = strdup(AWKWARD_TEXT);
        s->cluster_id = strdup("c-123");
        s->task_type = strdup("nodepool_scaleout");
        s->error_code = strdup("E\"1\"");
        s->error_message = strdup("message with \"quotes\" and \\u0041 text");
        s->instances = calloc(n_instances, sizeof(*s->instances));
        s->n_instances = n_instances;
        /* Written out of order: the store must sort. */
        for (size_t i = 0; i < n_instances; i++) {
                static const char *const statuses[] = { "success", "failed", "initial", "running" };
                TrackedInstance *in = &s->instances[i];

                if (asprintf(&in->id, "i-%05zu", n_instances - i) < 0)
                        abort();
                in->status = strdup(statuses[i % 4]);
                in->failures = (unsigned) (i % 3); /* how often it failed while watched */
        }
        r->lost = true;
        r->timeout_reported = true;
        r->first_seen = 1700000000123456ULL;
        r->last_poll = 1700000099654321ULL;
        r->last_error = strdup("HTTP 503: \"busy\"\nretrying in 40s");
        if (hook_ledger_add_done(task_record_own_hooks(r), "task-failed") != 1 ||
            hook_ledger_add_done(task_record_own_hooks(r), "instance-failed:i-00001") != 1)
                abort();
}

static void test_round_trip_of_a_full_record(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *got = NULL;
        _cleanup_(freep) char *reason = NULL, *listing = NULL;
        const char *id = "T-\"1\"/ü x";
        char path[256];
        TaskRecord r;
        struct stat st;

        setup();
        s = open_store();
        ASSERT_INT_EQ(stat(tasks, &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0700);
        fill_record(&r, id, 1000);
        ASSERT_OK(task_store_save(s, &r));

        listing = dir_listing();
        ASSERT_STR_EQ(listing, "T-%221%22%2F%C3%BC%20x.json");
        snprintf(path, sizeof path, "%s/%s", tasks, listing);
        ASSERT_INT_EQ(stat(path, &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0600);

        ASSERT_OK(task_store_load(s, id, &got, &reason));
        ASSERT_NULL(reason);
        ASSERT_STR_EQ(got->task_id, id);
        ASSERT_TRUE(got->have_baseline);
        ASSERT_TRUE(got->lost);
        ASSERT_TRUE(got->timeout_reported);
        ASSERT_U64_EQ(got->first_seen, 1700000000123456ULL);
        ASSERT_U64_EQ(got->last_poll, 1700000099654321ULL);
        ASSERT_STR_EQ(got->last_error, r.last_error);
        ASSERT_INT_EQ(got->hooks->n_done, 2);
        ASSERT_STR_EQ(got->hooks->done[0], "task-failed");
        ASSERT_STR_EQ(got->hooks->done[1], "instance-failed:i-00001");
        ASSERT_TRUE(hook_ledger_has_done(got->hooks, "task-failed"));
        ASSERT_TRUE(!hook_ledger_has_done(got->hooks, "task-succeeded"));

        ASSERT_STR_EQ(got->snapshot.state, "running");
        ASSERT_INT_EQ(got->snapshot.phase, TASK_PHASE_RUNNING);
        ASSERT_STR_EQ(got->snapshot.stage, r.snapshot.stage);
        ASSERT_STR_EQ(got->snapshot.cluster_id, "c-123");
        ASSERT_STR_EQ(got->snapshot.task_type, "nodepool_scaleout");
        ASSERT_STR_EQ(got->snapshot.error_code, "E\"1\"");
        ASSERT_STR_EQ(got->snapshot.error_message, r.snapshot.error_message);
        ASSERT_INT_EQ(got->snapshot.n_instances, 1000);
        ASSERT_INT_EQ(got->snapshot.n_succeeded, 250);
        ASSERT_INT_EQ(got->snapshot.n_failed, 250);
        ASSERT_INT_EQ(got->snapshot.n_pending, 500);
        for (size_t i = 0; i < 1000; i++) {
                const TrackedInstance *in = &got->snapshot.instances[i];
                char want[16];

                snprintf(want, sizeof want, "i-%05zu", i + 1);
                ASSERT_STR_EQ(in->id, want);
                /* i-N was written at position 1000 - N. */
                ASSERT_STR_EQ(in->status, r.snapshot.instances[1000 - (i + 1)].status);
                ASSERT_INT_EQ(in->phase, instance_phase_from_status(in->status));
                /* Issue 11, item 5: the count of its failures survives a restart, so an
                 * instance-failed keeps its key. */
                ASSERT_INT_EQ(in->failures, r.snapshot.instances[1000 - (i + 1)].failures);
        }
        task_record_done(&r);
        teardown();
}

static void test_record_without_baseline_round_trips(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *r = NULL, *got = NULL;

        setup();
        s = open_store();
        ASSERT_OK(task_record_new(&r, "T-new"));
        r->first_seen = 5;
        ASSERT_OK(task_store_save(s, r));
        ASSERT_OK(task_store_load(s, "T-new", &got, NULL));
        ASSERT_TRUE(!got->have_baseline);
        ASSERT_NULL(got->snapshot.state);
        ASSERT_INT_EQ(got->snapshot.n_instances, 0);
        ASSERT_INT_EQ(got->snapshot.phase, TASK_PHASE_UNKNOWN);
        ASSERT_U64_EQ(got->first_seen, 5);
        ASSERT_NULL(got->last_error);
        ASSERT_INT_EQ(got->hooks->n_done, 0);
        teardown();
}

/* ---- restarts ------------------------------------------------------------------------------ */

#define REPLY_RUNNING                                                                              \
        "{\"task_id\":\"T-1\",\"cluster_id\":\"c-1\",\"task_type\":\"nodepool_scaleout\","      \
        "\"state\":\"running\",\"current_stage\":\"CreateInstances\",\"task_result\":["         \
        "{\"data\":\"i-3\",\"status\":\"initial\"},{\"data\":\"i-1\",\"status\":\"success\"},"   \
        "{\"data\":\"i-2\",\"status\":\"initial\"}]}"
/* i-1 vanished from the reply (kept as success), i-2 failed, i-3 progressed, i-4 is new. */
#define REPLY_CHANGED                                                                              \
        "{\"state\":\"failed\",\"current_stage\":\"JoinNodes\","                                 \
        "\"error\":{\"code\":\"E1\",\"message\":\"boom\"},\"task_result\":["                      \
        "{\"data\":\"i-3\",\"status\":\"creating\"},{\"data\":\"i-2\",\"status\":\"fail\"},"     \
        "{\"data\":\"i-4\",\"status\":\"initial\"}]}"

static int apply(TaskTracker *t, EventRecorder *rec, const char *json) {
        TaskInfo *info = NULL;
        int r;

        if (task_info_parse(json, strlen(json), &info, NULL) < 0)
                abort();
        TransitionList list = {};
        r = task_tracker_apply(t, info, "req-1", &list);
        task_info_free(info);
        for (size_t i = 0; i < list.n; i++)
                recorder_on_event(&list.items[i].event, rec);
        transition_list_done(&list);
        return r;
}

/* A tracker that went through REPLY_RUNNING, saved, loaded back into a fresh tracker. */
static void restart(TaskStore *s, TaskTracker *before, TaskTracker *after) {
        _cleanup_(task_record_freep) TaskRecord *loaded = NULL;
        TaskRecord r;

        if (task_record_init(&r, "T-1") < 0 || task_record_from_tracker(&r, before) < 0 ||
            task_store_save(s, &r) < 0 || task_store_load(s, "T-1", &loaded, NULL) < 0 ||
            task_tracker_init(after, "T-1") < 0 || task_tracker_restore(after, loaded) < 0)
                abort();
        task_record_done(&r);
}

static void test_restore_then_unchanged_reply_emits_nothing(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        TaskTracker before, after;
        EventRecorder rec;

        setup();
        s = open_store();
        recorder_init(&rec);
        ASSERT_OK(task_tracker_init(&before, "T-1"));
        ASSERT_INT_EQ(apply(&before, &rec, REPLY_RUNNING), 1);
        restart(s, &before, &after);
        recorder_clear(&rec);

        ASSERT_TRUE(after.have_baseline);
        ASSERT_INT_EQ(after.now.n_instances, 3);
        ASSERT_INT_EQ(after.now.n_succeeded, 1);
        ASSERT_INT_EQ(after.now.n_pending, 2);
        ASSERT_INT_EQ(apply(&after, &rec, REPLY_RUNNING), 0);
        ASSERT_INT_EQ(rec.n, 0);

        task_tracker_done(&before);
        task_tracker_done(&after);
        recorder_done(&rec);
        teardown();
}

static void test_restore_then_changed_reply_emits_what_an_uninterrupted_daemon_would(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        TaskTracker before, after;
        EventRecorder want, got;

        setup();
        s = open_store();
        recorder_init(&want);
        recorder_init(&got);
        ASSERT_OK(task_tracker_init(&before, "T-1"));
        apply(&before, &want, REPLY_RUNNING);
        restart(s, &before, &after);
        recorder_clear(&want);

        /* before never stopped; after was restarted from the file. */
        ASSERT_INT_EQ(apply(&before, &want, REPLY_CHANGED), 1);
        ASSERT_INT_EQ(apply(&after, &got, REPLY_CHANGED), 1);
        ASSERT_TRUE(want.n >= 5);
        ASSERT_INT_EQ(got.n, want.n);
        for (size_t i = 0; i < want.n && i < got.n; i++) {
                ASSERT_INT_EQ(got.events[i].kind, want.events[i].kind);
                ASSERT_STR_EQ(got.events[i].message, want.events[i].message);
        }
        ASSERT_INT_EQ(recorder_count(&got, EVENT_TASK_STAGE_CHANGED), 1);
        ASSERT_INT_EQ(recorder_count(&got, EVENT_INSTANCE_FAILED), 1);
        ASSERT_INT_EQ(recorder_count(&got, EVENT_INSTANCE_ADDED), 1);
        ASSERT_INT_EQ(recorder_count(&got, EVENT_INSTANCE_STATUS_CHANGED), 1);
        ASSERT_INT_EQ(recorder_count(&got, EVENT_TASK_FAILED), 1);
        ASSERT_INT_EQ(recorder_count(&got, EVENT_TASK_BASELINE), 0);
        ASSERT_INT_EQ(recorder_count(&got, EVENT_INSTANCE_SUCCEEDED), 0);
        ASSERT_STR_EQ(recorder_find(&got, EVENT_TASK_FAILED)->task_previous_state, "running");

        task_tracker_done(&before);
        task_tracker_done(&after);
        recorder_done(&want);
        recorder_done(&got);
        teardown();
}

static void test_restore_refuses_another_task_and_duplicate_ids(void) {
        TaskTracker t;
        TaskRecord r;

        ASSERT_OK(task_tracker_init(&t, "T-2"));
        fill_record(&r, "T-1", 3);
        ASSERT_INT_EQ(task_tracker_restore(&t, &r), -EINVAL);
        ASSERT_TRUE(!t.have_baseline);

        free(r.task_id);
        r.task_id = strdup("T-2");
        free(r.snapshot.instances[2].id);
        r.snapshot.instances[2].id = strdup(r.snapshot.instances[0].id);
        ASSERT_INT_EQ(task_tracker_restore(&t, &r), -EINVAL);
        ASSERT_TRUE(!t.have_baseline);
        ASSERT_INT_EQ(t.now.n_instances, 0);

        task_record_done(&r);
        task_tracker_done(&t);
}

/* ---- writing ------------------------------------------------------------------------------- */

static void test_save_leaves_no_temp_file_and_replaces_the_old_record(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *got = NULL;
        _cleanup_(freep) char *listing = NULL;
        TaskRecord r;

        setup();
        s = open_store();
        fill_record(&r, "T-1", 10);
        ASSERT_OK(task_store_save(s, &r));
        free(r.snapshot.state);
        r.snapshot.state = strdup("success");
        r.lost = false;
        ASSERT_OK(task_store_save(s, &r));

        listing = dir_listing();
        ASSERT_STR_EQ(listing, "T-1.json");
        ASSERT_OK(task_store_load(s, "T-1", &got, NULL));
        ASSERT_STR_EQ(got->snapshot.state, "success");
        ASSERT_INT_EQ(got->snapshot.phase, TASK_PHASE_SUCCEEDED);
        ASSERT_TRUE(!got->lost);
        task_record_done(&r);
        teardown();
}

static void test_open_deletes_stale_temp_files_only(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL, *again = NULL;
        _cleanup_(freep) char *listing = NULL;
        TaskRecord r;

        setup();
        s = open_store();
        fill_record(&r, "#tmp-x", 1); /* encoded as %23tmp-x: never taken for a temp file */
        ASSERT_OK(task_store_save(s, &r));
        free(r.task_id);
        r.task_id = strdup(".tmp-y"); /* a dot file, but not ours to delete */
        ASSERT_OK(task_store_save(s, &r));
        write_file("#tmp-0123456789abcdef", "{\"half", 6);
        s = task_store_free(s);
        again = open_store();
        listing = dir_listing();
        ASSERT_STR_EQ(listing, "%23tmp-x.json .tmp-y.json");
        task_record_done(&r);
        teardown();
}

static void test_save_refuses_what_could_not_be_read_back(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *got = NULL;
        _cleanup_(freep) char *listing = NULL, *long_id = NULL;
        TaskRecord r;

        setup();
        s = open_store();
        fill_record(&r, "T-1", 1);
        ASSERT_OK(task_store_save(s, &r));
        free(r.snapshot.stage);
        r.snapshot.stage = strdup("bad \xff utf-8");
        ASSERT_INT_EQ(task_store_save(s, &r), -EILSEQ);
        /* The earlier record is intact. */
        ASSERT_OK(task_store_load(s, "T-1", &got, NULL));
        ASSERT_STR_EQ(got->snapshot.stage, AWKWARD_TEXT);
        ASSERT_INT_EQ(task_store_remove(s, "T-1"), 1);
        free(r.snapshot.stage);
        r.snapshot.stage = NULL;

        r.first_seen = UINT64_MAX;
        ASSERT_INT_EQ(task_store_save(s, &r), -ERANGE);
        r.first_seen = 0;

        long_id = malloc(TASK_STORE_MAX_NAME + 2);
        memset(long_id, 'a', TASK_STORE_MAX_NAME + 1);
        long_id[TASK_STORE_MAX_NAME + 1] = '\0';
        free(r.task_id);
        r.task_id = strdup(long_id);
        ASSERT_INT_EQ(task_store_save(s, &r), -ENAMETOOLONG);
        free(r.task_id);
        r.task_id = strdup("");
        ASSERT_INT_EQ(task_store_save(s, &r), -EINVAL);

        listing = dir_listing();
        ASSERT_STR_EQ(listing, "");
        task_record_done(&r);
        teardown();
}

static void test_remove(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *r = NULL, *got = NULL;

        setup();
        s = open_store();
        ASSERT_OK(task_record_new(&r, "T-1"));
        ASSERT_OK(task_store_save(s, r));
        ASSERT_INT_EQ(task_store_remove(s, "T-1"), 1);
        ASSERT_INT_EQ(task_store_remove(s, "T-1"), 0);
        ASSERT_INT_EQ(task_store_load(s, "T-1", &got, NULL), -ENOENT);
        teardown();
}

static void test_sync_covers_saves_and_removals_and_is_idle_without_them(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL, *ro = NULL;
        _cleanup_(task_record_freep) TaskRecord *r = NULL, *got = NULL;

        setup();
        s = open_store();
        ASSERT_OK(task_store_sync(s)); /* nothing saved yet */
        ASSERT_OK(task_record_new(&r, "T-1"));
        ASSERT_OK(task_store_save(s, r));
        ASSERT_OK(task_store_sync(s));
        ASSERT_OK(task_store_sync(s)); /* synced already */
        ASSERT_OK(task_store_save(s, r));
        ASSERT_INT_EQ(task_store_remove(s, "T-1"), 1);
        ASSERT_OK(task_store_sync(s));
        ASSERT_OK(task_store_save(s, r));
        s = task_store_free(s); /* syncs what is left */

        ASSERT_OK(task_store_open_readonly(&ro, tmp, NULL));
        ASSERT_OK(task_store_load(ro, "T-1", &got, NULL));
        ASSERT_OK(task_store_sync(ro)); /* a reader has nothing to sync */
        teardown();
}

/* ---- reading ------------------------------------------------------------------------------- */

static void test_missing_record_is_enoent(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        TaskRecord *got = NULL;
        char *reason = NULL;

        setup();
        s = open_store();
        ASSERT_INT_EQ(task_store_load(s, "T-1", &got, &reason), -ENOENT);
        ASSERT_NULL(got);
        ASSERT_NULL(reason);
        teardown();
}

static void test_unknown_keys_are_ignored_and_optional_keys_default(void) {
        static const char json[] =
                "{\"future\":{\"a\":[1,2,{\"b\":null}]},\"version\":1,\"task_id\":\"T-1\","
                "\"have_baseline\":true,\"snapshot\":{\"state\":\"paused\",\"new\":3,"
                "\"instances\":[{\"id\":\"i-2\",\"x\":1},{\"id\":\"i-1\",\"status\":\"success\"}]},"
                "\"last_error\":null}";
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *got = NULL;

        setup();
        s = open_store();
        write_file("T-1.json", json, strlen(json));
        ASSERT_OK(task_store_load(s, "T-1", &got, NULL));
        ASSERT_TRUE(got->have_baseline);
        ASSERT_TRUE(!got->lost);
        ASSERT_TRUE(!got->timeout_reported);
        ASSERT_U64_EQ(got->first_seen, 0);
        ASSERT_NULL(got->last_error);
        ASSERT_NULL(got->snapshot.stage);
        ASSERT_INT_EQ(got->snapshot.phase, TASK_PHASE_PAUSED);
        ASSERT_INT_EQ(got->snapshot.n_instances, 2);
        ASSERT_STR_EQ(got->snapshot.instances[0].id, "i-1");
        ASSERT_STR_EQ(got->snapshot.instances[1].status, "");
        ASSERT_INT_EQ(got->snapshot.n_succeeded, 1);
        ASSERT_INT_EQ(got->snapshot.n_pending, 1);
        teardown();
}

typedef struct BadFile {
        const char *contents;
        size_t len; /* 0: strlen */
        const char *reason;
} BadFile;

#define GOOD_HEAD "{\"version\":1,\"task_id\":\"T-1\",\"have_baseline\":true,"

static char *deep_nesting(void) {
        StrBuf b = {};

        strbuf_appendf(&b, "%s\"x\":", GOOD_HEAD);
        for (int i = 0; i < 100000; i++)
                strbuf_append(&b, "[", 1);
        return strbuf_steal(&b);
}

static void test_bad_files_are_moved_aside_and_named(void) {
        _cleanup_(freep) char *deep = deep_nesting();
        const BadFile bad[] = {
                { GOOD_HEAD "\"snapshot\":{\"state\":\"runn", 0, "truncated JSON" },
                { "\x89PNG garbage \x01\x02", 0, "invalid JSON" },
                { "", 0, "empty file" },
                { "[1,2]", 0, "not a JSON object but an array" },
                { "{\"version\":2,\"task_id\":\"T-1\",\"whatever\":[]}", 0,
                  "format version 2 is newer than this taskwatchd reads (1)" },
                { "{\"version\":0,\"task_id\":\"T-1\"}", 0, "unknown format version 0" },
                { "{\"task_id\":\"T-1\",\"have_baseline\":false}", 0, "has no \"version\"" },
                { "{\"version\":\"1\"}", 0, "at version: expected an integer, got a string" },
                { GOOD_HEAD "\"snapshot\":{}}\0", sizeof(GOOD_HEAD "\"snapshot\":{}}"),
                  "contains a NUL byte" },
                { GOOD_HEAD "\"snapshot\":{\"state\":\"a\\u0000b\"}}", 0,
                  "contains an escaped NUL" },
                { deep, 0, "nested deeper than 32 levels" },
                { "{\"version\":1,\"task_id\":\"T-1\",\"have_baseline\":\"yes\"}", 0,
                  "at have_baseline: expected a boolean, got a string" },
                { "{\"version\":1,\"task_id\":\"T-1\"}", 0, "has no \"have_baseline\"" },
                { "{\"version\":1,\"have_baseline\":false}", 0, "has no \"task_id\"" },
                { "{\"version\":1,\"task_id\":7,\"have_baseline\":false}", 0,
                  "at task_id: expected a string, got a number" },
                { GOOD_HEAD "\"first_seen_usec\":-1,\"snapshot\":{}}", 0,
                  "at first_seen_usec: expected a non-negative integer" },
                { GOOD_HEAD "\"last_poll_usec\":1.5,\"snapshot\":{}}", 0,
                  "at last_poll_usec: expected a non-negative integer, got another number" },
                { GOOD_HEAD "\"hooks_done\":[\"a\",null],\"snapshot\":{}}", 0,
                  "at hooks_done[1]: expected a string, got null" },
                { GOOD_HEAD "\"snapshot\":{\"instances\":[{\"id\":\"i-1\"},{\"status\":\"x\"}]}}",
                  0, "snapshot.instances[1] has no \"id\"" },
                { GOOD_HEAD "\"snapshot\":{\"instances\":[{\"id\":1}]}}", 0,
                  "at snapshot.instances[0].id: expected a string, got a number" },
                { GOOD_HEAD "\"snapshot\":{\"instances\":{}}}", 0,
                  "at snapshot.instances: expected an array, got an object" },
                { GOOD_HEAD "\"snapshot\":{\"state\":[]}}", 0,
                  "at snapshot.state: expected a string, got an array" },
                { GOOD_HEAD "\"snapshot\":{\"instances\":[{\"id\":\"b\"},{\"id\":\"a\"},"
                            "{\"id\":\"b\"}]}}",
                  0, "snapshot.instances[2] repeats the id of snapshot.instances[0]" },
                { GOOD_HEAD "\"task_id\":\"T-1\",\"snapshot\":{}}", 0,
                  "at task_id: duplicate key" },
                { GOOD_HEAD "\"lost\":false}", 0, "has a baseline but no \"snapshot\"" },
                { "{\"version\":1,\"task_id\":\"T-2\",\"have_baseline\":false}", 0,
                  "holds the record of another task" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(task_store_freep) TaskStore *s = NULL;
                _cleanup_(task_record_freep) TaskRecord *r = NULL, *got = NULL, *again = NULL;
                _cleanup_(freep) char *reason = NULL;
                const char *c = bad[i].contents;

                setup();
                s = open_store();
                write_file("T-1.json", c, bad[i].len ? bad[i].len : strlen(c));
                ASSERT_INT_EQ(task_store_load(s, "T-1", &got, &reason), -EBADMSG);
                ASSERT_NULL(got);
                ASSERT_NOT_NULL(reason);
                if (!strstr(reason, bad[i].reason) || !strstr(reason, tasks) ||
                    !strstr(reason, "T-1.json: ") || !strstr(reason, "moved aside to "))
                        TEST_FAIL_("case %zu: reason \"%s\" lacks \"%s\"", i, reason,
                                   bad[i].reason);
                if (strchr(reason, '\n'))
                        TEST_FAIL_("case %zu: reason spans lines: %s", i, reason);
                ASSERT_TRUE(!exists("T-1.json"));
                ASSERT_INT_EQ(count_prefix("T-1.json.corrupt-"), 1);

                /* The daemon starts the task afresh; the next save and load work. */
                ASSERT_OK(task_record_new(&r, "T-1"));
                ASSERT_OK(task_store_save(s, r));
                ASSERT_OK(task_store_load(s, "T-1", &again, NULL));
                teardown();
        }
}

static void test_oversized_file_is_refused(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(freep) char *reason = NULL;
        TaskRecord *got = NULL;
        char path[256];

        setup();
        s = open_store();
        snprintf(path, sizeof path, "%s/T-1.json", tasks);
        write_file("T-1.json", "{", 1);
        ASSERT_INT_EQ(truncate(path, (off_t) TASK_STORE_MAX_FILE + 1), 0);
        ASSERT_INT_EQ(task_store_load(s, "T-1", &got, &reason), -EBADMSG);
        ASSERT_TRUE(strstr(reason, "larger than the limit") != NULL);
        ASSERT_INT_EQ(count_prefix("T-1.json.corrupt-"), 1);
        teardown();
}

static void test_a_directory_or_symlink_in_place_of_the_file_is_moved_aside(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(freep) char *reason = NULL, *reason2 = NULL;
        TaskRecord *got = NULL;
        char path[256];

        setup();
        s = open_store();
        snprintf(path, sizeof path, "%s/T-1.json", tasks);
        ASSERT_INT_EQ(mkdir(path, 0700), 0);
        ASSERT_INT_EQ(task_store_load(s, "T-1", &got, &reason), -EBADMSG);
        ASSERT_TRUE(strstr(reason, "not a regular file") != NULL);

        ASSERT_INT_EQ(symlink("/etc/passwd", path), 0);
        ASSERT_INT_EQ(task_store_load(s, "T-1", &got, &reason2), -EBADMSG);
        ASSERT_TRUE(strstr(reason2, "cannot open") != NULL);
        ASSERT_INT_EQ(count_prefix("T-1.json.corrupt-"), 2);
        ASSERT_NULL(got);
        teardown();
}

static void test_list_skips_temp_corrupt_and_foreign_names(void) {
        static const char *const ids[] = { "x y", "T-1", "a/b", ".hidden" };
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(strv_freep) char **got = NULL, **none = NULL;
        char path[256];

        setup();
        s = open_store();
        ASSERT_INT_EQ(task_store_list(s, &none), 0);
        ASSERT_NOT_NULL(none);
        ASSERT_NULL(none[0]);

        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                _cleanup_(task_record_freep) TaskRecord *r = NULL;
                ASSERT_OK(task_record_new(&r, ids[i]));
                ASSERT_OK(task_store_save(s, r));
        }
        write_file("#tmp-0011223344556677", "{", 1);
        write_file("T-9.json.corrupt-1700000000000000", "{", 1);
        write_file("notes.txt", "x", 1);
        write_file("A%41.json", "{}", 2);    /* not how "AA" is spelled */
        write_file("bad%zz.json", "{}", 2);  /* not an encoding at all */
        write_file("nul%00.json", "{}", 2);
        write_file(".json", "{}", 2);
        snprintf(path, sizeof path, "%s/dir.json", tasks);
        ASSERT_INT_EQ(mkdir(path, 0700), 0);

        ASSERT_INT_EQ(task_store_list(s, &got), 4);
        ASSERT_STR_EQ(got[0], ".hidden");
        ASSERT_STR_EQ(got[1], "T-1");
        ASSERT_STR_EQ(got[2], "a/b");
        ASSERT_STR_EQ(got[3], "x y");
        ASSERT_NULL(got[4]);
        teardown();
}

/* ---- opening ------------------------------------------------------------------------------- */

static void test_open_errors_name_the_path(void) {
        TaskStore *s = NULL;
        char path[256], *reason = NULL;

        setup();
        /* A missing parent is a wrong path, not something to create. */
        snprintf(path, sizeof path, "%s/no/such", tmp);
        ASSERT_INT_EQ(task_store_open(&s, path, &reason), -ENOENT);
        ASSERT_NULL(s);
        ASSERT_TRUE(reason && strstr(reason, path) && strstr(reason, "No such file"));
        free(reason);

        /* The state directory is a file. */
        snprintf(path, sizeof path, "%s/file", tmp);
        ASSERT_INT_EQ(close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0);
        ASSERT_INT_EQ(task_store_open(&s, path, &reason), -ENOTDIR);
        ASSERT_TRUE(reason && strstr(reason, path));
        free(reason);
        teardown();
}

static void test_open_refuses_a_tasks_file_and_an_unwritable_dir(void) {
        TaskStore *s = NULL;
        char *reason = NULL;

        setup();
        ASSERT_INT_EQ(close(open(tasks, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0);
        ASSERT_INT_EQ(task_store_open(&s, tmp, &reason), -ENOTDIR);
        ASSERT_TRUE(reason && strstr(reason, tasks) && strstr(reason, "Not a directory"));
        free(reason);
        reason = NULL;
        ASSERT_INT_EQ(unlink(tasks), 0);

        /* root passes every permission check: only an unprivileged run can test this. */
        if (geteuid() != 0) {
                ASSERT_INT_EQ(mkdir(tasks, 0500), 0);
                ASSERT_INT_EQ(task_store_open(&s, tmp, &reason), -EACCES);
                ASSERT_TRUE(reason && strstr(reason, "not writable"));
                free(reason);
        }
        ASSERT_NULL(s);
        teardown();
}

static void test_a_second_writer_is_refused(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL, *ro = NULL;
        TaskStore *second = NULL;
        char *reason = NULL;

        setup();
        s = open_store();
        ASSERT_INT_EQ(task_store_open(&second, tmp, &reason), -EBUSY);
        ASSERT_NULL(second);
        ASSERT_TRUE(reason && strstr(reason, "in use by another process") && strstr(reason, tasks));
        free(reason);
        /* Readers do not take the lock. */
        ASSERT_OK(task_store_open_readonly(&ro, tmp, NULL));
        /* Released with the store. */
        s = task_store_free(s);
        ASSERT_OK(task_store_open(&second, tmp, NULL));
        task_store_free(second);
        teardown();
}

static void test_creates_a_missing_state_dir(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        char path[256];
        struct stat st;

        setup();
        snprintf(path, sizeof path, "%s/state", tmp);
        ASSERT_OK(task_store_open(&s, path, NULL));
        ASSERT_INT_EQ(stat(path, &st), 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0700);
        ASSERT_TRUE(strstr(task_store_path(s), "/state/tasks") != NULL);
        teardown();
}

static void test_readonly_open_creates_and_moves_nothing(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL, *ro = NULL;
        _cleanup_(task_record_freep) TaskRecord *r = NULL, *got = NULL;
        _cleanup_(strv_freep) char **ids = NULL;
        _cleanup_(freep) char *reason = NULL, *reason2 = NULL, *listing = NULL;
        TaskStore *none = NULL;
        TaskRecord *bad = NULL;

        setup();
        ASSERT_INT_EQ(task_store_open_readonly(&none, tmp, &reason), -ENOENT);
        ASSERT_NULL(none);
        ASSERT_TRUE(reason && strstr(reason, tasks));
        ASSERT_TRUE(access(tasks, F_OK) < 0 && errno == ENOENT);

        s = open_store();
        ASSERT_OK(task_record_new(&r, "T-1"));
        ASSERT_OK(task_store_save(s, r));
        write_file("T-2.json", "{\"version\":", 11);

        ASSERT_OK(task_store_open_readonly(&ro, tmp, NULL));
        ASSERT_INT_EQ(task_store_list(ro, &ids), 2);
        ASSERT_OK(task_store_load(ro, "T-1", &got, NULL));
        ASSERT_STR_EQ(got->task_id, "T-1");
        ASSERT_INT_EQ(task_store_load(ro, "T-2", &bad, &reason2), -EBADMSG);
        ASSERT_TRUE(strstr(reason2, "truncated JSON; left in place") != NULL);
        ASSERT_INT_EQ(task_store_save(ro, r), -EROFS);
        ASSERT_INT_EQ(task_store_remove(ro, "T-1"), -EROFS);
        listing = dir_listing();
        ASSERT_STR_EQ(listing, "T-1.json T-2.json");
        teardown();
}

static void test_hook_keys_are_kept_once(void) {
        TaskRecord r;

        ASSERT_OK(task_record_init(&r, "T-1"));
        ASSERT_INT_EQ(hook_ledger_add_done(task_record_own_hooks(&r), "k"), 1);
        ASSERT_INT_EQ(hook_ledger_add_done(task_record_own_hooks(&r), "k"), 0);
        ASSERT_INT_EQ(r.hooks->n_done, 1);
        ASSERT_OK(task_record_set_last_error(&r, "e"));
        ASSERT_STR_EQ(r.last_error, "e");
        ASSERT_OK(task_record_set_last_error(&r, NULL));
        ASSERT_NULL(r.last_error);
        task_record_done(&r);
        ASSERT_NULL(r.task_id);
}

/* ---- pending hook runs --------------------------------------------------------------------- */

static Event instance_failed(const char *instance) {
        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);

        e.task_id = "T-1";
        e.cluster_id = "c-1";
        e.task_type = "nodepool_scaleout";
        e.task_state = "running";
        e.instance_id = instance;
        e.instance_status = "failed";
        e.instance_previous_status = "initial";
        e.error_code = "E\"1\"";
        e.error_message = AWKWARD_TEXT;
        e.request_id = "not kept";
        return e;
}

static void test_pending_hooks_share_their_input_and_finish_into_done(void) {
        static const char reply1[] = "{\"task_id\":\"T-1\",\"state\":\"running\"}";
        static const char reply2[] = "{\"task_id\":\"T-1\",\"state\":\"failed\"}";
        Event a = instance_failed("i-1"), b = instance_failed("i-2"), c = EVENT_INIT(EVENT_TASK_FAILED);
        const TaskPendingHook *p;
        TaskRecord r;
        Event back;

        c.task_id = "T-1";
        ASSERT_OK(task_record_init(&r, "T-1"));
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/instance-failed/i-1", &a, reply1), 1);
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/instance-failed/i-2", &b, reply1), 1);
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/task-failed", &c, reply2), 1);
        /* Twice the same key: once. */
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/task-failed", &c, reply2), 0);
        ASSERT_INT_EQ(r.hooks->n_pending, 3);
        ASSERT_INT_EQ(r.hooks->n_inputs, 2); /* one reply, kept once */
        ASSERT_INT_EQ(r.hooks->pending[0].input, r.hooks->pending[1].input);

        p = hook_ledger_pending(r.hooks, "T-1/instance-failed/i-2");
        ASSERT_NOT_NULL(p);
        ASSERT_STR_EQ(hook_ledger_input(r.hooks, p), reply1);
        ASSERT_OK(task_pending_hook_to_event(p, "T-1", &back));
        ASSERT_INT_EQ(back.kind, EVENT_INSTANCE_FAILED);
        ASSERT_STR_EQ(back.task_id, "T-1");
        ASSERT_STR_EQ(back.instance_id, "i-2");
        ASSERT_STR_EQ(back.instance_previous_status, "initial");
        ASSERT_STR_EQ(back.error_message, AWKWARD_TEXT);
        ASSERT_NULL(back.task_previous_state);
        ASSERT_NULL(back.request_id);
        ASSERT_INT_EQ(back.instances_failed, -1);

        /* The first of the two readers of reply1 finishing keeps it; the second drops it,
         * and reply2 is renumbered. */
        ASSERT_INT_EQ(hook_ledger_finish(r.own_hooks, "T-1/instance-failed/i-1"), 1);
        ASSERT_INT_EQ(r.hooks->n_inputs, 2);
        ASSERT_INT_EQ(hook_ledger_finish(r.own_hooks, "T-1/instance-failed/i-2"), 1);
        ASSERT_INT_EQ(r.hooks->n_pending, 1);
        ASSERT_INT_EQ(r.hooks->n_inputs, 1);
        ASSERT_STR_EQ(hook_ledger_input(r.hooks, &r.hooks->pending[0]), reply2);
        ASSERT_TRUE(hook_ledger_has_done(r.hooks, "T-1/instance-failed/i-1"));
        ASSERT_TRUE(!hook_ledger_pending(r.hooks, "T-1/instance-failed/i-1"));
        /* A key already done is never pending again. */
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/instance-failed/i-1", &a, reply1), 0);
        ASSERT_INT_EQ(hook_ledger_finish(r.own_hooks, "T-1/task-failed"), 1);
        ASSERT_INT_EQ(r.hooks->n_pending, 0);
        ASSERT_INT_EQ(r.hooks->n_inputs, 0);
        ASSERT_INT_EQ(r.hooks->n_done, 3);
        task_record_done(&r);
}

static void test_pending_hooks_round_trip_and_stay_out_of_files_without_them(void) {
        _cleanup_(task_store_freep) TaskStore *s = NULL;
        _cleanup_(task_record_freep) TaskRecord *got = NULL, *plain = NULL;
        _cleanup_(freep) char *json = NULL, *reason = NULL;
        Event a = instance_failed("i-1"), c = EVENT_INIT(EVENT_TASK_SUCCEEDED);
        TaskRecord r;
        Event back;

        setup();
        s = open_store();
        fill_record(&r, "T-1", 3);
        ASSERT_OK(task_record_to_json(&r, &json, NULL));
        ASSERT_NULL(strstr(json, "hooks_pending"));
        ASSERT_NULL(strstr(json, "hook_inputs"));
        free(TAKE_PTR(json));

        c.task_id = "T-1";
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/instance-failed/i-1", &a, AWKWARD_TEXT), 1);
        ASSERT_INT_EQ(hook_ledger_add_pending(task_record_own_hooks(&r), "T-1/task-succeeded", &c, NULL), 1);
        ASSERT_OK(task_store_save(s, &r));
        ASSERT_OK(task_store_load(s, "T-1", &got, &reason));
        ASSERT_NULL(reason);
        ASSERT_INT_EQ(got->hooks->n_done, 2);
        ASSERT_INT_EQ(got->hooks->n_pending, 2);
        ASSERT_INT_EQ(got->hooks->n_inputs, 1);
        ASSERT_STR_EQ(got->hooks->pending[0].key, "T-1/instance-failed/i-1");
        ASSERT_STR_EQ(got->hooks->pending[0].kind, "instance-failed");
        ASSERT_STR_EQ(hook_ledger_input(got->hooks, &got->hooks->pending[0]), AWKWARD_TEXT);
        for (size_t f = 0; f < _TASK_HOOK_FIELD_MAX; f++)
                if (r.hooks->pending[0].fields[f])
                        ASSERT_STR_EQ(got->hooks->pending[0].fields[f], r.hooks->pending[0].fields[f]);
                else
                        ASSERT_NULL(got->hooks->pending[0].fields[f]);
        ASSERT_INT_EQ(got->hooks->pending[1].input, TASK_HOOK_NO_INPUT);
        ASSERT_NULL(hook_ledger_input(got->hooks, &got->hooks->pending[1]));
        ASSERT_OK(task_pending_hook_to_event(&got->hooks->pending[1], "T-1", &back));
        ASSERT_INT_EQ(back.kind, EVENT_TASK_SUCCEEDED);

        /* Finished, they leave the file as it was before them. */
        ASSERT_INT_EQ(hook_ledger_finish(r.own_hooks, "T-1/instance-failed/i-1"), 1);
        ASSERT_INT_EQ(hook_ledger_finish(r.own_hooks, "T-1/task-succeeded"), 1);
        ASSERT_OK(task_store_save(s, &r));
        ASSERT_OK(task_store_load(s, "T-1", &plain, NULL));
        ASSERT_INT_EQ(plain->hooks->n_pending, 0);
        ASSERT_INT_EQ(plain->hooks->n_inputs, 0);
        ASSERT_INT_EQ(plain->hooks->n_done, 4);
        task_record_done(&r);
        teardown();
}

static void test_pending_hooks_of_unknown_kinds_and_bad_entries(void) {
        static const char future[] =
                GOOD_HEAD "\"hook_inputs\":[\"{}\"],\"hooks_pending\":[{\"key\":\"T-1/x\",\"input\":0,"
                "\"later\":true,\"event\":{\"kind\":\"task-exploded\",\"colour\":\"red\"}}],"
                "\"snapshot\":{}}";
        const BadFile bad[] = {
                { GOOD_HEAD "\"hooks_pending\":{},\"snapshot\":{}}", 0,
                  "at hooks_pending: expected an array, got an object" },
                { GOOD_HEAD "\"hooks_pending\":[{\"event\":{\"kind\":\"task-failed\"}}],"
                  "\"snapshot\":{}}", 0, "hooks_pending[0] has no \"key\"" },
                { GOOD_HEAD "\"hooks_pending\":[{\"key\":\"k\"}],\"snapshot\":{}}", 0,
                  "hooks_pending[0] has no \"event\"" },
                { GOOD_HEAD "\"hooks_pending\":[{\"key\":\"k\",\"event\":{}}],\"snapshot\":{}}", 0,
                  "hooks_pending[0].event has no \"kind\"" },
                { GOOD_HEAD "\"hooks_pending\":[{\"key\":\"k\",\"input\":0,"
                  "\"event\":{\"kind\":\"task-failed\"}}],\"snapshot\":{}}", 0,
                  "at hooks_pending[0].input: not an index into hook_inputs" },
                { GOOD_HEAD "\"hook_inputs\":[\"{}\",3],\"snapshot\":{}}", 0,
                  "at hook_inputs[1]: expected a string, got a number" },
                { GOOD_HEAD "\"hooks_pending\":[{\"key\":\"k\",\"event\":{\"kind\":\"task-failed\","
                  "\"instance_id\":4}}],\"snapshot\":{}}", 0,
                  "at hooks_pending[0].event.instance_id: expected a string, got a number" },
        };
        _cleanup_(task_record_freep) TaskRecord *got = NULL;
        _cleanup_(freep) char *reason = NULL;
        Event e;

        /* Unknown keys are ignored, an unknown kind is loaded and refused as an event. */
        ASSERT_OK(task_record_from_json(future, strlen(future), &got, &reason));
        ASSERT_INT_EQ(got->hooks->n_pending, 1);
        ASSERT_STR_EQ(hook_ledger_input(got->hooks, &got->hooks->pending[0]), "{}");
        ASSERT_INT_EQ(task_pending_hook_to_event(&got->hooks->pending[0], "T-1", &e), -EINVAL);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(task_record_freep) TaskRecord *r = NULL;
                _cleanup_(freep) char *why = NULL;

                ASSERT_INT_EQ(task_record_from_json(bad[i].contents, strlen(bad[i].contents), &r,
                                                    &why), -EBADMSG);
                ASSERT_NOT_NULL(why);
                if (!strstr(why, bad[i].reason))
                        fprintf(stderr, "# got \"%s\"\n", why);
                ASSERT_NOT_NULL(strstr(why, bad[i].reason));
        }
}

TEST_MAIN(TEST_CASE(test_round_trip_of_a_full_record),
          TEST_CASE(test_record_without_baseline_round_trips),
          TEST_CASE(test_restore_then_unchanged_reply_emits_nothing),
          TEST_CASE(test_restore_then_changed_reply_emits_what_an_uninterrupted_daemon_would),
          TEST_CASE(test_restore_refuses_another_task_and_duplicate_ids),
          TEST_CASE(test_save_leaves_no_temp_file_and_replaces_the_old_record),
          TEST_CASE(test_open_deletes_stale_temp_files_only),
          TEST_CASE(test_save_refuses_what_could_not_be_read_back),
          TEST_CASE(test_remove),
          TEST_CASE(test_sync_covers_saves_and_removals_and_is_idle_without_them),
          TEST_CASE(test_missing_record_is_enoent),
          TEST_CASE(test_unknown_keys_are_ignored_and_optional_keys_default),
          TEST_CASE(test_bad_files_are_moved_aside_and_named),
          TEST_CASE(test_oversized_file_is_refused),
          TEST_CASE(test_a_directory_or_symlink_in_place_of_the_file_is_moved_aside),
          TEST_CASE(test_list_skips_temp_corrupt_and_foreign_names),
          TEST_CASE(test_open_errors_name_the_path),
          TEST_CASE(test_open_refuses_a_tasks_file_and_an_unwritable_dir),
          TEST_CASE(test_a_second_writer_is_refused),
          TEST_CASE(test_creates_a_missing_state_dir),
          TEST_CASE(test_readonly_open_creates_and_moves_nothing),
          TEST_CASE(test_hook_keys_are_kept_once),
          TEST_CASE(test_pending_hooks_share_their_input_and_finish_into_done),
          TEST_CASE(test_pending_hooks_round_trip_and_stay_out_of_files_without_them),
          TEST_CASE(test_pending_hooks_of_unknown_kinds_and_bad_entries))
