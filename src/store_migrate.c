/*
 * store_migrate: applies the schema migrations (sql/NNN_*.sql) in order,
 * once each, under an advisory lock. tetherctl migrate is its caller.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_db.h"
#include "util.h"

/* ---- migrations ---- */

static int
migration_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 8 && name[0] >= '0' && name[0] <= '9' && name[1] >= '0' &&
	    name[1] <= '9' && name[2] >= '0' && name[2] <= '9' && name[3] == '_' &&
	    strcmp(name + len - 4, ".sql") == 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the sorted migration file names of dir (caller frees each and
 * the array), or NULL with *n = 0 if dir cannot be read. */
static char **
list_migrations(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (!migration_name_ok(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (names == NULL)
		names = xcalloc(1, sizeof(*names));
	qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static char *
read_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap + 1);
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
	} while (got > 0);
	if (ferror(fp)) {
		free(buf);
		buf = NULL;
	} else
		buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* Applies one migration file in its own transaction, unless recorded. */
static enum store_err
apply_one(const char *dir, const char *name, FILE *out)
{
	char version[4] = { name[0], name[1], name[2], '\0' };
	const char *v[] = { version };
	char *path = xasprintf("%s/%s", dir, name), *sql = NULL;
	enum store_err err;
	PGresult *res = NULL;

	if ((err = db_tx("BEGIN")) != STORE_OK)
		goto out;
	if ((res = db_run(S_MIGRATION_APPLIED, 1, v, &err)) == NULL)
		goto out;
	if (PQntuples(res) == 1)
		goto out; /* already applied */
	if ((sql = read_file(path)) == NULL) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		err = STORE_NOTFOUND;
		goto out;
	}
	if (!db_exec(sql, out, name)) {
		err = STORE_CONFLICT;
		goto out;
	}
	PQclear(res);
	if ((res = db_run(S_MIGRATION_RECORD, 1, v, &err)) == NULL)
		goto out;
	fprintf(out, "applied %s\n", name);
out:
	PQclear(res);
	if (err == STORE_OK)
		err = db_tx("COMMIT");
	else if (db_in_tx())
		(void)db_tx("ROLLBACK");
	free(sql);
	free(path);
	return err;
}

enum store_err
store_migrate(const char *dir, FILE *out)
{
	char **names;
	size_t i, n;
	enum store_err err = STORE_OK;

	/* The lock below is a session's, and a migration may need a session
	 * of its own: neither survives transaction pooling. */
	if (db_pooled()) {
		fprintf(out, "database_pooler = transaction: migrations need a direct "
		             "connection (run tetherctl migrate with database_url naming the "
		             "database itself and database_pooler = none)\n");
		return STORE_CONFLICT;
	}
	if (dir[0] == '\0') {
		fprintf(out, "sql_dir is empty: it names the directory of the migrations\n");
		return STORE_NOTFOUND;
	}
	if ((names = list_migrations(dir, &n)) == NULL) {
		fprintf(out, "%s: %s\n", dir, strerror(errno));
		return STORE_NOTFOUND;
	}
	/* An empty directory is the wrong one (an old install's, say), not a
	 * schema that is up to date. */
	if (n == 0) {
		fprintf(out, "%s: no migrations (NNN_name.sql) in it\n", dir);
		err = STORE_NOTFOUND;
		goto out;
	}
	if (!db_connect()) {
		err = STORE_UNAVAILABLE;
		goto out;
	}
	/* Why a lock: two hosts running migrate at once must not both apply. */
	if (!db_exec("SELECT pg_advisory_lock(7364001)", out, "lock") ||
	    !db_exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
	             "version text PRIMARY KEY, applied_at timestamptz NOT NULL)",
	        out, "schema_migrations")) {
		/* Still connected: the server refused (the app role, say). */
		err = db_connect() ? STORE_CONFLICT : STORE_UNAVAILABLE;
		goto out;
	}
	for (i = 0; i < n && err == STORE_OK; i++)
		err = apply_one(dir, names[i], out);
	(void)db_exec("SELECT pg_advisory_unlock(7364001)", out, "unlock");
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}
