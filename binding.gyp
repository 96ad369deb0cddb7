{
  # node-gyp build of the addon (the install-time fallback of node-gyp-build, and what
  # prebuildify runs): the same sources and flags as CMakeLists.txt. RocksDB comes from
  # Debian's librocksdb (default) or, with the environment variable ROCKSDB_BUILD=bundled,
  # from the static release build of scripts/build-bundled-rocksdb.sh.
  "variables": {
    "rocksdb_build%": "<!(node -p \"process.env.ROCKSDB_BUILD || 'system'\")"
  },
  "targets": [
    {
      "target_name": "rocksdb_keyed_state",
      "sources": [
        "native/addon.cc",
        "native/block_cache.cc",
        "native/checkpoint.cc",
        "native/clock.cc",
        "native/compression.cc",
        "native/database.cc",
        "native/errors.cc",
        "native/file_digest.cc",
        "native/file_lock.cc",
        "native/iterator.cc",
        "native/memory_budget.cc",
        "native/options_file_objects.cc",
        "native/parent_directories.cc",
        "native/snapshot.cc",
        "native/snapshot_stream.cc",
        "native/snappy_codec.cc",
        "native/sst_writer.cc",
        "native/write_batch.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "RKS_ROCKSDB_BUILD=\"<(rocksdb_build)\""
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden", "-fvisibility-inlines-hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["rocksdb_build=='bundled'", {
          "variables": { "rocksdb_dir": "<!(bash scripts/build-bundled-rocksdb.sh --print-dir)" },
          "include_dirs": ["<(rocksdb_dir)/include"],
          "libraries": [
            "<(rocksdb_dir)/lib/librocksdb.a",
            "<(rocksdb_dir)/lib/libzstd.a",
            "<(rocksdb_dir)/lib/liblz4.a",
            "<(rocksdb_dir)/lib/libsnappy.a",
            "<(rocksdb_dir)/lib/libz.a",
            "-lpthread",
            "-ldl",
            "-Wl,--exclude-libs,ALL"
          ]
        }, {
          "cflags": ["<!@(pkg-config --cflags rocksdb libzstd)"],
          "libraries": ["<!@(pkg-config --libs rocksdb libzstd)", "-lsnappy", "-ldl"]
        }]
      ]
    }
  ]
}
