// Database methods that work on files: checkpoints, live-file metadata, ingestion and
// dropping whole files in a key range.
#include <rocksdb/convenience.h>
#include <rocksdb/metadata.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/utilities/checkpoint.h>

#include "args.h"
#include "async.h"
#include "database.h"
#include "errors.h"
#include "ingest_features.h"
#include "latest_write_time.h"
#include "parent_directories.h"

namespace rks {

namespace {

struct CheckpointWork : WorkBase {
  Database* db;
  std::string directory;
  uint64_t sequenceNumber = 0;
  rocksdb::Status Execute() {
    rocksdb::Status status = MakeParentDirectories(directory);
    if (!status.ok()) return status;
    rocksdb::Checkpoint* checkpoint = nullptr;
    status = rocksdb::Checkpoint::Create(db->ttlDb(), &checkpoint);
    if (!status.ok()) return status;
    // log_size_for_flush = 0: flush memtables first; with the WAL off they hold unwritten data.
    status = checkpoint->CreateCheckpoint(directory, 0, &sequenceNumber);
    delete checkpoint;
    return status;
  }
  Napi::Value Result(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("directory", directory);
    result.Set("sequenceNumber", double(sequenceNumber));
    return result;
  }
};

CheckpointWork PrepareCheckpoint(Database* db, const Napi::CallbackInfo& info) {
  db->CheckWritable(info.Env());
  CheckpointWork work;
  work.db = db;
  work.directory = StringArg(info[0], "directory");
  return work;
}

// Files must fit the family's TTL like every other write (Database::WriteTime): a value
// stamped so late that write time + TTL passes 2038 would be deleted by the next compaction.
struct IngestWork : WorkBase {
  Database* db;
  FamilyUse family;
  std::vector<std::string> files;
  rocksdb::IngestExternalFileOptions options;
  std::string ttlRefusal;  // set instead of ingesting when a file does not fit the TTL
  rocksdb::Status Execute() {
    const ColumnFamily& target = family.family();
    if (target.ttlSeconds > 0) {
      rocksdb::Options fileOptions(db->base()->GetDBOptions(), db->base()->GetOptions(family.handle()));
      for (const auto& file : files) {
        ttlRefusal = TtlRefusalFor(target.name, target.ttlSeconds, LatestWriteTimeOf(fileOptions, file));
        if (!ttlRefusal.empty()) return rocksdb::Status::OK();
      }
    }
    return db->ttlDb()->IngestExternalFile(family.handle(), files, options);
  }
  Napi::Value Result(Napi::Env env) {
    if (!ttlRefusal.empty()) throw MakeError(env, "TimestampOverflow", ttlRefusal);
    return env.Undefined();
  }

  // A file that cannot be read is left to the ingestion to report.
  static int64_t LatestWriteTimeOf(const rocksdb::Options& options, const std::string& file) {
    rocksdb::SstFileReader reader(options);
    if (!reader.Open(file).ok()) return INT32_MIN;
    int64_t latest = INT32_MIN;
    if (RecordedLatestWriteTime(*reader.GetTableProperties(), &latest)) return latest;
    std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
    return ReadLatestWriteTime(it.get(), latest);
  }
};

struct DeleteFilesInRangeWork : WorkBase {
  Database* db;
  FamilyUse family;
  std::string begin, end;
  rocksdb::Status Execute() {
    rocksdb::Slice beginSlice(begin), endSlice(end);
    rocksdb::RangePtr range(&beginSlice, &endSlice);
    return rocksdb::DeleteFilesInRanges(db->base(), family.handle(), &range, 1, false);
  }
  Napi::Value Result(Napi::Env env) { return env.Undefined(); }
};

}  // namespace

Napi::Value Database::Checkpoint(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), this, Value(), "rocksdb-keyed-state:checkpoint", PrepareCheckpoint(this, info));
}

// An incremental snapshot's synchronous part: the checkpoint holds exactly the writes made before
// this call, because no JavaScript runs until it returns (flush plus hard links: short).
Napi::Value Database::CheckpointSync(const Napi::CallbackInfo& info) {
  CheckpointWork work = PrepareCheckpoint(this, info);
  CheckStatus(info.Env(), work.Execute());
  return work.Result(info.Env());
}

Napi::Value Database::LiveFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  std::vector<rocksdb::LiveFileMetaData> files;
  base_->GetLiveFilesMetaData(&files);
  Napi::Array result = Napi::Array::New(env, files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& file = files[i];
    Napi::Object entry = Napi::Object::New(env);
    std::string name = file.relative_filename;
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    entry.Set("name", name);
    entry.Set("directory", file.directory);
    entry.Set("fileNumber", double(file.file_number));
    entry.Set("columnFamily", file.column_family_name);
    entry.Set("level", file.level);
    entry.Set("size", double(file.size));
    entry.Set("smallestKey", Napi::Buffer<char>::Copy(env, file.smallestkey.data(), file.smallestkey.size()));
    entry.Set("largestKey", Napi::Buffer<char>::Copy(env, file.largestkey.data(), file.largestkey.size()));
    entry.Set("smallestSeqno", double(file.smallest_seqno));
    entry.Set("largestSeqno", double(file.largest_seqno));
    entry.Set("entries", double(file.num_entries));
    entry.Set("deletions", double(file.num_deletions));
    result.Set(uint32_t(i), entry);
  }
  return result;
}

Napi::Value Database::Ingest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  IngestWork work;
  work.db = this;
  ColumnFamilyArg(info[0]);
  if (!info[1].IsArray()) ThrowTypeError(env, "files must be an array of paths");
  Napi::Array files = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < files.Length(); ++i) work.files.push_back(StringArg(files.Get(i), "file path"));
  Napi::Object options = ObjectArg(info[2], "options");
  work.options.move_files = BoolOption(options, "moveFiles", false);
  // Files may come from before the DB's newest writes; let RocksDB place them correctly.
  work.options.allow_global_seqno = true;
  work.options.allow_blocking_flush = true;
  // dbGeneratedFiles: files another DB wrote, all keys at sequence number 0, overlapping nothing
  // in the column family; ingested as they are, never rewritten (so no global seqno either).
  if (BoolOption(options, "dbGeneratedFiles", false)) {
#if RKS_HAS_DB_GENERATED_INGEST
    work.options.allow_db_generated_files = true;
    work.options.allow_global_seqno = false;
    work.options.write_global_seqno = false;
#else
    throw MakeError(env, "NotSupported", "this RocksDB cannot ingest files another DB wrote (needs 9.10 or later)");
#endif
  }
  CheckWritable(env);  // again: a getter of the arrays above may have closed the database
  work.family = UseFamily(info[0]);
  return RunAsync(env, this, Value(), "rocksdb-keyed-state:ingest", std::move(work));
}

Napi::Value Database::DeleteFilesInRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckWritable(env);
  DeleteFilesInRangeWork work;
  work.db = this;
  ColumnFamilyArg(info[0]);
  work.begin = BytesArg(info[1], "begin").ToString();
  work.end = BytesArg(info[2], "end").ToString();
  CheckRange(env, work.begin, work.end, "deleteFilesInRange");
  work.family = UseFamily(info[0]);
  return RunAsync(env, this, Value(), "rocksdb-keyed-state:deleteFilesInRange", std::move(work));
}

}  // namespace rks
