// Flag names may be written with dashes or underscores: `--tls-cert` and
// `--tls_cert` are the same flag, in evstored and in the evstore CLI.
// Only the NAME of a flag changes; its value is never touched.
#ifndef EVSTORE_BASE_FLAG_NAMES_H_
#define EVSTORE_BASE_FLAG_NAMES_H_

#include <algorithm>
#include <string>
#include <string_view>

namespace evstore {

// `name` with every '-' replaced by '_' ("tls-client-ca" -> "tls_client_ca").
inline std::string CanonicalFlagName(std::string_view name) {
  std::string canonical(name);
  std::replace(canonical.begin(), canonical.end(), '-', '_');
  return canonical;
}

// Whether `a` and `b` name the same flag, dashes and underscores alike.
inline bool SameFlagName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CanonicalFlagName(a) == CanonicalFlagName(b);
}

// A command-line argument with the name of its flag made canonical:
// "--tls-cert=/a-b.pem" -> "--tls_cert=/a-b.pem", "-allow-insecure" ->
// "-allow_insecure". Returns `arg` unchanged when it is not a flag: not
// starting with '-', or exactly "-" or "--" (the end of the flags). A value
// given as the next argument ("--tls-cert /a-b.pem") is a separate argument;
// the caller must not pass it here.
inline std::string CanonicalFlagArgument(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-' || arg == "--") return std::string(arg);
  const size_t dashes = arg[1] == '-' ? 2 : 1;
  const size_t equals = arg.find('=');
  const size_t name_end =
      equals == std::string_view::npos ? arg.size() : equals;
  if (name_end <= dashes) return std::string(arg);
  return std::string(arg.substr(0, dashes)) +
         CanonicalFlagName(arg.substr(dashes, name_end - dashes)) +
         std::string(arg.substr(name_end));
}

}  // namespace evstore

#endif  // EVSTORE_BASE_FLAG_NAMES_H_
