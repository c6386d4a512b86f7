#ifndef RECON_CSQLITETUNING_H
#define RECON_CSQLITETUNING_H

/// Turns off SQLite's memory statistics (`SQLITE_CONFIG_MEMSTATUS`) for the process: every
/// allocation and free inside SQLite otherwise takes a global mutex to count itself.
/// `sqlite3_config` is variadic, which Swift cannot call, hence this one C function.
/// Takes effect only before SQLite is first initialised (the first connection opened);
/// returns SQLITE_OK, or SQLITE_MISUSE when it came too late and changed nothing.
int recon_sqlite_disable_memory_statistics(void);

#endif
