/* The benchmark's libcurl floor: one reused easy handle fetches the task URLs in turn. */

/* What a poll costs in libcurl and OpenSSL alone: no signing, no JSON, no event loop, and
 * unlike the curl command line no 20 000-URL config file to parse first. One easy handle
 * keeps its connection, so there is one TLS handshake for the whole run.
 *
 *     floor-libcurl BASE-URL CAFILE ID-PREFIX TASKS REQUESTS
 *
 * fetches BASE-URL/tasks/<ID-PREFIX><k mod TASKS, 6 hex digits> for k < REQUESTS (the ids
 * of tests/bench's task_id()), prints one JSON line of counts and exits 1 on any failure. */

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

static size_t body_discard(char *ptr, size_t size, size_t nmemb, void *userdata) {
        size_t *total = userdata;

        *total += size * nmemb;
        return size * nmemb;
}

int main(int argc, char **argv) {
        if (argc != 6) {
                fprintf(stderr, "usage: %s BASE-URL CAFILE ID-PREFIX TASKS REQUESTS\n", argv[0]);
                return 2;
        }
        const char *base = argv[1], *ca = argv[2], *prefix = argv[3];
        long tasks = strtol(argv[4], NULL, 10), requests = strtol(argv[5], NULL, 10);
        if (tasks <= 0 || requests < 0) {
                fprintf(stderr, "floor-libcurl: TASKS must be > 0 and REQUESTS >= 0\n");
                return 2;
        }

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return 1;
        CURL *h = curl_easy_init();
        struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
        if (!h || !headers)
                return 1;
        size_t bytes = 0;
        curl_easy_setopt(h, CURLOPT_CAINFO, ca);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_discard);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &bytes);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);

        long failed = 0;
        for (long k = 0; k < requests; k++) {
                char url[512];
                long status = 0;

                snprintf(url, sizeof url, "%s/tasks/%s%06lx", base, prefix, k % tasks);
                curl_easy_setopt(h, CURLOPT_URL, url);
                CURLcode r = curl_easy_perform(h);
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
                if (r != CURLE_OK || status != 200) {
                        if (failed++ < 5)
                                fprintf(stderr, "floor-libcurl: %s: %s, HTTP %ld\n", url,
                                        curl_easy_strerror(r), status);
                }
        }

        printf("{\"requests\": %ld, \"failed\": %ld, \"bytes\": %zu}\n", requests, failed, bytes);
        curl_slist_free_all(headers);
        curl_easy_cleanup(h);
        curl_global_cleanup();
        return failed ? 1 : 0;
}
