#include "jobs/yaml_reader.h"

#include <map>

#include "jobs/did_you_mean.h"
#include "jobs/manifest_keys.h"

namespace diskferry {

SourceMark YamlReader::MarkOf(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return SourceMark{file_, 0, 0};
  return SourceMark{file_, mark.line + 1, mark.column + 1};
}

std::string_view YamlReader::KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "nothing";
}

bool YamlReader::ExpectMap(const YAML::Node& node, const SourceMark& where, std::string_view what) {
  if (node.IsMap() || node.IsNull()) return true;
  Error(where, std::string(what) + ": expected a mapping, found " + std::string(KindName(node)));
  return false;
}

void YamlReader::ForEachKey(const YAML::Node& map, Keys allowed, std::string_view what,
                            const KeyFn& fn, const ElsewhereFn& elsewhere) {
  if (!map.IsMap()) return;
  std::map<std::string, SourceMark> seen;
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    const SourceMark where = MarkOf(key_node);
    if (!key_node.IsScalar()) {
      Error(where, "keys in " + std::string(what) + " must be plain names, found " +
                       std::string(KindName(key_node)));
      continue;
    }
    const std::string key = key_node.Scalar();
    if (auto [it, inserted] = seen.emplace(key, where); !inserted) {
      Error(where,
            "duplicate key '" + key + "' (first at line " + std::to_string(it->second.line) + ")");
      continue;
    }
    if (!manifest_keys::Contains(allowed, key)) {
      std::string other = elsewhere ? elsewhere(key) : "";
      Error(where, other.empty() ? "unknown key '" + key + "' in " + std::string(what) +
                                       UnknownWordHint(key, allowed)
                                 : other);
      continue;
    }
    fn(key, key_node, entry.second);
  }
}

Scalar YamlReader::ReadScalar(const YAML::Node& key, const YAML::Node& value) {
  if (value.IsNull()) return Scalar{"", MarkOf(key), true};
  if (!value.IsScalar()) {
    Error(MarkOf(value),
          key.Scalar() + ": expected a value, found " + std::string(KindName(value)));
    return Scalar{"", MarkOf(value), true, true};
  }
  return Scalar{value.Scalar(), MarkOf(value), true};
}

ScalarList YamlReader::ReadList(const YAML::Node& key, const YAML::Node& value) {
  ScalarList list;
  list.mark = value.IsNull() ? MarkOf(key) : MarkOf(value);
  if (!value.IsNull() && !value.IsSequence()) {
    Error(list.mark, key.Scalar() + ": expected a list, found " + std::string(KindName(value)) +
                         (value.IsScalar() ? " (write [" + value.Scalar() + "])" : ""));
    return list;
  }
  list.present = true;
  for (const YAML::Node& item : value) {
    if (!item.IsScalar()) {
      Error(MarkOf(item),
            key.Scalar() + ": list items must be values, found " + std::string(KindName(item)));
      continue;
    }
    list.items.push_back(Scalar{item.Scalar(), MarkOf(item), true});
  }
  return list;
}

ScalarList YamlReader::ReadScalarOrList(const YAML::Node& key, const YAML::Node& value) {
  if (value.IsNull() || value.IsScalar()) {
    ScalarList list;
    list.items.push_back(ReadScalar(key, value));
    list.mark = list.items.back().mark;
    list.present = true;
    list.scalar = true;
    return list;
  }
  if (!value.IsSequence()) {
    ScalarList list;
    list.mark = MarkOf(value);
    Error(list.mark, key.Scalar() + ": expected a value or a list of values, found " +
                         std::string(KindName(value)));
    list.present = true;
    list.invalid = true;
    return list;
  }
  ScalarList list = ReadList(key, value);
  list.invalid = list.items.size() != value.size();  // an item was not a value (reported)
  return list;
}

}  // namespace diskferry
