/*
 * Unit tests: settings and credentials from a config file (mode checked),
 * a secret file and the environment, with precedence defaults < file <
 * environment < flags, and errors that never echo a secret.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <pptap/settings.h>

static char dir[256];

static const char *write_file(const char *name, const char *content, mode_t mode)
{
    static char path[4][512];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static void clear_env(void)
{
    static const char *const vars[] = {
        "PPTAP_BASE_URL", "PPTAP_PRINCIPAL", "PPTAP_SECRET",  "PPTAP_SECRET_FILE",    "PPTAP_PROXY",
        "PPTAP_CACERT",   "PPTAP_INSECURE",  "PPTAP_TIMEOUT", "PPTAP_CONNECT_TIMEOUT"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        unsetenv(vars[i]);
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/pptap-settings-XXXXXX");
    assert_non_null(mkdtemp(dir));
    clear_env();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            char p[600];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            assert_int_equal(unlink(p), 0);
        }
    }
    closedir(d);
    assert_int_equal(rmdir(dir), 0);
    clear_env();
    return 0;
}

static void test_config_file(void **state)
{
    (void)state;
    const char *secret = write_file("secret", "file-secret\n", 0600);
    char conf[1024];
    snprintf(conf, sizeof conf,
             "# pptap\n"
             "base_url = http://127.0.0.1:8080\n"
             "\n"
             "[collector]\n"
             "whatever = ignored here\n"
             "[tap]\n"
             "principal = \"svc\"\n"
             "secret_file = %s\n"
             "proxy = http://proxy.invalid:3128\n"
             "noproxy = localhost\n"
             "cacert = /etc/ssl/ca.pem\n"
             "insecure = yes\n"
             "timeout = 90s\n"
             "connect_timeout = 5\n",
             secret);
    const char *path = write_file("pptap.conf", conf, 0600);
    pptap_settings s = PPTAP_SETTINGS_INIT;
    assert_int_equal(pptap_settings_load_file(&s, path), 0);
    assert_string_equal(s.base_url, "http://127.0.0.1:8080");
    assert_string_equal(s.principal, "svc");
    assert_string_equal(s.secret, "file-secret");
    assert_string_equal(s.proxy, "http://proxy.invalid:3128");
    assert_string_equal(s.noproxy, "localhost");
    assert_string_equal(s.cacert, "/etc/ssl/ca.pem");
    assert_int_equal(s.insecure, 1);
    assert_int_equal(s.timeout_ms, 90000);
    assert_int_equal(s.connect_timeout_ms, 5000);
    assert_true(pptap_settings_has_credentials(&s));

    pptap_client_opts o = PPTAP_CLIENT_OPTS_INIT;
    pptap_settings_apply(&s, &o);
    assert_ptr_equal(o.secret, s.secret);
    assert_string_equal(o.principal, "svc");
    assert_int_equal(o.timeout_ms, 90000);
    assert_int_equal(o.insecure, 1);
    pptap_settings_dispose(&s);
    assert_null(s.secret);
}

static void test_config_file_refused(void **state)
{
    (void)state;
    pptap_settings s = PPTAP_SETTINGS_INIT;
    pptap_settings_set(&s, &s.principal, "kept");
    static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0660};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *path =
            write_file("open.conf", "principal = other\nsecret = hunter2\n", modes[i]);
        assert_int_equal(pptap_settings_load_file(&s, path), PPTAP_ECONFIG);
        char want[700];
        snprintf(want, sizeof want,
                 "config file \"%s\" is accessible by group or others (mode %04o); run: chmod "
                 "600 \"%s\"",
                 path, (unsigned)modes[i], path);
        assert_string_equal(s.error, want);
        assert_string_equal(s.principal, "kept"); /* unchanged on error */
        assert_null(strstr(s.error, "hunter2"));
    }
    assert_int_equal(pptap_settings_load_file(&s, "/nonexistent/pptap.conf"), PPTAP_ENOTFOUND);
    assert_non_null(strstr(s.error, "cannot open config file"));
    pptap_settings_dispose(&s);
}

static void test_config_file_errors(void **state)
{
    (void)state;
    static const struct {
        const char *content;
        const char *msg; /* after "<path>:" */
    } cases[] = {
        {"[tap]\nprincipal = a\nfoo = bar\n", "3: unknown key \"foo\""},
        {"secret hunter2\n", "1: expected key = value"},
        {"[tap\n", "1: bad section header"},
        {"insecure = maybe\n", "1: insecure must be true or false, not \"maybe\""},
        {"timeout = soon\n",
         "1: timeout must be a duration such as 30 or 90s (at most 1 d), not \"soon\""},
        {"base_url = ftp://x\n", "1: base_url must start with https:// or http://"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_file("bad.conf", cases[i].content, 0600);
        pptap_settings s = PPTAP_SETTINGS_INIT;
        assert_int_equal(pptap_settings_load_file(&s, path), PPTAP_ECONFIG);
        char want[700];
        snprintf(want, sizeof want, "%s:%s", path, cases[i].msg);
        assert_string_equal(s.error, want);
        assert_null(strstr(s.error, "hunter2"));
        assert_null(s.principal);
        pptap_settings_dispose(&s);
    }
}

static void test_secret_file(void **state)
{
    (void)state;
    pptap_settings s = PPTAP_SETTINGS_INIT;
    const char *p = write_file("s1", "abc\r\n", 0400);
    assert_int_equal(pptap_settings_load_secret_file(&s, p), 0);
    assert_string_equal(s.secret, "abc");
    p = write_file("s2", "no-newline", 0600);
    assert_int_equal(pptap_settings_load_secret_file(&s, p), 0);
    assert_string_equal(s.secret, "no-newline");
    p = write_file("s3", "", 0600);
    assert_int_equal(pptap_settings_load_secret_file(&s, p), PPTAP_ECONFIG);
    assert_non_null(strstr(s.error, "is empty"));
    p = write_file("s4", "two\nlines\n", 0600);
    assert_int_equal(pptap_settings_load_secret_file(&s, p), PPTAP_ECONFIG);
    assert_non_null(strstr(s.error, "must hold only the secret"));
    assert_null(strstr(s.error, "two"));
    p = write_file("s5", "leaky\n", 0644);
    assert_int_equal(pptap_settings_load_secret_file(&s, p), PPTAP_ECONFIG);
    assert_non_null(strstr(s.error, "accessible by group or others"));
    assert_string_equal(s.secret, "no-newline"); /* unchanged */
    pptap_settings_dispose(&s);
}

static void test_precedence(void **state)
{
    (void)state;
    const char *conf = write_file("p.conf",
                                  "principal = from-file\nsecret = file-secret\n"
                                  "base_url = https://file.invalid\ntimeout = 10\n",
                                  0600);
    pptap_settings s = PPTAP_SETTINGS_INIT;
    /* defaults */
    assert_null(s.base_url);
    /* < config file */
    assert_int_equal(pptap_settings_load_file(&s, conf), 0);
    assert_string_equal(s.principal, "from-file");
    /* < environment */
    setenv("PPTAP_PRINCIPAL", "from-env", 1);
    setenv("PPTAP_SECRET", "env-secret", 1);
    setenv("PPTAP_TIMEOUT", "2m", 1);
    setenv("PPTAP_INSECURE", "0", 1);
    assert_int_equal(pptap_settings_load_env(&s), 0);
    assert_string_equal(s.principal, "from-env");
    assert_string_equal(s.secret, "env-secret");
    assert_string_equal(s.base_url, "https://file.invalid"); /* not in env: file value stays */
    assert_int_equal(s.timeout_ms, 120000);
    /* < flags */
    assert_int_equal(pptap_settings_set(&s, &s.base_url, "http://127.0.0.1:1"), 0);
    assert_string_equal(s.base_url, "http://127.0.0.1:1");
    pptap_settings_dispose(&s);

    /* PPTAP_SECRET_FILE when PPTAP_SECRET is unset */
    unsetenv("PPTAP_SECRET");
    const char *sf = write_file("env-secret", "from-secret-file\n", 0600);
    setenv("PPTAP_SECRET_FILE", sf, 1);
    assert_int_equal(pptap_settings_load_env(&s), 0);
    assert_string_equal(s.secret, "from-secret-file");
    pptap_settings_dispose(&s);

    /* a bad environment value is refused, settings unchanged */
    setenv("PPTAP_TIMEOUT", "forever", 1);
    pptap_settings_set(&s, &s.principal, "kept");
    assert_int_equal(pptap_settings_load_env(&s), PPTAP_ECONFIG);
    assert_string_equal(s.error, "PPTAP_TIMEOUT: timeout must be a duration such as 30 or 90s (at "
                                 "most 1 d), not \"forever\"");
    assert_string_equal(s.principal, "kept");
    assert_null(s.secret);
    pptap_settings_dispose(&s);
    pptap_settings_dispose(NULL);
    clear_env();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_file),        cmocka_unit_test(test_config_file_refused),
        cmocka_unit_test(test_config_file_errors), cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_precedence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
