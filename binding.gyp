{
  # node-gyp build of the addon (the install-time fallback of node-gyp-build): the same
  # sources and flags as CMakeLists.txt, linked against the system librocksdb.
  "targets": [
    {
      "target_name": "rocksdb_keyed_state",
      "sources": [
        "native/addon.cc",
        "native/checkpoint.cc",
        "native/clock.cc",
        "native/database.cc",
        "native/errors.cc",
        "native/iterator.cc",
        "native/memory_budget.cc",
        "native/snapshot.cc",
        "native/sst_writer.cc",
        "native/write_batch.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_CPP_EXCEPTIONS",
        "RKS_ROCKSDB_BUILD=\"system\""
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs rocksdb)"],
      "cflags": ["<!@(pkg-config --cflags rocksdb)"]
    }
  ]
}
