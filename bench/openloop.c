/* A constant-rate (open-loop) HTTP/1.1 load, for bench/pages.py: what wrk2's -R does (Debian packages no
 * wrk2, and wrk's Lua delay() parks an open connection, which a sync gunicorn worker accepts and then waits
 * on). Compiled by the bench at run time (`cc -O2`); nothing built is committed.
 *
 *   openloop HOST PORT RATE SECONDS REQUEST_FILE    requests evenly spaced at RATE/s
 *   openloop HOST PORT 0 SECONDS REQUEST_FILE       one request at a time, each sent when the last ended
 *   openloop HOST PORT RATE SECONDS REQUEST_FILE WARMUP [OUT]
 *       first sends for WARMUP seconds more without counting them (as wrk2 calibrates before it measures:
 *       the first second at a new rate runs slower while the server's processes settle); OUT gets each
 *       counted request's due time, latency and lag (ms), to see when the slow ones came
 *
 * Request i is due at start + i / RATE, whether or not earlier ones were answered. Each opens its own
 * connection at its due time (the server closes it after the answer: `Connection: close`), writes the
 * request and reads to EOF. Latency runs from the due time to the last byte, so a generator that fell
 * behind counts against the server, never for it (no coordinated omission); the lag (due time to the
 * connect call) is reported too. One thread and epoll, so the client takes little from the cores it
 * shares with the server: its CPU per request (reported) is mostly the kernel's work for the connection.
 *
 * Prints one JSON object: requests, statuses (distinct status codes; 0 = no answer), p50_ms, p99_ms,
 * lag_p99_ms, max_ms, seconds (wall time of the run), cpu_ms (this process's CPU per request).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_NS (10LL * 1000000000LL)

typedef struct {
    int64_t due, lag, latency;
    int fd, written, status, done;
    char head[16];
    int headlen;
} slot;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(int64_t *sorted, long n, double fraction) {
    if (n == 0) return 0.0;
    long k = (long)(fraction * n + 0.999999) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return sorted[k] / 1e6;
}

static char *request;
static size_t request_len;
static struct sockaddr_in address;
static int epfd;

static void finish(slot *s, int64_t t) {
    if (s->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
    }
    s->done = 1;
    s->latency = t - s->due;
}

static void open_slot(slot *s) {
    s->lag = now_ns() - s->due;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        finish(s, now_ns());
        return;
    }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
        finish(s, now_ns());
        return;
    }
    struct epoll_event event = {.events = EPOLLOUT, .data.ptr = s};
    epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &event);
}

static void on_event(slot *s, uint32_t events) {
    char buffer[65536];
    if (!s->written) {
        if (events & (EPOLLERR | EPOLLHUP)) {
            finish(s, now_ns());
            return;
        }
        ssize_t n = send(s->fd, request, request_len, MSG_NOSIGNAL);
        if (n != (ssize_t)request_len) {
            finish(s, now_ns());
            return;
        }
        s->written = 1;
        struct epoll_event event = {.events = EPOLLIN, .data.ptr = s};
        epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &event);
        return;
    }
    for (;;) {
        ssize_t n = recv(s->fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            if (s->headlen < 12) {
                int take = (int)(n < 12 - s->headlen ? n : 12 - s->headlen);
                memcpy(s->head + s->headlen, buffer, take);
                s->headlen += take;
                if (s->headlen >= 12 && memcmp(s->head, "HTTP/", 5) == 0) s->status = atoi(s->head + 9);
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) finish(s, now_ns()); /* EOF: the answer is whole */
        return;
    }
}

int main(int argc, char **argv) {
    if (argc < 6 || argc > 8) {
        fprintf(stderr, "usage: %s HOST PORT RATE SECONDS REQUEST_FILE [WARMUP [OUT]]\n", argv[0]);
        return 2;
    }
    double rate = atof(argv[3]), warmup = argc > 6 ? atof(argv[6]) : 0, seconds = atof(argv[4]) + warmup;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) return 2;
    FILE *file = fopen(argv[5], "rb");
    if (!file) return 2;
    request = malloc(65536);
    request_len = fread(request, 1, 65536, file);
    fclose(file);

    long capacity = rate > 0 ? (long)(rate * seconds) + 1 : (long)(seconds * 100000) + 1;
    slot *slots = calloc((size_t)capacity, sizeof(slot));
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event events[256];
    struct rusage usage_start, usage_end;
    getrusage(RUSAGE_SELF, &usage_start);

    int64_t start = now_ns() + 20000000LL, end = start + (int64_t)(seconds * 1e9);
    long scheduled = 0, finished = 0, total = rate > 0 ? (long)(rate * seconds) : -1;
    double interval = rate > 0 ? 1e9 / rate : 0;
    int in_flight = 0;
    for (;;) {
        int64_t t = now_ns();
        if (rate > 0) {
            while (scheduled < total && start + (int64_t)(scheduled * interval) <= t) {
                slot *s = &slots[scheduled];
                s->due = start + (int64_t)(scheduled * interval);
                scheduled++;
                in_flight++;
                open_slot(s);
                if (s->done) { in_flight--; finished++; }
            }
        } else if (in_flight == 0 && t < end && scheduled < capacity) {
            slot *s = &slots[scheduled++];
            s->due = t > start ? t : start;
            if (s->due > t) { struct timespec ts = {0, (long)(s->due - t)}; nanosleep(&ts, NULL); }
            in_flight++;
            open_slot(s);
            if (s->done) { in_flight--; finished++; }
        }
        if (in_flight == 0 && (rate > 0 ? scheduled >= total : t >= end || scheduled >= capacity)) break;
        /* Wait for an answer, or until the next request is due. */
        struct timespec timeout = {0, 0}, *wait = NULL;
        int64_t next = rate > 0 && scheduled < total ? start + (int64_t)(scheduled * interval) : t + 100000000LL;
        int64_t gap = next - now_ns();
        if (gap < 0) gap = 0;
        timeout.tv_sec = gap / 1000000000LL;
        timeout.tv_nsec = gap % 1000000000LL;
        wait = &timeout;
        int n = epoll_pwait2(epfd, events, 256, wait, NULL);
        for (int i = 0; i < n; i++) {
            slot *s = events[i].data.ptr;
            on_event(s, events[i].events);
            if (s->done) { in_flight--; finished++; }
        }
        /* A request with no answer after the timeout is given up (status 0). */
        if (n == 0 && in_flight > 0) {
            int64_t t2 = now_ns();
            for (long k = 0; k < scheduled; k++) {
                if (!slots[k].done && t2 - slots[k].due > TIMEOUT_NS) {
                    finish(&slots[k], t2);
                    in_flight--;
                    finished++;
                }
            }
        }
    }
    int64_t wall = now_ns() - start;
    getrusage(RUSAGE_SELF, &usage_end);
    double cpu = (usage_end.ru_utime.tv_sec - usage_start.ru_utime.tv_sec) * 1e3 +
                 (usage_end.ru_utime.tv_usec - usage_start.ru_utime.tv_usec) / 1e3 +
                 (usage_end.ru_stime.tv_sec - usage_start.ru_stime.tv_sec) * 1e3 +
                 (usage_end.ru_stime.tv_usec - usage_start.ru_stime.tv_usec) / 1e3;

    int64_t counted_from = start + (int64_t)(warmup * 1e9);
    int64_t *latency = malloc(sizeof(int64_t) * (size_t)(scheduled ? scheduled : 1));
    int64_t *lag = malloc(sizeof(int64_t) * (size_t)(scheduled ? scheduled : 1));
    int statuses[16], distinct = 0;
    long n = 0;
    for (long k = 0; k < scheduled; k++) {
        if (slots[k].due < counted_from) continue; /* the warm-up */
        latency[n] = slots[k].latency;
        lag[n] = slots[k].lag;
        n++;
        int seen = 0;
        for (int d = 0; d < distinct; d++) seen |= statuses[d] == slots[k].status;
        if (!seen && distinct < 16) statuses[distinct++] = slots[k].status;
    }
    if (argc == 8) { /* every counted request: due time from the start (ms), latency (ms), lag (ms) */
        FILE *dump = fopen(argv[7], "w");
        for (long k = 0; dump && k < n; k++)
            fprintf(dump, "%.3f %.3f %.3f\n", (slots[scheduled - n + k].due - counted_from) / 1e6 /* the warm-up is a prefix */, latency[k] / 1e6, lag[k] / 1e6);
        if (dump) fclose(dump);
    }
    qsort(latency, (size_t)n, sizeof(int64_t), cmp64);
    qsort(lag, (size_t)n, sizeof(int64_t), cmp64);
    printf("{\"requests\": %ld, \"statuses\": [", n);
    for (int d = 0; d < distinct; d++) printf("%s%d", d ? ", " : "", statuses[d]);
    printf("], \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"lag_p99_ms\": %.3f, \"max_ms\": %.3f, \"seconds\": %.3f, "
           "\"cpu_ms\": %.4f}\n",
           pct_ms(latency, n, 0.50), pct_ms(latency, n, 0.99), pct_ms(lag, n, 0.99), n ? latency[n - 1] / 1e6 : 0.0,
           wall / 1e9, scheduled ? cpu / scheduled : 0.0);
    return 0;
}
