#include "sinks/host_tree_walk.h"

#include <set>
#include <utility>

namespace diskferry {

Result<std::vector<HostWalkSource>> NameHostSources(
    std::vector<std::string> sources, const std::function<Status(const std::string&)>& check,
    const std::function<Result<std::string>(const std::string&)>& name_of) {
  if (sources.empty()) return Status(Code::kInvalidArgument, "nothing to copy");
  std::vector<HostWalkSource> named;
  std::set<std::string> names;
  for (std::string& source : sources) {
    if (Status s = check(source); !s.ok()) return s;
    Result<std::string> name = name_of(source);
    if (!name.ok()) return name.status();
    if (!names.insert(*name).second) {
      return Status(Code::kInvalidArgument,
                    source + ": another source has the same name \"" + *name + "\"");
    }
    named.push_back({std::move(source), std::move(*name)});
  }
  return named;
}

}  // namespace diskferry
