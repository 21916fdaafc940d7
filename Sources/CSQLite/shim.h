#ifndef BOURSE_CSQLITE_SHIM_H
#define BOURSE_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
 * cannot import; expose it as a function. */
static inline sqlite3_destructor_type bourse_sqlite_transient(void) { return SQLITE_TRANSIENT; }

/* sqlite3_config is variadic; wrap the one option Bourse sets. */
static inline int bourse_sqlite_config_serialized(void) { return sqlite3_config(SQLITE_CONFIG_SERIALIZED); }
/* sqlite3_db_config is variadic too: no checkpoint when the last connection
 * closes (the WAL is checkpointed automatically as it grows), which saves two
 * fsyncs per short-lived bourse command. */
static inline int bourse_sqlite_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
#endif
