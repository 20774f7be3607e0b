/* A real TLS server for unit tests: a forked child on 127.0.0.1 with a throwaway certificate,
 * serving keep-alive connections, one process each. The test defines
 * tls_server_respond(ssl, path), which answers one GET (tls_server_write_all() helps). */
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <systemd/sd-event.h>

#include "util/time-util.h"

/* Every wait of a test ends by this deadline at the latest. */
#define WAIT_LIMIT (10 * USEC_PER_SEC)

static void tls_server_respond(SSL *ssl, const char *path);

static struct {
        char dir[64];
        char cert[128];
        pid_t pid; /* also the process group of everything it forked */
        int port;
        char base[64]; /* "https://127.0.0.1:PORT" */
} server;

static void tls_server_write_all(SSL *ssl, const char *data, size_t len) {
        while (len > 0) {
                int n = SSL_write(ssl, data, len > 16384 ? 16384 : (int) len);
                if (n <= 0)
                        _exit(0);
                data += n;
                len -= (size_t) n;
        }
}

static void serve_connection(SSL_CTX *ctx, int fd) {
        SSL *ssl = SSL_new(ctx);
        char buf[8192];
        size_t len = 0;

        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) <= 0)
                _exit(0);
        for (;;) {
                char *end, path[256];
                int n = SSL_read(ssl, buf + len, (int) (sizeof(buf) - 1 - len));

                if (n <= 0)
                        _exit(0);
                len += (size_t) n;
                buf[len] = '\0';
                while ((end = strstr(buf, "\r\n\r\n"))) {
                        size_t used = (size_t) (end + 4 - buf);

                        if (sscanf(buf, "GET %255s", path) != 1)
                                _exit(0);
                        tls_server_respond(ssl, path);
                        memmove(buf, buf + used, len - used + 1);
                        len -= used;
                }
                if (len == sizeof(buf) - 1)
                        _exit(0);
        }
}

static void server_run(int listen_fd, const char *cert, const char *key) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

        (void) setpgid(0, 0);
        (void) signal(SIGCHLD, SIG_IGN); /* connection processes reap themselves */
        alarm(120);                      /* never outlive a stuck test run */
        if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
                _exit(1);
        for (;;) {
                int fd = accept(listen_fd, NULL, NULL);
                if (fd < 0)
                        continue;
                if (fork() == 0) {
                        close(listen_fd);
                        serve_connection(ctx, fd);
                }
                close(fd);
        }
}

static void tls_server_stop(void) {
        char cmd[128];

        if (server.pid > 0) {
                (void) kill(-server.pid, SIGKILL);
                (void) waitpid(server.pid, NULL, 0);
        }
        if (server.dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", server.dir);
                (void) system(cmd);
        }
}

/* A throwaway certificate for 127.0.0.1 and the server, once per test run; stopped (its
 * whole process group) at exit. */
static bool tls_server_start(void) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof(a);
        char key[128], cmd[512];
        int fd;

        if (server.pid > 0)
                return true;
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return false;
        strcpy(server.dir, "/tmp/test-http-pool.XXXXXX");
        if (!mkdtemp(server.dir))
                return false;
        atexit(tls_server_stop);
        snprintf(server.cert, sizeof(server.cert), "%s/cert.pem", server.dir);
        snprintf(key, sizeof(key), "%s/key.pem", server.dir);
        snprintf(cmd, sizeof(cmd),
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout '%s' -out '%s' -days 1 -subj /CN=127.0.0.1 "
                 "-addext subjectAltName=IP:127.0.0.1 2>/dev/null",
                 key, server.cert);
        if (system(cmd) != 0)
                return false;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
            getsockname(fd, (struct sockaddr *) &a, &alen) < 0)
                return false;
        server.port = ntohs(a.sin_port);
        snprintf(server.base, sizeof(server.base), "https://127.0.0.1:%d", server.port);
        server.pid = fork();
        if (server.pid < 0)
                return false;
        if (server.pid == 0)
                server_run(fd, server.cert, key);
        close(fd); /* the kernel queues connections on the listening socket already */
        return true;
}

/* "/slow" is never answered: the connection waits for the client to give up. */
static void tls_server_wait_for_close(SSL *ssl) {
        char c;

        while (SSL_read(ssl, &c, 1) > 0)
                ;
        _exit(0);
}

/* Runs the loop until *flag, or WAIT_LIMIT; false on the deadline. */
static bool test_run_until(sd_event *e, const bool *flag) {
        usec_t deadline = now_usec(CLOCK_MONOTONIC) + WAIT_LIMIT;

        while (!*flag) {
                if (now_usec(CLOCK_MONOTONIC) >= deadline)
                        return false;
                if (sd_event_run(e, 100 * USEC_PER_MSEC) < 0)
                        return false;
        }
        return true;
}
