#ifndef BOURSE_CSQLITE_SHIM_H
#define BOURSE_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
 * cannot import; expose it as a function. */
static inline sqlite3_destructor_type bourse_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* sqlite3_config is variadic; wrap the one option Bourse sets. */
static inline int bourse_sqlite_config_serialized(void) { return sqlite3_config(SQLITE_CONFIG_SERIALIZED); }
#endif
