#include "jobs/plan.h"

#include <cstdio>

namespace diskferry {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
// Deduced without this in C++20, but clang 14 (the fuzz build) lacks aggregate deduction.
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

std::string Octal(uint32_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

// The start of a write step's content, C-escaped and quoted: "motd for ${date}\n".
std::string Preview(std::string_view content) {
  constexpr size_t kMaxPreview = 32;
  std::string out = "\"";
  for (unsigned char c : content.substr(0, kMaxPreview)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (content.size() > kMaxPreview ? "\"..." : "\"");
}

std::string OwnerText(const Owner& owner) {
  return std::to_string(owner.uid) + ":" + std::to_string(owner.gid);
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::string Patterns(const std::vector<Glob>& globs) {
  std::vector<std::string> patterns;
  for (const Glob& glob : globs) patterns.push_back(glob.pattern());
  return Join(patterns, ", ");
}

// "/etc/** excluding /etc/shadow"
std::string Selection(const PathSelector& select) {
  std::string text = Patterns(select.include());
  if (!select.exclude().empty()) text += " excluding " + Patterns(select.exclude());
  return text;
}

// "qcow2 over base.qcow2", "block device, raw", "format probed and reported".
std::string DiskWords(const DiskSpec& disk) {
  std::string words =
      disk.format ? std::string(ImageFormatName(*disk.format)) : "format probed and reported";
  if (disk.block_device) words = "block device, " + words;
  for (const HostPath& b : disk.backing) words += " over " + b.text;
  return words;
}

// "disk.img (qcow2, /dev/sda1)", "/dev/sdb (block device, raw, auto)",
// "disk.img (format probed and reported, auto)"; several disks in attachment order:
// "[a.qcow2 (qcow2 over base.qcow2), b.img (raw)] (filesystem os)".
std::string Disk(const MachineSpec& machine) {
  const std::string fs = machine.filesystem.ToString();
  if (machine.disks.size() == 1) {
    return machine.first().image.text + " (" + DiskWords(machine.first()) + ", " + fs + ")";
  }
  std::vector<std::string> disks;
  for (size_t i = 0; i < machine.disks.size(); ++i) {
    const DiskSpec& disk = machine.disks[i];
    disks.push_back(disk.image.text + " (" + DiskWords(disk) + ")");
  }
  return "[" + Join(disks, ", ") + "] (filesystem " + fs + ")";
}

// What opening the disks takes besides the disks themselves: key files, and reading
// without journal replay. Nothing when neither is asked for.
std::vector<PlanLine> OpenLines(const MachineSpec& machine) {
  std::vector<PlanLine> lines;
  if (!machine.keys.empty()) {
    std::vector<std::string> keys;
    for (const KeySpec& key : machine.keys) {
      keys.push_back(key.file.text + " for " +
                     (key.device.empty() ? "every LUKS device" : key.device));
    }
    lines.push_back({"unlock with key files " + Join(keys, ", "), ""});
  }
  if (!machine.replay) {
    lines.push_back({"read the on-disk state: journals are not replayed (replay: false)", ""});
  }
  if (machine.evidence) {
    lines.push_back({"evidence: sha256 and md5 of each source before and after", ""});
  }
  return lines;
}

std::string Hashes(const std::vector<HashAlgorithm>& hashes) {
  std::vector<std::string> names;
  for (HashAlgorithm hash : hashes) names.emplace_back(HashName(hash));
  return names.empty() ? "" : "; hashes " + Join(names, ",");
}

std::string Preserved(const PreserveSpec& p) {
  std::vector<std::string> names;
  if (p.mode) names.emplace_back("mode");
  if (p.owner) names.emplace_back("owner");
  if (p.times) names.emplace_back("times");
  if (p.all_xattrs) {
    names.emplace_back("all_xattrs");
  } else if (p.xattrs) {
    names.emplace_back("xattrs");
  }
  if (p.devices) names.emplace_back("devices");
  if (p.setuid) names.emplace_back("setuid");
  return names.empty() ? "nothing" : Join(names, ",");
}

std::string Missing(const HostPath& path, const HostFileProbe& probe) {
  return probe(path.path) == HostFileKind::kMissing ? path.text + " does not exist yet" : "";
}

std::string Report(const std::optional<HostPath>& report) {
  return report ? "; report to " + report->text : "";
}

// "dir out/etc", "tar out/etc.tar.zst", "tar on standard output (zstd)".
std::string Destination(const ExtractOutputSpec& out) {
  if (out.kind == OutputKind::kNone) return "no files (listings only)";
  if (out.to_stdout) {
    return "tar on standard output (" + std::string(ArchiveCompressionName(out.compression)) + ")";
  }
  return std::string(OutputKindName(out.kind)) + " " + out.path.text;
}

// An archive on stdout has nothing to exist beforehand: on_exists does not apply.
std::string OnExists(const ExtractOutputSpec& out) {
  if (out.to_stdout || out.kind == OutputKind::kNone) return "";
  return "; on_exists " + std::string(OnExistsPolicyName(out.on_exists));
}

// "; DFXML to out/etc.xml; body file to out/etc.body".
std::string Listings(const ForensicOutputSpec& f) {
  std::string text;
  if (f.dfxml) text += "; DFXML to " + f.dfxml->text;
  if (f.bodyfile) text += "; body file to " + f.bodyfile->text;
  return text;
}

std::vector<PlanLine> PlanExtract(const ExtractSpec& e, const HostFileProbe& probe) {
  const ExtractOutputSpec& out = e.output;
  const std::string preserving =
      out.kind == OutputKind::kNone ? "" : " preserving " + Preserved(out.preserve);
  std::vector<PlanLine> lines{{"extract " + Selection(e.select) + " from " + Disk(e.source) +
                                   " to " + Destination(out) + preserving + OnExists(out) +
                                   Hashes(e.hashes) + Listings(out.forensic),
                               ""}};
  for (PlanLine& line : OpenLines(e.source)) lines.push_back(std::move(line));
  if (e.recover_deleted) {
    lines.push_back(
        {"recover: deleted files The Sleuth Kit can read back, to dir " + out.deleted.text, ""});
  }
  if (e.since) {
    if (probe(e.since->path) == HostFileKind::kMissing) {
      lines.push_back({"incremental: no baseline at " + e.since->text +
                           " yet: a full run, whose records become the baseline",
                       ""});
    } else {
      lines.push_back({"incremental: only files changed since the baseline " + e.since->text +
                           "; this run's records replace it if the job succeeds",
                       ""});
    }
  }
  return lines;
}

std::vector<PlanLine> PlanVerify(const VerifySpec& v, const HostFileProbe& probe) {
  std::vector<PlanLine> lines{{"verify " + Selection(v.select) + " in " + Disk(v.source) +
                                   " against " + v.against.text +
                                   ": report changed, missing and new files" + Report(v.report),
                               Missing(v.against, probe)}};
  for (PlanLine& line : OpenLines(v.source)) lines.push_back(std::move(line));
  return lines;
}

std::vector<PlanLine> PlanList(const ListSpec& l) {
  std::vector<PlanLine> lines{{"list " + Selection(l.select) + " in " + Disk(l.source) +
                                   " with metadata" + Hashes(l.hashes) + Report(l.report) +
                                   Listings(l.forensic),
                               ""}};
  for (PlanLine& line : OpenLines(l.source)) lines.push_back(std::move(line));
  return lines;
}

std::string Attributes(const std::optional<uint32_t>& mode, const std::optional<Owner>& owner) {
  std::vector<std::string> parts;
  if (mode) parts.push_back("mode " + Octal(*mode));
  if (owner) parts.push_back("owner " + OwnerText(*owner));
  return parts.empty() ? "" : " (" + Join(parts, ", ") + ")";
}

// The step in words, without looking at the host ("upload site -> /srv/www").
std::string StepWords(const StepAction& action) {
  return std::visit(
      Overloaded{
          [](const UploadStep& s) {
            return "upload " + s.from.text + " -> " + s.to + Attributes(s.mode, s.owner);
          },
          [](const WriteStep& s) {
            return "write " + Preview(s.content) + " (" + std::to_string(s.content.size()) +
                   " bytes) to " + s.path + " (mode " + Octal(s.mode) + ")";
          },
          [](const MkdirStep& s) {
            return std::string(s.parents ? "mkdir -p " : "mkdir ") + s.path + " (mode " +
                   Octal(s.mode) + ")";
          },
          [](const ChmodStep& s) { return "chmod " + Octal(s.mode) + " " + s.path; },
          [](const ChownStep& s) { return "chown " + OwnerText(s.owner) + " " + s.path; },
          [](const SymlinkStep& s) { return "symlink " + s.path + " -> " + s.target; },
          [](const DeleteStep& s) {
            return std::string(s.recursive ? "delete -r " : "delete ") + s.path;
          },
          [](const MoveStep& s) { return "move " + s.from + " -> " + s.to; },
      },
      action);
}

PlanLine PlanStep(const StepSpec& step, const HostFileProbe& probe) {
  PlanLine line{"step " + std::to_string(step.number) + ": " + StepWords(step.action), ""};
  if (const auto* upload = std::get_if<UploadStep>(&step.action)) {
    const HostFileKind kind = probe(upload->from.path);
    if (kind == HostFileKind::kDirectory) {
      line.text.insert(line.text.find("upload ") + 7, "directory ");
    } else if (kind == HostFileKind::kFile) {
      line.text.insert(line.text.find("upload ") + 7, "file ");
    } else if (kind == HostFileKind::kMissing) {
      line.not_previewable = upload->from.text + " does not exist yet";
    }
  } else if (const auto* del = std::get_if<DeleteStep>(&step.action)) {
    if (del->glob && del->glob->HasWildcards()) {
      line.not_previewable = "which paths match is known only inside the image";
    }
  }
  return line;
}

std::vector<PlanLine> PlanInject(const InjectSpec& inject, const HostFileProbe& probe) {
  std::vector<PlanLine> lines{
      {"open " + Disk(inject.target) +
           (inject.output ? " and write a new qcow2 overlay " + inject.output->text
                          : " and write it in place"),
       ""}};
  for (PlanLine& line : OpenLines(inject.target)) lines.push_back(std::move(line));
  for (const StepSpec& step : inject.steps) lines.push_back(PlanStep(step, probe));
  return lines;
}

// "appliances: 2, retries: 2, each extract on one appliance, keep going after a failure";
// `split` is named only when it is off, the default being to split.
std::string RunWords(const RunSpec& run) {
  std::string words = "appliances: " + (run.max_parallel ? std::to_string(*run.max_parallel)
                                                         : "auto (from cores and memory)");
  words += ", retries: " + std::to_string(run.retries);
  if (!run.split) words += ", each extract on one appliance";
  return words + ", " +
         (run.fail_fast ? "stop at the first failure" : "keep going after a failure");
}

}  // namespace

RunPlan PlanManifest(const ManifestSpec& spec, const HostFileProbe& probe) {
  RunPlan plan{spec.file, spec.run, spec.case_spec, {}};
  for (const JobSpec& job : spec.jobs) {
    std::vector<PlanLine> lines =
        std::visit(Overloaded{[&](const ExtractSpec& e) { return PlanExtract(e, probe); },
                              [&](const InjectSpec& i) { return PlanInject(i, probe); },
                              [&](const VerifySpec& v) { return PlanVerify(v, probe); },
                              [&](const ListSpec& l) { return PlanList(l); }},
                   job.task);
    plan.jobs.push_back(JobPlan{job, std::move(lines)});
  }
  return plan;
}

std::string DescribeStep(const StepSpec& step) {
  return "step " + std::to_string(step.number) + " (" + StepWords(step.action) + ")";
}

std::string FormatPlan(const RunPlan& plan) {
  const size_t n = plan.jobs.size();
  std::string out = "plan for " + plan.file + ": " + std::to_string(n) +
                    (n == 1 ? " job, " : " jobs, ") + RunWords(plan.run) + "\n";
  std::vector<std::string> case_words;
  for (const auto& [key, value] :
       {std::pair{"id", &plan.case_spec.id}, std::pair{"examiner", &plan.case_spec.examiner},
        std::pair{"evidence_id", &plan.case_spec.evidence_id},
        std::pair{"notes", &plan.case_spec.notes}}) {
    if (!value->empty()) case_words.push_back(std::string(key) + " " + *value);
  }
  if (!case_words.empty()) out += "case: " + Join(case_words, ", ") + "\n";
  for (const JobPlan& job : plan.jobs) {
    out += "job " + job.job.name + " (" + std::string(JobKindName(job.job.kind())) + ")\n";
    for (const PlanLine& line : job.lines) {
      out += "  " + line.text;
      if (!line.not_previewable.empty())
        out += " (cannot be previewed: " + line.not_previewable + ")";
      out += "\n";
    }
  }
  return out;
}

}  // namespace diskferry
