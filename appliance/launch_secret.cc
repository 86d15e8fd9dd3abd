#include "appliance/launch_secret.h"

namespace diskferry {

Result<LaunchSecret> LaunchSecret::Draw() {
  Bytes bytes{};
  if (Status s = internal::FillRandom(bytes); !s.ok()) return s;
  return LaunchSecret(bytes);
}

Status LaunchSecret::WriteTo(const std::string& path) const {
  return internal::WritePrivateFile(path, bytes_);
}

bool LaunchSecret::Matches(std::span<const uint8_t> echoed) const {
  if (echoed.size() != bytes_.size()) return false;
  // Every byte is looked at whatever the others hold: an impostor timing its guesses
  // learns nothing about a prefix. volatile keeps the compiler from ending the loop early.
  volatile uint8_t differ = 0;
  for (size_t i = 0; i < bytes_.size(); ++i) differ = differ | (bytes_[i] ^ echoed[i]);
  return differ == 0;
}

}  // namespace diskferry
