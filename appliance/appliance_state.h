// The lifecycle of one appliance as a pure state machine, apart from QEMU so that it can be
// tested without a VM. Appliance (appliance.h) owns one and changes state only through it.
//
//   kConfig    --Spawn------> kLaunching   temp dir, socket, shm ready; QEMU started
//   kLaunching --Hello------> kReady       the daemon answered hello and passed the checks
//   kLaunching --Fail-------> kClosed      QEMU exited, hello timed out or was refused
//   kReady     --Close------> kClosed      Shutdown() or the destructor
//   kConfig    --Close------> kClosed      nothing was started
//
// Any other (state, event) pair is a bug in diskferry: Apply() DF_CHECKs it.
//
// Thread-compatible: owned by one Appliance, used by its owner's thread.
#ifndef DISKFERRY_APPLIANCE_APPLIANCE_STATE_H_
#define DISKFERRY_APPLIANCE_APPLIANCE_STATE_H_

#include <optional>
#include <string_view>

namespace diskferry {

enum class ApplianceState { kConfig, kLaunching, kReady, kClosed };
enum class ApplianceEvent { kSpawn, kHello, kFail, kClose };

std::string_view ApplianceStateName(ApplianceState state);
std::string_view ApplianceEventName(ApplianceEvent event);

// The state `event` leads to from `from`, or std::nullopt if the edge does not exist.
std::optional<ApplianceState> NextApplianceState(ApplianceState from, ApplianceEvent event);

class ApplianceStateMachine {
 public:
  ApplianceState state() const { return state_; }
  bool CanApply(ApplianceEvent event) const {
    return NextApplianceState(state_, event).has_value();
  }
  // Takes the edge; an edge that does not exist is a bug (DF_CHECK, with both names).
  void Apply(ApplianceEvent event);

 private:
  ApplianceState state_ = ApplianceState::kConfig;
};

}  // namespace diskferry

#endif  // DISKFERRY_APPLIANCE_APPLIANCE_STATE_H_
