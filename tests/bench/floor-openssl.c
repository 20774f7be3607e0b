/* The benchmark's OpenSSL floor: the task URLs fetched over one keep-alive TLS connection. */

/* The least a poll can cost over TLS: a hand-written HTTP/1.1 GET and a Content-Length
 * read, on OpenSSL alone (no libcurl, no signing, no JSON, no event loop). One connection,
 * so one handshake for the whole run; the peer is verified against CAFILE like any client.
 *
 *     floor-openssl https://HOST:PORT CAFILE ID-PREFIX TASKS REQUESTS
 *
 * GETs /tasks/<ID-PREFIX><k mod TASKS, 6 hex digits> for k < REQUESTS (the ids of
 * tests/bench's task_id()), prints one JSON line of counts and exits 1 on any failure. It
 * expects what nginx sends for a static file: a Content-Length, no chunked encoding. */

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_MAX (1024 * 1024)

static int tcp_connect(const char *host, const char *port) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
        int fd = -1, one = 1;

        if (getaddrinfo(host, port, &hints, &res) != 0)
                return -1;
        for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
                fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
                if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
                        close(fd);
                        fd = -1;
                }
        }
        freeaddrinfo(res);
        if (fd >= 0)
                /* the request goes out in one write; nothing to coalesce */
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
}

/* The value of header name in the head [buf, end), or -1. */
static long header_long(const char *buf, const char *end, const char *name) {
        size_t n = strlen(name);

        for (const char *p = memchr(buf, '\n', end - buf); p && p + 1 < end;
             p = memchr(p + 1, '\n', end - p - 1)) {
                const char *line = p + 1;
                if ((size_t) (end - line) > n + 1 && strncasecmp(line, name, n) == 0 &&
                    line[n] == ':')
                        return strtol(line + n + 1, NULL, 10);
        }
        return -1;
}

/* One GET and its whole reply; returns the HTTP status, or -1 on a broken exchange. */
static int http_get(SSL *s, const char *authority, const char *path, char *buf, size_t *bytes) {
        char req[1024];
        size_t have = 0;
        char *head_end = NULL;
        long length;

        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n\r\n",
                         path, authority);
        if (n <= 0 || (size_t) n >= sizeof req || SSL_write(s, req, n) != n)
                return -1;

        while (!head_end) {
                int r = SSL_read(s, buf + have, BUF_MAX - 1 - have);
                if (r <= 0)
                        return -1;
                have += r;
                buf[have] = 0;
                head_end = strstr(buf, "\r\n\r\n");
                if (!head_end && have >= BUF_MAX - 1)
                        return -1;
        }
        head_end += 4;
        length = header_long(buf, head_end, "Content-Length");
        if (length < 0 || (size_t) (head_end - buf) + length > BUF_MAX - 1)
                return -1;
        size_t want = (size_t) (head_end - buf) + length;
        while (have < want) {
                int r = SSL_read(s, buf + have, want - have);
                if (r <= 0)
                        return -1;
                have += r;
        }
        if (have != want)  /* one request at a time: nothing may follow the body */
                return -1;
        *bytes += length;
        return strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : -1;
}

int main(int argc, char **argv) {
        char host[256], port[16];

        if (argc != 6 || sscanf(argv[1], "https://%255[^:/]:%15[0-9]", host, port) != 2) {
                fprintf(stderr, "usage: %s https://HOST:PORT CAFILE ID-PREFIX TASKS REQUESTS\n",
                        argv[0]);
                return 2;
        }
        const char *ca = argv[2], *prefix = argv[3];
        long tasks = strtol(argv[4], NULL, 10), requests = strtol(argv[5], NULL, 10);
        if (tasks <= 0 || requests < 0) {
                fprintf(stderr, "floor-openssl: TASKS must be > 0 and REQUESTS >= 0\n");
                return 2;
        }

        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
                goto tls_error;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        int fd = tcp_connect(host, port);
        if (fd < 0) {
                fprintf(stderr, "floor-openssl: cannot connect to %s:%s\n", host, port);
                return 1;
        }
        SSL *s = SSL_new(ctx);
        if (!s || SSL_set_fd(s, fd) != 1)
                goto tls_error;
        /* check the certificate's name as a client must: an IP SAN or a host name */
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), host) != 1) {
                if (SSL_set1_host(s, host) != 1 || SSL_set_tlsext_host_name(s, host) != 1)
                        goto tls_error;
        }
        if (SSL_connect(s) != 1)
                goto tls_error;

        char *buf = malloc(BUF_MAX);
        if (!buf)
                return 1;
        char authority[300];
        snprintf(authority, sizeof authority, "%s:%s", host, port);
        size_t bytes = 0;
        long failed = 0;
        for (long k = 0; k < requests; k++) {
                char path[300];

                snprintf(path, sizeof path, "/tasks/%s%06lx", prefix, k % tasks);
                int status = http_get(s, authority, path, buf, &bytes);
                if (status < 0) {
                        fprintf(stderr, "floor-openssl: %s: broken exchange after %ld requests\n",
                                path, k);
                        return 1;  /* the one connection is gone: no point going on */
                }
                if (status != 200 && failed++ < 5)
                        fprintf(stderr, "floor-openssl: %s: HTTP %d\n", path, status);
        }

        printf("{\"requests\": %ld, \"failed\": %ld, \"bytes\": %zu}\n", requests, failed, bytes);
        SSL_shutdown(s);
        SSL_free(s);
        close(fd);
        SSL_CTX_free(ctx);
        free(buf);
        return failed ? 1 : 0;

tls_error:
        fprintf(stderr, "floor-openssl: TLS set-up failed:\n");
        ERR_print_errors_fp(stderr);
        return 1;
}
