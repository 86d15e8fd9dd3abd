// Reading one job mapping (or `defaults:`) into a JobConfig. Private to jobs/manifest_parser.cc.
#ifndef DISKFERRY_JOBS_JOB_PARSER_H_
#define DISKFERRY_JOBS_JOB_PARSER_H_

#include <yaml-cpp/yaml.h>

#include "jobs/manifest_config.h"
#include "jobs/yaml_reader.h"

namespace diskferry {

// One entry of `jobs:`. Its keys are checked against those of its `kind` (all kinds' keys
// when the kind is missing or unknown; the validator reports the kind itself).
JobConfig ParseJob(YamlReader& reader, const YAML::Node& node);

// The `defaults:` mapping: every job key except name, kind and steps. `output:` is read as
// an extract output when it is a mapping, as an inject output image when it is a value.
JobConfig ParseDefaults(YamlReader& reader, const YAML::Node& node);

}  // namespace diskferry

#endif  // DISKFERRY_JOBS_JOB_PARSER_H_
