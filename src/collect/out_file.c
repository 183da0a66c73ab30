/*
 * file output: NDJSON appended to a file, exactly once.
 *
 * The committed position (the file's length at the last checkpoint) lives in
 * the store, in the same transaction as the window it ends. On open the file
 * is cut back to it, which removes whatever a crash left after the last
 * checkpoint; those events are fetched and written again. Rotation happens
 * right after a checkpoint: FILE becomes FILE.1 (FILE.1 FILE.2, …) and the
 * new position 0 is committed next; an interrupted rotation is recognised
 * on open by FILE being shorter than the committed position while FILE.1
 * is at least that long.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"

#define BUF_SIZE (256u * 1024u)

typedef struct {
    int fd;
    int64_t committed; /* length at the last checkpoint */
    int64_t pos;       /* length including buffered bytes */
    char *buf;
    size_t len;
} file_state;

static int fail(collect_output *o, const char *what)
{
    snprintf(o->error, sizeof(o->error), "%s: %s: %s", o->conf->path, what, strerror(errno));
    o->errors++;
    return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int drain(collect_output *o, file_state *f)
{
    if (f->len > 0 && write_all(f->fd, f->buf, f->len) != 0) {
        return fail(o, "write");
    }
    f->len = 0;
    return 0;
}

static int64_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static int file_open(collect_output *o, int64_t committed)
{
    file_state *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->buf = malloc(BUF_SIZE)) == NULL) {
        free(f);
        snprintf(o->error, sizeof(o->error), "out of memory");
        return -1;
    }
    o->state = f;
    f->fd = open(o->conf->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        return fail(o, "open");
    }
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        return fail(o, "stat");
    }
    int64_t size = st.st_size;
    int64_t pos = size;
    if (committed >= 0 && size > committed) {
        /* Written after the last checkpoint, before a crash: not delivered. */
        pos = committed;
    } else if (committed > 0 && size < committed) {
        char prev[4096];
        snprintf(prev, sizeof(prev), "%s.1", o->conf->path);
        if (size_of(prev) >= committed) {
            pos = 0; /* a rotation was interrupted after the rename */
        } else {
            snprintf(o->error, sizeof(o->error),
                     "%s is shorter (%lld bytes) than its last checkpoint (%lld): it was "
                     "truncated or replaced outside pptap; appending at its end",
                     o->conf->path, (long long)size, (long long)committed);
        }
    }
    if (pos != size && ftruncate(f->fd, pos) != 0) {
        return fail(o, "truncate");
    }
    if (lseek(f->fd, pos, SEEK_SET) < 0) {
        return fail(o, "seek");
    }
    f->committed = pos;
    f->pos = pos;
    return 0;
}

static int file_write(collect_output *o, const collect_record *r)
{
    const char *line = r->line;
    size_t n = r->len;
    file_state *f = o->state;
    if (f->len + n > BUF_SIZE && drain(o, f) != 0) {
        return -1;
    }
    if (n > BUF_SIZE) {
        if (write_all(f->fd, line, n) != 0) {
            return fail(o, "write");
        }
    } else {
        memcpy(f->buf + f->len, line, n);
        f->len += n;
    }
    f->pos += (int64_t)n;
    o->written++;
    return 0;
}

static int file_flush(collect_output *o, int64_t *position)
{
    file_state *f = o->state;
    if (drain(o, f) != 0) {
        return -1;
    }
    if (fsync(f->fd) != 0) {
        return fail(o, "fsync");
    }
    *position = f->pos;
    return 0;
}

/* FILE.(k) → FILE.(k+1) for k = keep-1 … 1, then FILE → FILE.1. */
static int rotate(collect_output *o, file_state *f)
{
    const char *path = o->conf->path;
    char from[4096], to[4096];
    int keep = o->conf->rotate_keep > 0 ? o->conf->rotate_keep : 1;
    for (int k = keep - 1; k >= 1; k--) {
        snprintf(from, sizeof(from), "%s.%d", path, k);
        snprintf(to, sizeof(to), "%s.%d", path, k + 1);
        if (rename(from, to) != 0 && errno != ENOENT) {
            return fail(o, "rotate");
        }
    }
    snprintf(to, sizeof(to), "%s.1", path);
    if (rename(path, to) != 0) {
        return fail(o, "rotate");
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(o, "open after rotation");
    }
    close(f->fd);
    f->fd = fd;
    f->pos = 0;
    f->committed = 0;
    /* Make the renames durable before the new position is committed. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
    } else {
        snprintf(dir, sizeof(dir), ".");
    }
    int dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int file_committed(collect_output *o, int64_t *position, int *changed)
{
    file_state *f = o->state;
    f->committed = *position;
    *changed = 0;
    if (o->conf->rotate_size > 0 && f->pos >= o->conf->rotate_size && f->len == 0) {
        if (rotate(o, f) != 0) {
            return -1;
        }
        *position = 0;
        *changed = 1;
    }
    return 0;
}

static int file_rollback(collect_output *o)
{
    file_state *f = o->state;
    f->len = 0;
    if (ftruncate(f->fd, f->committed) != 0) {
        return fail(o, "truncate");
    }
    if (lseek(f->fd, f->committed, SEEK_SET) < 0) {
        return fail(o, "seek");
    }
    f->pos = f->committed;
    return 0;
}

static void file_close(collect_output *o)
{
    file_state *f = o->state;
    if (f == NULL) {
        return;
    }
    if (f->fd >= 0) {
        close(f->fd);
    }
    free(f->buf);
    free(f);
    o->state = NULL;
}

const collect_output_type collect_out_file = {
    "file",
    "NDJSON appended to a file, exactly once (fsync before each checkpoint)",
    1,
    file_open,
    file_write,
    file_flush,
    file_committed,
    file_rollback,
    file_close,
};
