/* System libsqlite3, used by BourseSQLite (the `sqlite` exporter). */
#ifndef BOURSE_PLUGINS_CSQLITE_SHIM_H
#define BOURSE_PLUGINS_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT casts -1 to a function pointer, which Swift cannot import. */
static inline sqlite3_destructor_type bourse_plugins_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
