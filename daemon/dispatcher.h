// Dispatcher: turns one verified Request into exactly one Response (docs/style.md: the
// dispatcher alone builds replies; handlers return OpResult values). The Response carries
// the Request's id and either the op's reply or an Error whose code is the symbolic errno
// ("ENOENT") and whose message names the path or device.
//
// A Request without an op is EPROTO; an op this daemon does not know (a newer host) is
// ENOSYS. Neither ends the session.
//
// The Dispatcher is split by role: session, mount and ReadDir requests here
// (dispatcher.cc), filesystem requests in dispatch_fs.cc, the lanes in dispatch_transfer.cc
// (see replies.h).
//
// One Dispatcher per connection, used from one thread (thread-compatible). It owns the
// per-connection state: the Mounter, the OS tree MountOs mounted, the record of which
// filesystem and storage modules are loaded, the storage stack (what it activated) and the
// transfer in progress.
#ifndef DISKFERRY_DAEMON_DISPATCHER_H_
#define DISKFERRY_DAEMON_DISPATCHER_H_

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string_view>

#include "daemon/daemon_context.h"
#include "daemon/handlers_os.h"
#include "daemon/handlers_session.h"
#include "daemon/modules.h"
#include "daemon/mounter.h"
#include "daemon/storage_stack.h"
#include "daemon/transfers.h"
#include "protocol/diskferry_generated.h"

namespace diskferry::daemon {

class Dispatcher {
 public:
  struct Outcome {
    flatbuffers::DetachedBuffer response;  // a finished proto::Response
    bool shutdown = false;  // the request was Shutdown: send the response, then stop
  };

  // `ctx` must outlive the Dispatcher.
  explicit Dispatcher(const DaemonContext& ctx);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // `request` must have passed VerifyRequest.
  Outcome Dispatch(const proto::Request& request);

  // A Response with `id`, no reply and Error{ErrnoName(err), message}. Used by Serve for
  // frames that fail verification (id 0, EPROTO).
  static flatbuffers::DetachedBuffer ErrorResponse(uint64_t id, int err,
                                                   std::string_view message);

 private:
  // The session, mount and ReadDir requests; nullopt for any other op.
  std::optional<Outcome> DispatchSession(const proto::Request& request);
  flatbuffers::DetachedBuffer Hello(uint64_t id, const proto::HelloRequest& request);
  flatbuffers::DetachedBuffer Ping(uint64_t id, const proto::PingRequest& request);
  flatbuffers::DetachedBuffer ListFilesystems(uint64_t id,
                                              const proto::ListFilesystemsRequest& request);
  flatbuffers::DetachedBuffer Unlock(uint64_t id, const proto::UnlockRequest& request);
  flatbuffers::DetachedBuffer Mount(uint64_t id, const proto::MountRequest& request);
  flatbuffers::DetachedBuffer Umount(uint64_t id);
  flatbuffers::DetachedBuffer MountOs(uint64_t id, const proto::MountOsRequest& request);
  // Unmounts an OS tree MountOs left at the sysroot (see handlers_os.h).
  OpResult<bool> ReleaseOsTree(std::string_view what);
  flatbuffers::DetachedBuffer ReadDir(uint64_t id, const proto::ReadDirRequest& request);
  flatbuffers::DetachedBuffer Shutdown(uint64_t id);

  const DaemonContext& ctx_;
  HelloSession hello_session_;
  FsModuleLoader loader_;
  StorageModuleLoader storage_modules_;
  StorageStack storage_;
  Mounter mounter_;
  Transfers transfers_;
  OsTreeSlot os_tree_;
};

}  // namespace diskferry::daemon

#endif  // DISKFERRY_DAEMON_DISPATCHER_H_
