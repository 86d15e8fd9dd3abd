#include "appliance/appliance_state.h"

#include <cstdio>
#include <cstdlib>

#include "protocol/check.h"

namespace diskferry {

std::string_view ApplianceStateName(ApplianceState state) {
  switch (state) {
    case ApplianceState::kConfig:
      return "config";
    case ApplianceState::kLaunching:
      return "launching";
    case ApplianceState::kReady:
      return "ready";
    case ApplianceState::kClosed:
      return "closed";
  }
  return "unknown";
}

std::string_view ApplianceEventName(ApplianceEvent event) {
  switch (event) {
    case ApplianceEvent::kSpawn:
      return "spawn";
    case ApplianceEvent::kHello:
      return "hello";
    case ApplianceEvent::kFail:
      return "fail";
    case ApplianceEvent::kClose:
      return "close";
  }
  return "unknown";
}

std::optional<ApplianceState> NextApplianceState(ApplianceState from, ApplianceEvent event) {
  using S = ApplianceState;
  using E = ApplianceEvent;
  switch (from) {
    case S::kConfig:
      if (event == E::kSpawn) return S::kLaunching;  // kConfig --Spawn--> kLaunching
      if (event == E::kClose) return S::kClosed;     // kConfig --Close--> kClosed
      break;
    case S::kLaunching:
      if (event == E::kHello) return S::kReady;  // kLaunching --Hello--> kReady
      if (event == E::kFail) return S::kClosed;  // kLaunching --Fail--> kClosed
      break;
    case S::kReady:
      if (event == E::kClose) return S::kClosed;  // kReady --Close--> kClosed
      break;
    case S::kClosed:
      break;
  }
  return std::nullopt;
}

void ApplianceStateMachine::Apply(ApplianceEvent event) {
  const std::optional<ApplianceState> next = NextApplianceState(state_, event);
  if (!next) {
    std::fprintf(stderr, "appliance: no transition from %s on %s\n",
                 ApplianceStateName(state_).data(), ApplianceEventName(event).data());
  }
  DF_CHECK(next.has_value());
  state_ = *next;
}

}  // namespace diskferry
