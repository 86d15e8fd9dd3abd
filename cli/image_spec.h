// IMAGE[:PATH] arguments, as in `diskferry ls disk.img:/etc`. Pure; thread-compatible.
#ifndef DISKFERRY_CLI_IMAGE_SPEC_H_
#define DISKFERRY_CLI_IMAGE_SPEC_H_

#include <functional>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace diskferry {

struct ImageSpec {
  std::string image;
  std::string path = "/";  // absolute within the filesystem
};

// An argument that names an existing file is an image with path "/", even if it contains
// ':' (file_exists decides). Otherwise it splits at the last ":/" ("a.img:/etc"); a path
// that does not start with '/' is rejected, as is an empty image name.
Result<ImageSpec> ParseImageSpec(std::string_view arg,
                                 const std::function<bool(const std::string&)>& file_exists);

// Whether the UTF-8 host path names something that exists (following symlinks): the
// file_exists the commands give ParseImageSpec. Windows paths ("D:\\vm\\a.img") work there.
bool HostPathExists(const std::string& path);

}  // namespace diskferry

#endif  // DISKFERRY_CLI_IMAGE_SPEC_H_
