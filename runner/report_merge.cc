#include "runner/report_merge.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "jobs/shards.h"
#include "sinks/file_record_json.h"
#include "sinks/host_file.h"

namespace diskferry {
namespace {

// What one shard's report says of itself.
struct ShardReport {
  std::string path;
  std::optional<ShardRecord> shard;  // its last "shard" record
  std::optional<Json> run;           // its last "run" record
  std::vector<JobStatusRecord> jobs;  // that run record's "jobs"
};

std::string Text(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<ShardRecord> ShardFromJson(const Json& j) {
  ShardRecord s;
  const auto index = j.find("index");
  const auto count = j.find("count");
  const auto division = j.find("division");
  if (index == j.end() || !index->is_number_integer() || count == j.end() ||
      !count->is_number_integer() || division == j.end() || !division->is_array()) {
    return std::nullopt;
  }
  s.index = index->get<int>();
  s.count = count->get<int>();
  s.manifest = Text(j, "manifest");
  s.manifest_sha256 = Text(j, "manifest_sha256");
  s.vars_sha256 = Text(j, "vars_sha256");
  s.report_template = Text(j, "report");
  for (const Json& shard : *division) {
    if (!shard.is_array()) return std::nullopt;
    s.division.emplace_back();
    for (const Json& job : shard) {
      if (!job.is_string()) return std::nullopt;
      s.division.back().push_back(job.get<std::string>());
    }
  }
  if (const auto vars = j.find("vars"); vars != j.end() && vars->is_array()) {
    for (const Json& v : *vars) {
      if (v.is_string()) s.var_names.push_back(v.get<std::string>());
    }
  }
  return s;
}

// The kind of a line as RunReport writes it ({"record":"KIND",...}) without parsing it:
// reports are mostly file records, which the merge copies as they are. "" when the line
// does not start that way (it is then parsed).
std::string_view KindOf(std::string_view line) {
  static constexpr std::string_view kStart = "{\"record\":\"";
  if (!line.starts_with(kStart) || !line.ends_with('}')) return "";
  const size_t end = line.find('"', kStart.size());
  return end == std::string_view::npos ? "" : line.substr(kStart.size(), end - kStart.size());
}

// A run record's "jobs": kInvalidArgument naming `path` for an entry without a job's name
// and a status this diskferry knows (sinks/job_status.h says why it is not guessed).
Result<std::vector<JobStatusRecord>> JobsOfRun(const Json& run, const std::string& path) {
  std::vector<JobStatusRecord> jobs;
  const auto list = run.find("jobs");
  if (list == run.end()) return jobs;
  if (!list->is_array()) return Status(Code::kInvalidArgument, path + ": a malformed run record");
  for (const Json& j : *list) {
    const auto name = j.is_object() ? j.find("job") : j.end();
    const auto status = j.is_object() ? j.find("status") : j.end();
    if (name == j.end() || !name->is_string() || status == j.end() || !status->is_string()) {
      return Status(Code::kInvalidArgument, path + ": a malformed run record");
    }
    const std::optional<JobStatus> parsed = ParseJobStatus(status->get<std::string>());
    if (!parsed) {
      return Status(Code::kInvalidArgument, path + ": run record: job " + name->get<std::string>() +
                                                ": unknown status \"" + status->get<std::string>() +
                                                "\"");
    }
    jobs.push_back({name->get<std::string>(), *parsed});
  }
  return jobs;
}

Result<ShardReport> ReadShardReport(const std::string& path) {
  ShardReport r{path, std::nullopt, std::nullopt, {}};
  Status st = ForEachReportLine(path, [&](std::string_view line, bool terminated) {
    const std::string_view kind_seen = KindOf(line);
    if (!kind_seen.empty() && kind_seen != "shard" && kind_seen != "run") return Status::Ok();
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      if (!terminated) return Status::Ok();  // the shard died mid-line
      return Status(Code::kInvalidArgument, path + ": a line that is not a JSON object");
    }
    const std::string kind = Text(j, "record");
    if (kind == "shard") {
      r.shard = ShardFromJson(j);
      if (!r.shard) return Status(Code::kInvalidArgument, path + ": a malformed shard record");
    } else if (kind == "run") {
      r.run = std::move(j);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (r.run) {
    Result<std::vector<JobStatusRecord>> jobs = JobsOfRun(*r.run, path);
    if (!jobs.ok()) return jobs.status();
    r.jobs = std::move(*jobs);
  }
  return r;
}

std::string Quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-./:@%+={}") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ShardName(int index, int count) {
  return "shard " + std::to_string(index) + "/" + std::to_string(count);
}

// "diskferry run MANIFEST --shard I/N --var NAME=... ARGS".
std::string RunCommand(const ShardRecord& s, int index, const std::string& args) {
  std::string command = "diskferry run " + Quote(s.manifest) + " --shard " + std::to_string(index) +
                        "/" + std::to_string(s.count);
  for (const std::string& name : s.var_names) command += " --var " + Quote(name) + "=...";
  return command + args;
}

bool Finished(const ShardReport& r) { return r.run && Text(*r.run, "status") == "complete"; }

// Every problem, one line each, against the first shard's identity.
std::vector<std::string> Problems(const std::vector<ShardReport>& reports) {
  std::vector<std::string> problems;
  const ShardReport* first = nullptr;
  for (const ShardReport& r : reports) {
    if (!r.shard) {
      problems.push_back(r.path +
                         ": not a shard's report (it has no shard record): merge the "
                         "reports of `diskferry run --shard I/N`");
    } else if (first == nullptr) {
      first = &r;
    }
  }
  if (first == nullptr) return problems;
  const ShardRecord& ref = *first->shard;
  std::map<int, const ShardReport*> by_index;
  size_t unfinished = 0;
  for (const ShardReport& r : reports) {
    if (!r.shard) continue;
    const ShardRecord& s = *r.shard;
    const std::string name = r.path + " (" + ShardName(s.index, s.count) + ")";
    if (s.count < 1 || s.index < 0 || s.index >= s.count ||
        s.division.size() != static_cast<size_t>(s.count)) {
      problems.push_back(name + ": its shard record does not hold together");
    } else if (s.manifest_sha256 != ref.manifest_sha256) {
      problems.push_back(name + ": ran another manifest than " + first->path + " (sha256 " +
                         s.manifest_sha256 + ", not " + ref.manifest_sha256 + ")");
    } else if (s.vars_sha256 != ref.vars_sha256) {
      problems.push_back(name + ": ran with other vars than " + first->path +
                         " (--var values or defaults differ)");
    } else if (s.count != ref.count) {
      problems.push_back(name + ": one of " + std::to_string(s.count) + " shards, but " +
                         first->path + " is one of " + std::to_string(ref.count));
    } else if (s.division != ref.division) {
      problems.push_back(name + ": divided the jobs otherwise than " + first->path +
                         " (its host saw other image sizes; compare `diskferry plan --shards " +
                         std::to_string(ref.count) + "` on both hosts)");
    } else if (auto [it, fresh] = by_index.emplace(s.index, &r); !fresh) {
      problems.push_back(r.path + " and " + it->second->path + " are both " +
                         ShardName(s.index, s.count));
    } else if (!Finished(r)) {
      ++unfinished;
      problems.push_back(
          name + ": did not finish (" +
          (r.run ? "interrupted" : "no run record: it died or is running") +
          "); resume it with: " + RunCommand(s, s.index, " --resume " + Quote(r.path)));
    }
  }
  // Missing shards are worth naming beside unfinished ones, not beside shards of another
  // run.
  if (problems.size() != unfinished) return problems;
  for (int i = 0; i < ref.count; ++i) {
    if (by_index.count(i) != 0) continue;
    const std::string report =
        ref.report_template.empty()
            ? ""
            : " --report " + Quote(ExpandShardTemplate(ref.report_template, i));
    problems.push_back(ShardName(i, ref.count) + " is missing: run it with: " +
                       RunCommand(ref, i, report) + ", then merge its report too");
  }
  return problems;
}

CaseInfo CaseFromJson(const Json& run) {
  const auto c = run.find("case");
  if (c == run.end() || !c->is_object()) return {};
  return CaseInfo{Text(*c, "id"), Text(*c, "examiner"), Text(*c, "evidence_id"), Text(*c, "notes")};
}

// The merged run record: the earliest start, the latest end, every shard's jobs.
RunSummary MergedSummary(const std::vector<const ShardReport*>& shards,
                         std::vector<JobStatusRecord>* jobs) {
  const Json& first = *shards.front()->run;
  RunSummary summary;
  summary.status = "complete";
  summary.tool_version = Text(first, "tool_version");
  summary.manifest_sha256 = Text(first, "manifest_sha256");
  summary.host = Text(first, "host");
  summary.case_info = CaseFromJson(first);
  summary.shards_merged = static_cast<int>(shards.size());
  std::set<std::string> hosts;
  for (const ShardReport* r : shards) {
    const Json& run = *r->run;
    hosts.insert(Text(run, "host"));
    const std::optional<TimePoint> started = ParseUtcTime(Text(run, "started"));
    const std::optional<TimePoint> ended = ParseUtcTime(Text(run, "ended"));
    if (started && (summary.started == TimePoint{} || *started < summary.started)) {
      summary.started = *started;
    }
    if (ended && *ended > summary.ended) summary.ended = *ended;
    if (const auto peak = run.find("peak_rss_anon_kib");
        peak != run.end() && peak->is_number_unsigned()) {
      summary.peak_rss_anon_kib = std::max(summary.peak_rss_anon_kib, peak->get<uint64_t>());
    }
    jobs->insert(jobs->end(), r->jobs.begin(), r->jobs.end());
  }
  if (hosts.size() > 1) summary.hosts.assign(hosts.begin(), hosts.end());
  summary.jobs = *jobs;
  return summary;
}

// Every line of `path` but its shard and run records, as it is.
Status CopyRecords(const std::string& path, RunReport& out) {
  return ForEachReportLine(path, [&](std::string_view line, bool terminated) {
    if (!terminated) return Status::Ok();  // a last line cut short by a crash
    std::string kind(KindOf(line));
    if (kind.empty()) {
      const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
      kind = j.is_object() ? Text(j, "record") : "";
    }
    if (kind == "shard" || kind == "run") return Status::Ok();
    return out.AddLine(std::string(line));
  });
}

}  // namespace

Result<MergeOutcome> MergeShardReports(const std::vector<std::string>& reports,
                                       const std::string& out) {
  std::vector<ShardReport> read;
  for (const std::string& path : reports) {
    if (path == out) {
      return Status(Code::kInvalidArgument,
                    "-o " + out + " is one of the shard reports: write the merge elsewhere");
    }
    Result<ShardReport> r = ReadShardReport(path);
    if (!r.ok()) return r.status();
    read.push_back(std::move(*r));
  }
  if (read.empty()) return Status(Code::kInvalidArgument, "no shard reports to merge");
  MergeOutcome outcome;
  outcome.problems = Problems(read);
  if (!outcome.problems.empty()) return outcome;
  std::vector<const ShardReport*> shards(read.size());
  for (const ShardReport& r : read) shards[static_cast<size_t>(r.shard->index)] = &r;

  const std::string partial = out + ".partial";
  Result<RunReport> merged = RunReport::Open(partial);
  if (!merged.ok()) return merged.status();
  outcome.shards = static_cast<int>(shards.size());
  Status st;
  for (const ShardReport* r : shards) {
    if (st = CopyRecords(r->path, *merged); !st.ok()) break;
  }
  if (st.ok()) st = merged->AddRunSummary(MergedSummary(shards, &outcome.jobs));
  if (st.ok()) st = merged->Close();
  if (st.ok()) {
    if (const int err = RenameHostFile(partial, out); err != 0) st = ErrnoStatus(err, out);
  }
  if (!st.ok()) {
    (void)RemoveHostFile(partial);
    return st;
  }
  return outcome;
}

}  // namespace diskferry
