/* The drop-in taskwatch add/remove edit: only Task= lines move, everything else is kept. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dropin.h"
#include "test.h"
#include "util/cleanup.h"

#define IDS(...) ((char *[]) { __VA_ARGS__ })
#define N_IDS(...) (sizeof((char *[]) { __VA_ARGS__ }) / sizeof(char *))

/* Edit text, return the new text (or NULL when unchanged) and changed[] in flags. */
static char *edit(const char *text, DropinOp op, char *const *ids, size_t n, bool *changed) {
        char *out = (char *) "sentinel";

        if (dropin_edit_text(text, strlen(text), op, ids, n, changed, &out) < 0)
                return (char *) "error";
        return out;
}

static void test_add_to_an_empty_file_writes_a_header_and_section(void) {
        bool ch[2];
        _cleanup_(freep) char *s = edit("", DROPIN_ADD, IDS("T-1", "T-2"), 2, ch);

        ASSERT_NOT_NULL(s);
        ASSERT_TRUE(strncmp(s, "# ", 2) == 0);
        ASSERT_NOT_NULL(strstr(s, "\n[Tasks]\nTask=T-1\nTask=T-2\n"));
        ASSERT_TRUE(ch[0] && ch[1]);
}

static void test_add_goes_after_the_last_assignment_of_the_last_tasks_section(void) {
        const char *in = "# mine\n[Tasks]\nTask=T-1\n# about T-1\n\n[Poll]\nMinInterval=1s\n";
        bool ch[1];
        _cleanup_(freep) char *s = edit(in, DROPIN_ADD, IDS("T-2"), 1, ch);

        ASSERT_STR_EQ(s, "# mine\n[Tasks]\nTask=T-1\nTask=T-2\n# about T-1\n\n[Poll]\nMinInterval=1s\n");
        ASSERT_TRUE(ch[0]);
}

static void test_add_appends_a_section_when_there_is_none(void) {
        bool ch[1];
        _cleanup_(freep) char *s = edit("[Poll]\nMinInterval=1s", DROPIN_ADD, IDS("T-9"), 1, ch);

        ASSERT_STR_EQ(s, "[Poll]\nMinInterval=1s\n\n[Tasks]\nTask=T-9\n");
}

static void test_add_after_a_last_line_without_newline(void) {
        bool ch[1];
        _cleanup_(freep) char *s = edit("[Tasks]\nTask=T-1", DROPIN_ADD, IDS("T-2"), 1, ch);

        ASSERT_STR_EQ(s, "[Tasks]\nTask=T-1\nTask=T-2\n");
}

static void test_add_never_duplicates(void) {
        const char *in = "[Tasks]\nTask = T-1 T-2\n";
        bool ch[3];
        char *s = edit(in, DROPIN_ADD, IDS("T-2", "T-1"), 2, ch);

        ASSERT_NULL(s); /* unchanged: no rewrite */
        ASSERT_TRUE(!ch[0] && !ch[1]);

        s = edit(in, DROPIN_ADD, IDS("T-3", "T-3", "T-1"), 3, ch);
        ASSERT_STR_EQ(s, "[Tasks]\nTask = T-1 T-2\nTask=T-3\n");
        ASSERT_TRUE(ch[0] && !ch[1] && !ch[2]);
        free(s);
}

static void test_add_after_a_reset_counts_only_what_follows_it(void) {
        bool ch[1];
        _cleanup_(freep) char *s = edit("[Tasks]\nTask=T-1\nTask=\n", DROPIN_ADD, IDS("T-1"), 1, ch);

        ASSERT_STR_EQ(s, "[Tasks]\nTask=T-1\nTask=\nTask=T-1\n");
        ASSERT_TRUE(ch[0]);
}

static void test_task_keys_outside_tasks_sections_are_not_ours(void) {
        const char *in = "[Other]\nTask=T-1\n";
        bool ch[1];
        _cleanup_(freep) char *s = edit(in, DROPIN_ADD, IDS("T-1"), 1, ch);

        ASSERT_STR_EQ(s, "[Other]\nTask=T-1\n\n[Tasks]\nTask=T-1\n");
        ASSERT_NULL(edit(in, DROPIN_REMOVE, IDS("T-1"), 1, ch));
        ASSERT_TRUE(!ch[0]);
}

static void test_remove_takes_out_lines_and_ids_and_keeps_the_rest(void) {
        const char *in = "\xEF\xBB\xBF# c\n[Tasks]\nTask=T-1\n; T-2 is ours\nTask = T-2 T-3  T-2\n"
                         "[Poll]\nMaxInterval=1min\n[Tasks]\nTask=T-4\r\n";
        bool ch[3];
        _cleanup_(freep) char *s = edit(in, DROPIN_REMOVE, IDS("T-2", "T-4", "T-9"), 3, ch);

        ASSERT_STR_EQ(s, "\xEF\xBB\xBF# c\n[Tasks]\nTask=T-1\n; T-2 is ours\nTask=T-3\n"
                         "[Poll]\nMaxInterval=1min\n[Tasks]\n");
        ASSERT_TRUE(ch[0] && ch[1] && !ch[2]);
}

static void test_remove_never_leaves_an_empty_assignment(void) {
        bool ch[1];
        _cleanup_(freep) char *s = edit("[Tasks]\nTask=T-1\n", DROPIN_REMOVE, IDS("T-1"), 1, ch);

        /* "Task=" would reset every task of the files read before this one */
        ASSERT_STR_EQ(s, "[Tasks]\n");
}

static void test_remove_of_an_unlisted_id_changes_nothing(void) {
        bool ch[1] = { true };

        ASSERT_NULL(edit("[Tasks]\nTask=T-1\n", DROPIN_REMOVE, IDS("T-2"), 1, ch));
        ASSERT_TRUE(!ch[0]);
        ASSERT_NULL(edit("", DROPIN_REMOVE, IDS("T-2"), 1, ch));
}

static void test_list_follows_resets_and_sections(void) {
        const char *in = "[Tasks]\nTask=T-1 T-2\nTask=\nTask=T-3\n[X]\nTask=T-8\n[ Tasks ]\nTask=T-4 T-3\n";
        _cleanup_(strv_freep) char **l = NULL;

        ASSERT_OK(dropin_list_tasks(in, strlen(in), &l));
        ASSERT_STR_EQ(l[0], "T-3");
        ASSERT_STR_EQ(l[1], "T-4");
        ASSERT_NULL(l[2]);
}

static void test_dropin_dir_of_the_default_and_a_given_path(void) {
        _cleanup_(freep) char *a = NULL, *b = NULL;

        ASSERT_OK(dropin_dir(NULL, &a));
        ASSERT_STR_EQ(a, "/etc/taskwatchd/taskwatchd.conf.d");
        ASSERT_OK(dropin_dir("/tmp/x.conf", &b));
        ASSERT_STR_EQ(b, "/tmp/x.conf.d");
}

static char *read_text(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = calloc(1, 65536);
        size_t n;

        if (!f || !buf) {
                if (f)
                        fclose(f);
                free(buf);
                return NULL;
        }
        n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static size_t count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_update_creates_edits_and_keeps_mode_without_leftovers(void) {
        char base[] = "/tmp/test-cli-dropin-XXXXXX";
        _cleanup_(freep) char *dir = NULL, *file = NULL, *path = NULL, *text = NULL, *text2 = NULL;
        bool ch[2];
        struct stat st;

        ASSERT_NOT_NULL(mkdtemp(base));
        ASSERT_TRUE(asprintf(&dir, "%s/etc/taskwatchd.conf.d", base) > 0);
        ASSERT_TRUE(asprintf(&file, "%s/%s", dir, DROPIN_NAME) > 0);

        /* remove on a missing directory: nothing to do, nothing created */
        ASSERT_OK(dropin_update(dir, DROPIN_REMOVE, IDS("T-1"), 1, ch, NULL));
        ASSERT_TRUE(!ch[0]);
        ASSERT_TRUE(access(dir, F_OK) < 0);

        /* add creates the directory and its missing parent */
        ASSERT_OK(dropin_update(dir, DROPIN_ADD, IDS("T-1", "T-2"), 2, ch, &path));
        ASSERT_STR_EQ(path, file);
        ASSERT_TRUE(ch[0] && ch[1]);
        text = read_text(file);
        ASSERT_NOT_NULL(strstr(text, "[Tasks]\nTask=T-1\nTask=T-2\n"));
        ASSERT_TRUE(stat(file, &st) >= 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0644);

        /* a mode chosen by the admin survives the rewrite */
        ASSERT_TRUE(chmod(file, 0640) >= 0);
        ASSERT_OK(dropin_update(dir, DROPIN_REMOVE, IDS("T-1"), 1, ch, NULL));
        ASSERT_TRUE(ch[0]);
        text2 = read_text(file);
        ASSERT_TRUE(strstr(text2, "Task=T-1") == NULL);
        ASSERT_NOT_NULL(strstr(text2, "Task=T-2\n"));
        ASSERT_TRUE(stat(file, &st) >= 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0640);
        ASSERT_INT_EQ(count_entries(dir), 1); /* no temporary file left behind */

        ASSERT_TRUE(unlink(file) >= 0);
        ASSERT_TRUE(rmdir(dir) >= 0);
        char etc[sizeof(base) + 8];
        snprintf(etc, sizeof(etc), "%s/etc", base);
        ASSERT_TRUE(rmdir(etc) >= 0);
        ASSERT_TRUE(rmdir(base) >= 0);
}

static void test_update_refuses_a_directory_in_the_files_place(void) {
        char base[] = "/tmp/test-cli-dropin-XXXXXX";
        char sub[sizeof(base) + sizeof(DROPIN_NAME) + 2];
        bool ch[1];

        ASSERT_NOT_NULL(mkdtemp(base));
        snprintf(sub, sizeof(sub), "%s/%s", base, DROPIN_NAME);
        ASSERT_TRUE(mkdir(sub, 0755) >= 0);
        ASSERT_INT_EQ(dropin_update(base, DROPIN_ADD, IDS("T-1"), 1, ch, NULL), -EISDIR);
        ASSERT_TRUE(rmdir(sub) >= 0);
        ASSERT_TRUE(rmdir(base) >= 0);
}

/* Hardened hosts (and sudo) keep umask 077: the unit's DynamicUser= must still read the
 * directory and the file taskwatch creates. */
static void test_update_under_umask_077_creates_0755_and_0644(void) {
        char base[] = "/tmp/test-cli-dropin-XXXXXX";
        _cleanup_(freep) char *etc = NULL, *dir = NULL, *file = NULL;
        bool ch[1];
        struct stat st;
        mode_t old = umask(077);

        ASSERT_NOT_NULL(mkdtemp(base));
        ASSERT_TRUE(asprintf(&etc, "%s/etc", base) > 0);
        ASSERT_TRUE(asprintf(&dir, "%s/taskwatchd.conf.d", etc) > 0);
        ASSERT_TRUE(asprintf(&file, "%s/%s", dir, DROPIN_NAME) > 0);
        ASSERT_OK(dropin_update(dir, DROPIN_ADD, IDS("T-1"), 1, ch, NULL));
        umask(old);
        ASSERT_TRUE(stat(etc, &st) >= 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0755);
        ASSERT_TRUE(stat(dir, &st) >= 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0755);
        ASSERT_TRUE(stat(file, &st) >= 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0644);

        /* A directory that exists keeps the mode its owner gave it. */
        ASSERT_TRUE(unlink(file) >= 0);
        ASSERT_TRUE(chmod(dir, 0750) >= 0);
        ASSERT_OK(dropin_update(dir, DROPIN_ADD, IDS("T-1"), 1, ch, NULL));
        ASSERT_TRUE(stat(dir, &st) >= 0);
        ASSERT_INT_EQ(st.st_mode & 07777, 0750);

        ASSERT_TRUE(unlink(file) >= 0);
        ASSERT_TRUE(rmdir(dir) >= 0);
        ASSERT_TRUE(rmdir(etc) >= 0);
        ASSERT_TRUE(rmdir(base) >= 0);
}

TEST_MAIN(TEST_CASE(test_add_to_an_empty_file_writes_a_header_and_section),
          TEST_CASE(test_add_goes_after_the_last_assignment_of_the_last_tasks_section),
          TEST_CASE(test_add_appends_a_section_when_there_is_none),
          TEST_CASE(test_add_after_a_last_line_without_newline),
          TEST_CASE(test_add_never_duplicates),
          TEST_CASE(test_add_after_a_reset_counts_only_what_follows_it),
          TEST_CASE(test_task_keys_outside_tasks_sections_are_not_ours),
          TEST_CASE(test_remove_takes_out_lines_and_ids_and_keeps_the_rest),
          TEST_CASE(test_remove_never_leaves_an_empty_assignment),
          TEST_CASE(test_remove_of_an_unlisted_id_changes_nothing),
          TEST_CASE(test_list_follows_resets_and_sections),
          TEST_CASE(test_dropin_dir_of_the_default_and_a_given_path),
          TEST_CASE(test_update_creates_edits_and_keeps_mode_without_leftovers),
          TEST_CASE(test_update_refuses_a_directory_in_the_files_place),
          TEST_CASE(test_update_under_umask_077_creates_0755_and_0644))
