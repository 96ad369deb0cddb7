// Which ingestion features the RocksDB the addon is built against has.
#pragma once

#include <rocksdb/version.h>

// IngestExternalFileOptions::allow_db_generated_files: ingesting SST files another DB wrote (a
// checkpoint's), as they are. Experimental upstream; enabled from the version it was verified on.
#if ROCKSDB_MAJOR > 9 || (ROCKSDB_MAJOR == 9 && ROCKSDB_MINOR >= 10)
#define RKS_HAS_DB_GENERATED_INGEST 1
#else
#define RKS_HAS_DB_GENERATED_INGEST 0
#endif
