#include "jobs/vars.h"

#include <gtest/gtest.h>

#include <map>

namespace diskferry {
namespace {

const LocalTime kNow{2026, 3, 7, 9, 5, 1};

Scalar Text(std::string text, int line = 1) {
  return Scalar{std::move(text), SourceMark{"m.yaml", line, 1}, true};
}

VarConfig Declare(std::string name, std::string default_value, std::string type = "") {
  VarConfig var;
  var.name = Text(std::move(name), 2);
  if (!type.empty()) var.type = Text(std::move(type), 3);
  var.default_value = Text(std::move(default_value), 4);
  return var;
}

VarConfig Required(std::string name, std::string type = "") {
  VarConfig var = Declare(std::move(name), "", std::move(type));
  var.default_value = Scalar{};
  return var;
}

struct Built {
  VarTable table;
  Diagnostics diagnostics;
};

Built Build(const std::vector<VarConfig>& vars, const std::vector<VarOverride>& overrides = {}) {
  Built built;
  built.table = VarTable::Build(vars, overrides, kNow, "/cwd", "m.yaml", &built.diagnostics);
  return built;
}

Result<std::string> FromMap(const std::map<std::string, std::string>& values,
                            std::string_view name) {
  auto it = values.find(std::string(name));
  if (it == values.end()) return Status(Code::kNotFound, "no " + std::string(name));
  return it->second;
}

Result<std::string> Expand(std::string_view text) {
  const std::map<std::string, std::string> values{{"a", "A"}, {"long_name-2", "L"}};
  return ExpandVars(text, [&](std::string_view name) { return FromMap(values, name); });
}

TEST(ExpandVarsTest, ReplacesEveryReference) {
  EXPECT_EQ(*Expand("${a}"), "A");
  EXPECT_EQ(*Expand("x/${a}/${long_name-2}/${a}"), "x/A/L/A");
  EXPECT_EQ(*Expand("no variables"), "no variables");
  EXPECT_EQ(*Expand(""), "");
}

TEST(ExpandVarsTest, DollarDollarBraceIsALiteral) {
  EXPECT_EQ(*Expand("$${a}"), "${a}");
  EXPECT_EQ(*Expand("$$${a}"), "$${a}");  // read left to right: "$", then "$${"
  EXPECT_EQ(*Expand("cost $5, $HOME, $"), "cost $5, $HOME, $");
  EXPECT_EQ(*Expand("$${unterminated"), "${unterminated");
}

TEST(ExpandVarsTest, RejectsUnterminatedAndMalformedReferences) {
  Result<std::string> open = Expand("x${a");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().message(), "unterminated '${' (write $${ for a literal ${)");
  for (std::string_view bad : {"${}", "${1a}", "${a b}", "${a.b}"}) {
    Result<std::string> r = Expand(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message().rfind("bad variable name", 0), 0u) << bad;
  }
}

TEST(ExpandVarsTest, FailingLookupStatusIsReturnedUnchanged) {
  Result<std::string> r = Expand("${zz}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "no zz");
}

TEST(VarOverrideTest, ParsesNameEqualsValue) {
  Result<VarOverride> o = ParseVarOverride("image=/a=b.img");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->name, "image");
  EXPECT_EQ(o->value, "/a=b.img");
  ASSERT_TRUE(ParseVarOverride("empty=").ok());
  EXPECT_EQ(ParseVarOverride("empty=")->value, "");
  EXPECT_FALSE(ParseVarOverride("novalue").ok());
  EXPECT_FALSE(ParseVarOverride("=x").ok());
  EXPECT_FALSE(ParseVarOverride("bad name=x").ok());
}

TEST(CheckVarValueTest, ChecksEachType) {
  EXPECT_EQ(CheckVarValue(VarType::kString, ""), "");
  EXPECT_EQ(CheckVarValue(VarType::kInt, "-42"), "");
  EXPECT_EQ(CheckVarValue(VarType::kInt, "4x"), "expected an int, found '4x'");
  EXPECT_EQ(CheckVarValue(VarType::kInt, ""), "expected an int, found nothing");
  EXPECT_NE(CheckVarValue(VarType::kInt, "99999999999999999999"), "");
  EXPECT_EQ(CheckVarValue(VarType::kBool, "false"), "");
  EXPECT_EQ(CheckVarValue(VarType::kBool, "yes"), "expected true or false, found 'yes'");
  EXPECT_EQ(CheckVarValue(VarType::kPath, "a/b"), "");
  EXPECT_EQ(CheckVarValue(VarType::kPath, ""), "expected a path, found nothing");
  EXPECT_EQ(VarTypeName(VarType::kPath), "path");
}

TEST(VarTableTest, BuiltInsComeFromTheClock) {
  Built b = Build({});
  EXPECT_TRUE(b.diagnostics.empty());
  EXPECT_EQ(b.table.Expand(Text("${date}T${time}"), "", &b.diagnostics), "2026-03-07T090501");
}

TEST(VarTableTest, JobIsTheJobsNameAndOnlyInsideAJob) {
  Built b = Build({});
  EXPECT_EQ(b.table.Expand(Text("out/${job}"), "etc", &b.diagnostics), "out/etc");
  EXPECT_EQ(b.table.Expand(Text("out/${job}", 9), "", &b.diagnostics), std::nullopt);
  EXPECT_EQ(b.diagnostics.ToString(), "m.yaml:9:1: ${job} is only defined inside a job\n");
}

TEST(VarTableTest, OverrideWinsOverDefault) {
  Built b = Build({Declare("host", "web01")}, {{"host", "db02"}});
  EXPECT_TRUE(b.diagnostics.empty()) << b.diagnostics.ToString();
  EXPECT_EQ(b.table.Expand(Text("${host}"), "", &b.diagnostics), "db02");
  EXPECT_EQ(b.table.Values().at("host"), "db02");
}

TEST(VarTableTest, RelativePathOverridesAreRelativeToWhereTheyWereTyped) {
  Built b = Build(
      {Declare("image", "manifest-relative.img", "path"), Declare("tag", "x"),
       Declare("out", "o", "path"), Declare("abs", "a", "path"), Declare("tmpl", "t", "path")},
      {{"image", "vm/../disk.img"}, {"tag", "rel/x"}, {"abs", "/srv/a.img"}, {"tmpl", "${out}/x"}});
  EXPECT_TRUE(b.diagnostics.empty()) << b.diagnostics.ToString();
  const std::map<std::string, std::string> values = b.table.Values();
  EXPECT_EQ(values.at("image"), "/cwd/disk.img");
  EXPECT_EQ(values.at("tag"), "rel/x");  // not a path variable
  EXPECT_EQ(values.at("out"), "o");      // defaults stay manifest-relative
  EXPECT_EQ(values.at("abs"), "/srv/a.img");
  EXPECT_EQ(values.at("tmpl"), "${out}/x");  // a template is resolved where it is used
}

TEST(VarTableTest, DateAndTimeCanBeOverriddenButJobCannot) {
  Built b = Build({}, {{"date", "2020-01-01"}, {"job", "x"}});
  EXPECT_EQ(b.table.Expand(Text("${date}"), "", &b.diagnostics), "2020-01-01");
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml: --var job=x: ${job} is each job's name and cannot be set\n");
}

TEST(VarTableTest, ValuesMayUseOtherVariablesAndJob) {
  Built b = Build({Declare("base", "out"), Declare("dest", "${base}/${job}/${date}", "path")});
  EXPECT_TRUE(b.diagnostics.empty()) << b.diagnostics.ToString();
  EXPECT_EQ(b.table.Expand(Text("${dest}"), "etc", &b.diagnostics), "out/etc/2026-03-07");
}

TEST(VarTableTest, OverrideValuesAreTemplatesToo) {
  Built b = Build({Declare("dest", "x")}, {{"dest", "backup/${date}"}});
  EXPECT_EQ(b.table.Expand(Text("${dest}"), "", &b.diagnostics), "backup/2026-03-07");
}

TEST(VarTableTest, TypesAreCheckedOnDefaultsAndOverrides) {
  Built b = Build({Declare("n", "many", "int"), Declare("on", "true", "bool")}, {{"on", "maybe"}});
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:2:1: --var on=maybe: variable 'on': expected true or false, found 'maybe'\n"
            "m.yaml:4:1: variable 'n': expected an int, found 'many'\n");
}

TEST(VarTableTest, UnknownTypeIsReportedWithASuggestion) {
  Built b = Build({Declare("n", "1", "integer")});
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:3:1: type: unknown variable type 'integer' (expected string, int, bool or "
            "path)\n");
  b = Build({Declare("n", "1", "bol")});
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:3:1: type: unknown variable type 'bol' (did you mean 'bool'?)\n");
}

TEST(VarTableTest, OverrideOfAnUndeclaredVariableIsAFileLevelError) {
  Built b = Build({Declare("image", "a.img")}, {{"imgae", "b.img"}});
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml: --var imgae=b.img: no variable 'imgae' is declared in vars (did you mean "
            "'image'?)\n");
}

TEST(VarTableTest, VariableWithoutValueMustBeGivenOnTheCommandLine) {
  Built missing = Build({Required("image", "path")});
  EXPECT_EQ(missing.diagnostics.ToString(),
            "m.yaml:2:1: variable 'image' has no default; give it with --var image=VALUE\n");
  Built given = Build({Required("image", "path")}, {{"image", "x.img"}});
  EXPECT_TRUE(given.diagnostics.empty()) << given.diagnostics.ToString();
}

TEST(VarTableTest, UnknownVariableIsReportedAtTheUseWithASuggestion) {
  Built b = Build({Declare("image", "a.img")});
  EXPECT_EQ(b.table.Expand(Text("${imgae}", 7), "j", &b.diagnostics), std::nullopt);
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:7:1: unknown variable ${imgae} (did you mean ${image}?)\n");
}

TEST(VarTableTest, CycleIsReportedOnceAndUsesFailSilently) {
  Built b = Build({Declare("a", "${b}"), Declare("b", "x${a}")});
  EXPECT_EQ(b.diagnostics.ToString(), "m.yaml:4:1: variable 'a': cycle: a -> b -> a\n");
  EXPECT_EQ(b.table.Expand(Text("${b}", 9), "", &b.diagnostics), std::nullopt);
  EXPECT_EQ(b.diagnostics.size(), 1u);
}

TEST(VarTableTest, ProblemInsideAnotherVariableIsReportedThereOnly) {
  Built b = Build({Declare("outer", "${inner}/x"), Declare("inner", "${nope}")});
  EXPECT_EQ(b.diagnostics.ToString(), "m.yaml:4:1: variable 'inner': unknown variable ${nope}\n");
  EXPECT_EQ(b.table.Expand(Text("${outer}"), "", &b.diagnostics), std::nullopt);
  EXPECT_EQ(b.diagnostics.size(), 1u);
}

TEST(VarTableTest, BuiltInsCannotBeDeclaredAndNamesAreChecked) {
  Built b = Build({Declare("time", "now"), Declare("job", "x"), Declare("a b", "1")});
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:2:1: 'time' is a built-in variable and cannot be declared (--var can "
            "override date and time)\n"
            "m.yaml:2:1: 'job' is a built-in variable and cannot be declared (--var can override "
            "date and time)\n"
            "m.yaml:2:1: variable name 'a b' must be letters, digits, '_' and '-', starting with "
            "a letter or '_'\n");
}

// Each level uses the one below twice: naive expansion doubles at every level.
std::vector<VarConfig> Doubling(int levels, const std::string& base) {
  std::vector<VarConfig> vars{Declare("v0", base)};
  for (int i = 1; i < levels; ++i) {
    const std::string below = "${v" + std::to_string(i - 1) + "}";
    vars.push_back(Declare("v" + std::to_string(i), below + below));
  }
  return vars;
}

TEST(VarTableTest, ExpansionThatDoublesPerLevelStopsAtTheSizeCap) {
  // 2^15 copies of 64 bytes: 2 MiB, past the 1 MiB cap of one expanded value.
  Built b = Build(Doubling(16, std::string(64, 'x')));
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:4:1: variable 'v15': expands to more than 1048576 bytes (the limit of one "
            "expanded value, variables inside it included)\n");
  EXPECT_EQ(b.table.Expand(Text("${v15}", 9), "", &b.diagnostics), std::nullopt);
  EXPECT_EQ(b.diagnostics.size(), 1u);
  // One level below fits: 1 MiB exactly is allowed.
  std::optional<std::string> v14 = b.table.Expand(Text("${v14}"), "", &b.diagnostics);
  ASSERT_TRUE(v14.has_value());
  EXPECT_EQ(v14->size(), 1u << 20);
}

TEST(VarTableTest, ExpansionOfEmptyValuesDoublingPerLevelIsLinear) {
  // Every value is empty, so no size cap applies: only memoizing each variable's value
  // keeps this from taking 2^16 lookups per use (it would run for minutes).
  std::vector<VarConfig> vars{Declare("v0", "")};
  for (int i = 1; i < 16; ++i) {
    const std::string below = "${v" + std::to_string(i - 1) + "}";
    vars.push_back(Declare("v" + std::to_string(i), below + below + below + below));
  }
  Built b = Build(vars);
  EXPECT_EQ(b.diagnostics.ToString(), "");
  for (int use = 0; use < 100; ++use) {
    EXPECT_EQ(b.table.Expand(Text("${v15}"), "j", &b.diagnostics), "");
  }
}

TEST(VarTableTest, VariablesNestedDeeperThanTheCapAreReported) {
  std::vector<VarConfig> vars{Declare("v0", "x")};
  for (int i = 1; i <= 17; ++i) {
    vars.push_back(Declare("v" + std::to_string(i), "${v" + std::to_string(i - 1) + "}"));
  }
  Built b = Build(vars);
  // v16 uses 16 variables below it, the deepest allowed; v17 is one too deep.
  EXPECT_EQ(b.diagnostics.ToString(),
            "m.yaml:4:1: variable 'v17': variables nest more than 16 deep: v17 -> v16 -> v15 "
            "-> v14 -> v13 -> v12 -> v11 -> v10 -> v9 -> v8 -> v7 -> v6 -> v5 -> v4 -> v3 -> "
            "v2 -> v1 -> v0\n");
  EXPECT_EQ(b.table.Expand(Text("${v16}"), "", &b.diagnostics), "x");
  EXPECT_EQ(b.table.Expand(Text("${v17}"), "", &b.diagnostics), std::nullopt);
  EXPECT_EQ(b.diagnostics.size(), 1u);
}

TEST(VarTableTest, ManifestWideExpansionBudgetIsReportedOnce) {
  // 512 KiB per use fits one value; each use also builds the variables beneath it (about
  // 1 MiB more), so some twenty uses pass the 32 MiB budget of a manifest.
  Built b = Build(Doubling(14, std::string(64, 'y')));
  ASSERT_EQ(b.diagnostics.ToString(), "");
  int expanded = 0;
  for (int use = 0; use < 80; ++use) {
    if (b.table.Expand(Text("${v13}", 20 + use), "", &b.diagnostics)) ++expanded;
  }
  EXPECT_GT(expanded, 10);
  EXPECT_LT(expanded, 32);
  ASSERT_EQ(b.diagnostics.size(), 1u);
  EXPECT_EQ(b.diagnostics.Sorted()[0].message,
            "variables expand to more than 33554432 bytes in this manifest (the limit of all "
            "expanded values together); later values using variables are not checked");
}

TEST(SystemLocalTimeTest, IsAPlausibleCivilTime) {
  const LocalTime now = SystemLocalTime();
  EXPECT_GE(now.year, 2024);
  EXPECT_GE(now.month, 1);
  EXPECT_LE(now.month, 12);
  EXPECT_GE(now.day, 1);
  EXPECT_LE(now.day, 31);
  EXPECT_LE(now.hour, 23);
}

}  // namespace
}  // namespace diskferry
