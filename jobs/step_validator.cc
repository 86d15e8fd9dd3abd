// Inject steps: each step's required fields, guest paths, modes and owners.
#include <string>

#include "jobs/field_reader.h"

namespace diskferry {
namespace {

// Reports "OP: missing 'KEY' (WHAT)" at the step when `s` is absent.
bool Need(const StepConfig& step, const Scalar& s, std::string_view key, std::string_view what,
          FieldReader& fields) {
  if (s.present) return true;
  fields.Error(step.op.mark,
               step.op.text + ": missing '" + std::string(key) + "' (" + std::string(what) + ")");
  return false;
}

void NeedGuestPath(const StepConfig& step, const Scalar& s, std::string_view key,
                   std::string_view what, FieldReader& fields, std::string* out) {
  if (!Need(step, s, key, what, fields)) return;
  if (std::optional<std::string> path = fields.GuestPath(s, key)) *out = *path;
}

void OptionalMode(const Scalar& s, FieldReader& fields, uint32_t* out) {
  if (!s.present) return;
  if (std::optional<uint32_t> mode = fields.Mode(s, "mode")) *out = *mode;
}

UploadStep Upload(const StepConfig& s, FieldReader& fields) {
  UploadStep step;
  if (Need(s, s.from, "from", "a host file or directory", fields)) {
    if (std::optional<HostPath> from = fields.Host(s.from, "from")) step.from = *from;
  }
  NeedGuestPath(s, s.to, "to", "the guest path it becomes", fields, &step.to);
  if (s.mode.present) step.mode = fields.Mode(s.mode, "mode");
  if (s.owner.present) step.owner = fields.OwnerOf(s.owner, "owner");
  return step;
}

WriteStep Write(const StepConfig& s, FieldReader& fields) {
  WriteStep step;
  NeedGuestPath(s, s.path, "path", "the guest file to write", fields, &step.path);
  if (Need(s, s.content, "content", "the text to write; \"\" for an empty file", fields)) {
    if (std::optional<std::string> content = fields.Text(s.content)) step.content = *content;
  }
  OptionalMode(s.mode, fields, &step.mode);
  return step;
}

MkdirStep Mkdir(const StepConfig& s, FieldReader& fields) {
  MkdirStep step;
  NeedGuestPath(s, s.path, "path", "the guest directory to make", fields, &step.path);
  OptionalMode(s.mode, fields, &step.mode);
  fields.Bool(s.parents, "parents", &step.parents);
  return step;
}

ChmodStep Chmod(const StepConfig& s, FieldReader& fields) {
  ChmodStep step;
  NeedGuestPath(s, s.path, "path", "the guest path to change", fields, &step.path);
  if (Need(s, s.mode, "mode", "an octal mode such as 0644", fields)) {
    OptionalMode(s.mode, fields, &step.mode);
  }
  return step;
}

ChownStep Chown(const StepConfig& s, FieldReader& fields) {
  ChownStep step;
  NeedGuestPath(s, s.path, "path", "the guest path to change", fields, &step.path);
  if (Need(s, s.owner, "owner", "numeric UID:GID", fields)) {
    if (std::optional<Owner> owner = fields.OwnerOf(s.owner, "owner")) step.owner = *owner;
  }
  return step;
}

SymlinkStep Symlink(const StepConfig& s, FieldReader& fields) {
  SymlinkStep step;
  if (Need(s, s.target, "target", "what the link points to", fields)) {
    if (std::optional<std::string> target = fields.NonEmpty(s.target, "target")) {
      step.target = *target;
    }
  }
  NeedGuestPath(s, s.path, "path", "the link to create", fields, &step.path);
  return step;
}

DeleteStep Delete(const StepConfig& s, FieldReader& fields) {
  DeleteStep step;
  fields.Bool(s.recursive, "recursive", &step.recursive);
  if (!Need(s, s.path, "path", "the guest path or glob to delete", fields)) return step;
  std::optional<std::string> text = fields.NonEmpty(s.path, "path");
  if (!text) return step;
  if (text->find_first_of("*?[\\") == std::string::npos) {
    if (std::optional<std::string> path = fields.GuestPath(s.path, "path")) step.path = *path;
  } else if (Result<Glob> glob = Glob::Compile(*text); !glob.ok()) {
    fields.Error(s.path.mark, "path: bad glob '" + *text + "': " + glob.status().message());
  } else {
    step.path = *text;
    step.glob = std::move(glob).value();
  }
  if (step.path == "/" || (step.glob && step.glob->Matches("/"))) {
    fields.Error(s.path.mark, "path: '" + *text + "' would delete the guest root");
  }
  return step;
}

MoveStep Move(const StepConfig& s, FieldReader& fields) {
  MoveStep step;
  NeedGuestPath(s, s.from, "from", "the guest path to move", fields, &step.from);
  NeedGuestPath(s, s.to, "to", "its new guest path", fields, &step.to);
  return step;
}

StepAction ValidateAction(const StepConfig& s, FieldReader& fields) {
  const std::string& op = s.op.text;
  if (op == "upload") return Upload(s, fields);
  if (op == "write") return Write(s, fields);
  if (op == "mkdir") return Mkdir(s, fields);
  if (op == "chmod") return Chmod(s, fields);
  if (op == "chown") return Chown(s, fields);
  if (op == "symlink") return Symlink(s, fields);
  if (op == "delete") return Delete(s, fields);
  return Move(s, fields);  // the parser admits no other op
}

}  // namespace

void ValidateSteps(const JobConfig& job, FieldReader& fields, std::vector<StepSpec>* steps) {
  int number = 0;
  for (const StepConfig& step : job.steps) {
    ++number;
    if (!step.op.present) continue;  // reported by the parser
    const size_t before = fields.problems();
    StepAction action = ValidateAction(step, fields);
    if (fields.problems() == before) {
      steps->push_back(StepSpec{number, step.op.mark, std::move(action)});
    }
  }
}

}  // namespace diskferry
