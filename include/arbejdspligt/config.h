/*
 * config.h - service settings as one declarative table (after Fluent Bit's
 * config_map): each setting has a name, an environment variable, a type, a
 * default, where it lives in the settings struct and what it is for. The same
 * table loads, validates and prints --help.
 *
 * Precedence, lowest first: default, configuration file (key = value lines,
 * '#' comments), environment variable, command-line `--set key=value`.
 */
#ifndef AP_CONFIG_H
#define AP_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/*
 * AP_SET_SECRET: a password or key. Its key (file, --set) names a file that
 * holds it, read at load (first line; a trailing newline is dropped); its
 * environment variable holds the value itself, and ENV_FILE a file. So a
 * secret never has to be on the command line, and it is never printed:
 * not by --help, not in an error message.
 * AP_SET_PROPERTIES: a family of keys under a prefix ("kafka.property."):
 * every key PREFIXNAME = VALUE is collected into the field as "NAME=VALUE"
 * lines (a later source replaces an earlier one's NAME). Its environment
 * prefix (e.g. AP_KAFKA_PROPERTY_) takes NAME upper-cased with '_' for '.'
 * (AP_KAFKA_PROPERTY_SOCKET_KEEPALIVE_ENABLE=true).
 */
typedef enum ap_setting_type { AP_SET_STRING, AP_SET_INT, AP_SET_SECRET, AP_SET_PROPERTIES } ap_setting_type_t;

typedef struct ap_setting {
    const char *name;   /* key in the file and for --set, e.g. "kafka.brokers" */
    const char *env;    /* environment variable, e.g. "AP_KAFKA_BROKERS" */
    ap_setting_type_t type;
    const char *def;    /* default as text; NULL means required */
    size_t offset;      /* offsetof in the settings struct */
    size_t size;        /* strings: buffer size; ints: sizeof(int) */
    long min, max;      /* ints: accepted range */
    const char *help;
} ap_setting_t;

/**
 * @brief Fills settings from defaults, an optional file, the environment and
 * --set arguments (argv as given to main; `--config FILE` names the file,
 * else AP_CONFIG). Unknown keys and out-of-range values are errors.
 * @return 0, 1 if --help or --version was asked (printed to out), or -1 with err set.
 */
int ap_config_load(const ap_setting_t *table, size_t n, void *settings, int argc, char **argv, FILE *out,
                   const char *usage, char *err, size_t errlen);

/** @brief Prints "<program> <engine version>" (--version), e.g. "ap-processor 0.1.0/format-4". */
void ap_config_print_version(FILE *out, int prog_len, const char *prog);

/** @brief Prints the settings table as help text. */
void ap_config_print_help(const ap_setting_t *table, size_t n, const char *usage, FILE *out);

/** @brief Sets one setting by name from text. @return 0, or -1 with err set. */
int ap_config_set(const ap_setting_t *table, size_t n, void *settings, const char *name, const char *value,
                  char *err, size_t errlen);

/**
 * @brief For tools with their own arguments (apctl, ap-generate): fills
 * settings from defaults, file (NULL: none) and the environment; the caller
 * then applies its options with ap_config_set and checks with
 * ap_config_check_required. @return 0, or -1 with err set.
 */
int ap_config_load_env(const ap_setting_t *table, size_t n, void *settings, const char *file, char *err,
                       size_t errlen);

/** @return 0 when every required setting has a value, or -1 with err naming the first missing one. */
int ap_config_check_required(const ap_setting_t *table, size_t n, const void *settings, char *err, size_t errlen);

/**
 * @brief Iterates the "NAME=VALUE" lines of an AP_SET_PROPERTIES field:
 * *pos starts at 0. @return 1 with name and value copied (NUL-terminated,
 * truncated to their sizes), or 0 at the end.
 */
int ap_config_property_next(const char *props, size_t *pos, char *name, size_t namelen, char *value,
                            size_t valuelen);

/**
 * @brief Registers every writer schema file (name ending .avsc) in dir (setting
 * schemas.writers_dir), in name order, with ap_events_add_writer: a
 * publisher's newer compatible schema version is then resolved instead of
 * dead-lettered. Call after ap_events_init. "" loads nothing. On success
 * *n (may be NULL) is the number of files read.
 * @return 0, or -1 with err set (unreadable directory or file, or a schema
 *         the current one cannot read: refuse to start).
 */
int ap_config_load_writer_schemas(const char *dir, int *n, char *err, size_t errlen);

/**
 * @brief Reads a secret (a key, a password) from the file path into out
 * (at most cap bytes; one trailing newline dropped), for `..._file`
 * settings: secrets never need the command line. A file that its group or
 * others may read is refused (chmod 600), and nothing of the content is
 * ever put into err. "" reads nothing (*len = 0).
 * @return 0, or -1 with err set.
 */
int ap_config_read_secret(const char *path, void *out, size_t cap, size_t *len, char *err, size_t errlen);

/**
 * @brief Reads a password (e.g. Redis's): the one line of the file named
 * `file` (a setting such as redis.password_file, read with
 * ap_config_read_secret, so mode 600) or, when file is "" or NULL,
 * environment variable `env`. A password is never a setting itself, so it
 * never appears on a command line (--set is visible to every local user),
 * in a configuration file or in --help. Both given is refused: which one
 * wins would be a guess.
 * @return 0 with the password in out ("" when neither is given), or -1 with
 *         err set; err names the file or variable, never the password.
 */
int ap_config_read_password(const char *file, const char *env, char *out, size_t outlen, char *err, size_t errlen);

#endif
