/* System libarchive, used by BourseBarFiles to read Lean's zipped CSV files. */
#ifndef BOURSE_CARCHIVE_SHIM_H
#define BOURSE_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#endif
