// nbdkit plugin "diskferry-ewf": serves the medium of one E01/Ex01 image read-only
// (README.md). Plugin API v2.
//
//   nbdkit --readonly --unix SOCK nbdkit-diskferry-ewf-plugin.so file=FIRST_SEGMENT
//
// The image is opened once, at configuration, so that a bad image makes nbdkit exit with
// the libewf error before it listens; every connection shares that one handle, so the
// thread model serializes all requests (libewf handles are not reentrant).
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "ewf/ewf_image.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS

namespace {

std::string g_file;
std::unique_ptr<diskferry::EwfImage> g_image;
int g_handle_tag;  // the per-connection handle: there is no per-connection state

int EwfConfig(const char* key, const char* value) {
  if (std::strcmp(key, "file") != 0) {
    nbdkit_error("unknown parameter '%s' (expected file=FIRST_SEGMENT)", key);
    return -1;
  }
  g_file = value;
  return 0;
}

int EwfConfigComplete() {
  if (g_file.empty()) {
    nbdkit_error("file=FIRST_SEGMENT is required");
    return -1;
  }
  std::string error;
  g_image = diskferry::EwfImage::Open(g_file, &error);
  if (!g_image) {
    nbdkit_error("%s", error.c_str());
    return -1;
  }
  return 0;
}

void EwfUnload() { g_image.reset(); }

void* EwfOpen(int /*readonly*/) { return &g_handle_tag; }

int64_t EwfGetSize(void* /*handle*/) { return static_cast<int64_t>(g_image->media_size()); }

int EwfCanWrite(void* /*handle*/) { return 0; }

// The media never changes while served: clients may cache.
int EwfCanCache(void* /*handle*/) { return NBDKIT_CACHE_EMULATE; }

int EwfPread(void* /*handle*/, void* buf, uint32_t count, uint64_t offset, uint32_t /*flags*/) {
  std::string error;
  if (!g_image->Read(buf, count, offset, &error)) {
    nbdkit_error("%s", error.c_str());
    errno = EIO;
    return -1;
  }
  return 0;
}

nbdkit_plugin MakePlugin() {
  nbdkit_plugin p{};
  p.name = "diskferry-ewf";
  p.longname = "diskferry's E01 evidence reader (libewf)";
  p.version = DISKFERRY_VERSION;
  p.description = "Serves an Expert Witness (E01/Ex01) image read-only";
  p.config = EwfConfig;
  p.config_complete = EwfConfigComplete;
  p.config_help = "file=FIRST_SEGMENT  the .E01 (or .Ex01) file; the others are found by name";
  p.unload = EwfUnload;
  p.open = EwfOpen;
  p.get_size = EwfGetSize;
  p.can_write = EwfCanWrite;
  p.can_cache = EwfCanCache;
  p.pread = EwfPread;
  p.errno_is_preserved = 1;
  return p;
}

nbdkit_plugin g_plugin = MakePlugin();

}  // namespace

NBDKIT_REGISTER_PLUGIN(g_plugin)
