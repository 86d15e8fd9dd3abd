// YamlReader: the parser's helpers for walking yaml-cpp nodes into Config structs while
// recording every problem in Diagnostics. Private to jobs/manifest_parser*.cc.
//
// One reader per parse; not thread-safe.
#ifndef DISKFERRY_JOBS_YAML_READER_H_
#define DISKFERRY_JOBS_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "jobs/diagnostics.h"
#include "jobs/manifest_config.h"

namespace diskferry {

class YamlReader {
 public:
  using Keys = std::span<const std::string_view>;
  // Called for each known key of a mapping, in the order written.
  using KeyFn = std::function<void(const std::string& key, const YAML::Node& key_node,
                                   const YAML::Node& value)>;
  // Explains an unknown key that belongs elsewhere ("applies to inject jobs"); "" if not.
  using ElsewhereFn = std::function<std::string(const std::string& key)>;

  YamlReader(std::string file, Diagnostics* diagnostics)
      : file_(std::move(file)), diagnostics_(diagnostics) {}

  const std::string& file() const { return file_; }
  SourceMark MarkOf(const YAML::Node& node) const;
  void Error(const SourceMark& where, std::string message) {
    diagnostics_->Add(where, std::move(message));
  }

  // Reports "WHAT: expected a mapping, found a list" at `node` unless it is a mapping.
  // A null node counts as an empty mapping.
  bool ExpectMap(const YAML::Node& node, const SourceMark& where, std::string_view what);

  // Walks a mapping: reports keys that are not plain words, duplicate keys, and keys not in
  // `allowed` ("unknown key 'x' in WHAT (did you mean 'y'?)"); calls `fn` for the rest.
  void ForEachKey(const YAML::Node& map, Keys allowed, std::string_view what, const KeyFn& fn,
                  const ElsewhereFn& elsewhere = nullptr);

  // The value of `key`: a scalar as written. A null value reads as "" at the key's mark;
  // a list or mapping is reported and reads as present but `invalid`.
  Scalar ReadScalar(const YAML::Node& key, const YAML::Node& value);

  // A list of scalars. A null value is an empty list; a scalar or a mapping is reported.
  ScalarList ReadList(const YAML::Node& key, const YAML::Node& value);

  // One value or a list of values (`source: a.img`, `source: [a.img, b.img]`): a value is
  // the only item (`scalar` set; a null value reads as "" as ReadScalar does). A mapping,
  // or a list item that is not a value, is reported and reads as present but `invalid`.
  ScalarList ReadScalarOrList(const YAML::Node& key, const YAML::Node& value);

  // "a value", "a list", "a mapping", "nothing".
  static std::string_view KindName(const YAML::Node& node);

 private:
  std::string file_;
  Diagnostics* diagnostics_;
};

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_YAML_READER_H_
