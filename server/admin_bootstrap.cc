#include "server/admin_bootstrap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "storage/access_token.h"

namespace evstore::server {
namespace {

absl::Status WriteNewFile(const std::string& path, std::string_view text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                      S_IRUSR | S_IWUSR);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      return absl::FailedPreconditionError(absl::StrCat(
          path,
          " exists but the data directory holds no admin token: it is "
          "stale (from an interrupted first start or another data "
          "directory); remove it and start again to create a new one"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot create ", path, ": ", std::strerror(error)));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      unlink(path.c_str());
      return absl::UnavailableError(
          absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  const int error = errno;
  close(fd);
  if (!synced) {
    unlink(path.c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot fsync ", path, ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

// Makes the new file's directory entry durable.
void SyncDirectory(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)fsync(fd);
  close(fd);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> BootstrapAdminToken(
    const std::string& data_dir, TokenStore& tokens, int64_t now_micros) {
  if (tokens.HasAdmin()) return std::nullopt;
  absl::StatusOr<std::string> token = GenerateAccessToken();
  if (!token.ok()) return token.status();
  const std::string path =
      (std::filesystem::path(data_dir) / kAdminTokenFileName).string();
  if (absl::Status s = WriteNewFile(path, *token + "\n"); !s.ok()) return s;
  SyncDirectory(data_dir);
  TokenRecord record;
  record.hash = HashAccessToken(*token);
  record.role = TokenRole::kAdmin;
  record.description = "bootstrap admin token (admin.token)";
  record.created_at_micros = now_micros;
  if (absl::Status s = tokens.Create(std::move(record)); !s.ok()) {
    unlink(path.c_str());
    return s;
  }
  return path;
}

}  // namespace evstore::server
