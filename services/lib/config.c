/* config.c - settings table: defaults, file, environment, --set. See config.h. */
#include "arbejdspligt/config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arbejdspligt/buf.h"
#include "arbejdspligt/events.h"

/* A key's row: its own name, or a property family whose prefix it extends. */
static const ap_setting_t *find(const ap_setting_t *t, size_t n, const char *name, size_t len) {
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(t[i].name);
        if (t[i].type != AP_SET_PROPERTIES && l == len && strncmp(t[i].name, name, len) == 0) return &t[i];
        if (t[i].type == AP_SET_PROPERTIES && len > l && strncmp(t[i].name, name, l) == 0) return &t[i];
    }
    return NULL;
}

/* Reads a one-line secret (a password) from path into out with
 * ap_config_read_secret (mode 600, never echoed): its line end, also a
 * Windows one, is not part of it. On failure out is wiped.
 * @return 0; -1 with err set (unreadable); -2 if it is not one line. */
static int read_line_secret(const char *path, char *out, size_t outlen, char *err, size_t errlen) {
    size_t len = 0;
    int rc = 0;
    if (ap_config_read_secret(path, out, outlen - 1, &len, err, errlen)) rc = -1;
    else if (len > 0 && out[len - 1] == '\r') len--;
    if (!rc && (len == 0 || memchr(out, '\n', len) || memchr(out, '\r', len) || memchr(out, '\0', len))) rc = -2;
    if (rc) memset(out, 0, outlen); /* nothing of a refused secret stays around */
    else out[len] = '\0';
    return rc;
}

/* A secret setting's file: the value is the password on one line. */
static int read_secret(const ap_setting_t *s, char *dst, const char *path, const char *origin, char *err,
                       size_t errlen) {
    char why[300];
    if (!*path) { /* "" unsets */
        dst[0] = '\0';
        return 0;
    }
    int rc = read_line_secret(path, dst, s->size, why, sizeof why);
    if (rc == -1) snprintf(err, errlen, "%s (from %s): %s", s->name, origin, why);
    else if (rc) snprintf(err, errlen, "%s (from %s): %s must hold the secret on one line", s->name, origin, path);
    return rc ? -1 : 0;
}

/* Adds NAME=VALUE to a property family's lines, replacing an earlier NAME. */
static int set_property(const ap_setting_t *s, char *dst, const char *name, const char *value, const char *origin,
                        char *err, size_t errlen) {
    size_t nlen = strlen(name);
    int ok = nlen > 0;
    for (const char *c = name; *c; c++)
        ok &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '_' || *c == '-';
    if (!ok || strchr(value, '\n')) {
        snprintf(err, errlen, "%s%.60s (from %s): not a property name and one-line value", s->name, name, origin);
        return -1;
    }
    /* Drop an earlier line of this name. */
    for (char *line = dst; *line;) {
        char *end = strchr(line, '\n');
        size_t llen = end ? (size_t)(end - line) + 1 : strlen(line);
        if (strncmp(line, name, nlen) == 0 && line[nlen] == '=') memmove(line, line + llen, strlen(line + llen) + 1);
        else line += llen;
    }
    size_t used = strlen(dst);
    if (used + nlen + strlen(value) + 2 >= s->size) {
        snprintf(err, errlen, "%s%.60s (from %s): the %s properties exceed %zu characters", s->name, name, origin,
                 s->name, s->size - 1);
        return -1;
    }
    snprintf(dst + used, s->size - used, "%s=%s\n", name, value);
    return 0;
}

int ap_config_property_next(const char *props, size_t *pos, char *name, size_t namelen, char *value,
                            size_t valuelen) {
    const char *line = props + *pos;
    if (!*line) return 0;
    const char *eq = strchr(line, '='), *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    if (!eq || eq > end) eq = end;
    snprintf(name, namelen, "%.*s", (int)(eq - line), line);
    snprintf(value, valuelen, "%.*s", (int)(eq < end ? end - eq - 1 : 0), eq < end ? eq + 1 : eq);
    *pos = (size_t)(end - props) + (*end ? 1 : 0);
    return 1;
}

/* Applies key = value from a file or --set (a secret's value there is the
 * path of its file; a property family's key carries the property name). */
static int apply(const ap_setting_t *s, void *settings, const char *key, const char *value, const char *origin,
                 char *err, size_t errlen) {
    char *dst = (char *)settings + s->offset;
    if (s->type == AP_SET_SECRET) return read_secret(s, dst, value, origin, err, errlen);
    if (s->type == AP_SET_PROPERTIES) return set_property(s, dst, key + strlen(s->name), value, origin, err, errlen);
    if (s->type == AP_SET_STRING) {
        if (strlen(value) >= s->size) {
            snprintf(err, errlen, "%s (from %s) is longer than %zu characters", s->name, origin, s->size - 1);
            return -1;
        }
        memcpy(dst, value, strlen(value) + 1);
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < s->min || v > s->max) {
        snprintf(err, errlen, "%s (from %s) must be an integer in %ld..%ld, got \"%.40s\"", s->name, origin, s->min,
                 s->max, value);
        return -1;
    }
    *(int *)dst = (int)v;
    return 0;
}

int ap_config_set(const ap_setting_t *table, size_t n, void *settings, const char *name, const char *value,
                  char *err, size_t errlen) {
    const ap_setting_t *s = find(table, n, name, strlen(name));
    if (!s) {
        snprintf(err, errlen, "unknown setting \"%.60s\"", name);
        return -1;
    }
    return apply(s, settings, name, value, "--set", err, errlen);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) *--e = '\0';
    return s;
}

static int load_file(const ap_setting_t *table, size_t n, void *settings, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open configuration file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024], origin[300];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        /* A line longer than the buffer: its tail must not be read as a
         * line of its own (a long comment ending in "key=value" set it). */
        int whole = strchr(line, '\n') != NULL || feof(f);
        if (!whole) {
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n') {}
        }
        char *l = trim(line);
        if (*l == '#') continue;
        if (!whole) {
            snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno, sizeof line - 2);
            rc = -1;
            break;
        }
        if (*l == '\0') continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(l), *value = trim(eq + 1);
        const ap_setting_t *s = find(table, n, key, strlen(key));
        if (!s) {
            snprintf(err, errlen, "%s:%d: unknown setting \"%.60s\"", path, lineno, key);
            rc = -1;
            break;
        }
        snprintf(origin, sizeof origin, "%.250s:%d", path, lineno);
        rc = apply(s, settings, key, value, origin, err, errlen);
    }
    fclose(f);
    return rc;
}

void ap_config_print_help(const ap_setting_t *table, size_t n, const char *usage, FILE *out) {
    fprintf(out, "%s\n\nSettings (file key / environment variable, default):\n", usage);
    for (size_t i = 0; i < n; i++) {
        const ap_setting_t *s = &table[i];
        char key[96], env[96];
        if (s->type == AP_SET_PROPERTIES) {
            snprintf(key, sizeof key, "%sNAME", s->name);
            snprintf(env, sizeof env, "%sNAME", s->env);
        } else {
            snprintf(key, sizeof key, "%s", s->name);
            snprintf(env, sizeof env, s->type == AP_SET_SECRET ? "%s[_FILE]" : "%s", s->env);
        }
        /* A secret's default is never shown (there is none to show). */
        const char *def = s->type == AP_SET_SECRET ? "(secret: a file, or the environment)"
                          : s->type == AP_SET_PROPERTIES ? "(none)"
                          : s->def ? s->def : "(required)";
        fprintf(out, "  %-26s %-28s %s\n      %s\n", key, env, def, s->help);
    }
    fprintf(out, "\nPrecedence: default < --config FILE (or AP_CONFIG) < environment < --set key=value\n");
}

/* Environment variables of a property family: PREFIX_NAME_PARTS -> name.parts. */
static int load_env_properties(const ap_setting_t *s, void *settings, char *err, size_t errlen) {
    extern char **environ;
    size_t plen = strlen(s->env);
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (strncmp(*e, s->env, plen) != 0 || !eq || (size_t)(eq - *e) <= plen) continue;
        char key[160];
        size_t klen = strlen(s->name), nlen = (size_t)(eq - *e) - plen;
        if (klen + nlen >= sizeof key) {
            snprintf(err, errlen, "%.60s...: name too long", *e);
            return -1;
        }
        memcpy(key, s->name, klen);
        for (size_t i = 0; i < nlen; i++) {
            char c = (*e)[plen + i];
            key[klen + i] = c == '_' ? '.' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        key[klen + nlen] = '\0';
        char origin[160];
        snprintf(origin, sizeof origin, "%.*s", (int)(eq - *e), *e);
        if (apply(s, settings, key, eq + 1, origin, err, errlen)) return -1;
    }
    return 0;
}

/* A secret from the environment: ENV holds it, ENV_FILE names its file. */
static int load_env_secret(const ap_setting_t *s, void *settings, char *err, size_t errlen) {
    char file_env[128];
    snprintf(file_env, sizeof file_env, "%s_FILE", s->env);
    const char *v = getenv(s->env), *path = getenv(file_env);
    char *dst = (char *)settings + s->offset;
    if (v && !*v) v = NULL; /* VAR= is unset, as a shell user means it */
    if (path && !*path) path = NULL;
    if (v && path) {
        snprintf(err, errlen, "%s: both %s and %s are set; give one", s->name, s->env, file_env);
        return -1;
    }
    if (path) return read_secret(s, dst, path, file_env, err, errlen);
    if (!v) return 0;
    if (strlen(v) >= s->size) {
        snprintf(err, errlen, "%s (from %s) is longer than %zu bytes", s->name, s->env, s->size - 1);
        return -1;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int ap_config_load_env(const ap_setting_t *table, size_t n, void *settings, const char *file, char *err,
                       size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        if (table[i].type == AP_SET_SECRET || table[i].type == AP_SET_PROPERTIES)
            memset((char *)settings + table[i].offset, 0, table[i].size);
        else if (table[i].def && apply(&table[i], settings, table[i].name, table[i].def, "default", err, errlen))
            return -1;
    }
    if (file && *file && load_file(table, n, settings, file, err, errlen)) return -1;
    for (size_t i = 0; i < n; i++) {
        const ap_setting_t *s = &table[i];
        const char *v = s->type == AP_SET_STRING || s->type == AP_SET_INT ? getenv(s->env) : NULL;
        if (s->type == AP_SET_SECRET && load_env_secret(s, settings, err, errlen)) return -1;
        if (s->type == AP_SET_PROPERTIES && load_env_properties(s, settings, err, errlen)) return -1;
        if (v && apply(s, settings, s->name, v, s->env, err, errlen)) return -1;
    }
    return 0;
}

int ap_config_check_required(const ap_setting_t *table, size_t n, const void *settings, char *err, size_t errlen) {
    /* Required settings without a default must have been given somewhere. */
    for (size_t i = 0; i < n; i++)
        if (!table[i].def && table[i].type == AP_SET_STRING && ((const char *)settings + table[i].offset)[0] == '\0') {
            snprintf(err, errlen, "setting %s (%s) is required", table[i].name, table[i].env);
            return -1;
        }
    return 0;
}

void ap_config_print_version(FILE *out, int prog_len, const char *prog) {
    fprintf(out, "%.*s %s\n", prog_len, prog, ap_events_engine_version());
}

int ap_config_load(const ap_setting_t *table, size_t n, void *settings, int argc, char **argv, FILE *out,
                   const char *usage, char *err, size_t errlen) {
    const char *file = getenv("AP_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            ap_config_print_help(table, n, usage, out);
            return 1;
        }
        if (strcmp(argv[i], "--version") == 0) {
            /* The program is the usage line's second word ("usage: ap-processor ..."). */
            const char *prog = strchr(usage, ' ');
            prog = prog ? prog + 1 : usage;
            ap_config_print_version(out, (int)strcspn(prog, " "), prog);
            return 1;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) file = argv[++i];
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) i++;
        else {
            snprintf(err, errlen, "unknown argument \"%.60s\" (see --help)", argv[i]);
            return -1;
        }
    }
    if (ap_config_load_env(table, n, settings, file, err, errlen)) return -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--set") != 0) continue;
        char *kv = argv[++i], *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, errlen, "--set expects key=value, got \"%.60s\"", kv);
            return -1;
        }
        *eq = '\0';
        int rc = ap_config_set(table, n, settings, kv, eq + 1, err, errlen);
        *eq = '=';
        if (rc) return -1;
    }
    return ap_config_check_required(table, n, settings, err, errlen);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Reads a whole (small) file into out. @return 0 or -1. */
static int read_file(const char *path, ap_buf_t *out) {
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;
    if (!f) return -1;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) ap_buf_append(out, chunk, n);
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

int ap_config_load_writer_schemas(const char *dir, int *n, char *err, size_t errlen) {
    char **names = NULL;
    size_t count = 0, cap = 0;
    ap_buf_t text = AP_BUF_INIT, path = AP_BUF_INIT;
    int rc = -1;
    if (n) *n = 0;
    if (!dir || !*dir) return 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "schemas.writers_dir %s: %s", dir, strerror(errno));
        return -1;
    }
    /* Name order, so every instance registers the same schemas the same way. */
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".avsc") != 0) continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            if (!(names = realloc(names, cap * sizeof *names))) abort();
        }
        if (!(names[count++] = strdup(e->d_name))) abort();
    }
    closedir(d);
    if (count) qsort(names, count, sizeof *names, cmp_names);
    for (size_t i = 0; i < count; i++) {
        ap_codec_error_t cerr;
        ap_buf_reset(&path);
        ap_buf_appendf(&path, "%s/%s", dir, names[i]);
        ap_buf_reset(&text);
        if (read_file(path.data, &text)) {
            snprintf(err, errlen, "%s: %s", path.data, strerror(errno));
            goto cleanup;
        }
        if (ap_events_add_writer(text.data, text.len, path.data, &cerr)) {
            snprintf(err, errlen, "%s", cerr.msg);
            goto cleanup;
        }
    }
    if (n) *n = (int)count;
    rc = 0;
cleanup:
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    ap_buf_free(&text);
    ap_buf_free(&path);
    return rc;
}

int ap_config_read_secret(const char *path, void *out, size_t cap, size_t *len, char *err, size_t errlen) {
    *len = 0;
    if (!path || !*path) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open secret file %.200s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    int rc = -1;
    if (fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "cannot stat secret file %.200s: %s", path, strerror(errno));
    } else if (st.st_mode & 077) {
        snprintf(err, errlen, "secret file %.200s may be read by others (mode %03o): chmod 600 it", path,
                 (unsigned)(st.st_mode & 0777));
    } else {
        size_t n = fread(out, 1, cap, f);
        int more = fgetc(f) != EOF;
        if (n > 0 && ((unsigned char *)out)[n - 1] == '\n' && !more) n--;
        if (more) snprintf(err, errlen, "secret file %.200s is longer than %zu bytes", path, cap);
        else if (n == 0) snprintf(err, errlen, "secret file %.200s is empty", path);
        else *len = n, rc = 0;
    }
    fclose(f);
    return rc;
}

int ap_config_read_password(const char *file, const char *env, char *out, size_t outlen, char *err, size_t errlen) {
    const char *value = env ? getenv(env) : NULL;
    out[0] = '\0';
    if (!file || !*file) {
        if (!value) return 0;
        if (strlen(value) >= outlen) {
            snprintf(err, errlen, "%s is longer than %zu characters", env, outlen - 1);
            return -1;
        }
        memcpy(out, value, strlen(value) + 1);
        return 0;
    }
    if (value) {
        snprintf(err, errlen, "both %s and a password file (%.200s) are set: give one", env, file);
        return -1;
    }
    int rc = read_line_secret(file, out, outlen, err, errlen);
    if (rc == -2) snprintf(err, errlen, "password file %.200s must hold the password on one line", file);
    return rc ? -1 : 0;
}
