#ifndef BOURSE_CARCHIVE_SHIM_H
#define BOURSE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
