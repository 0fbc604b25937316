#include "storage/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace evstore {
namespace {

namespace fs = std::filesystem;

absl::Status FsyncPath(const fs::path& path, bool directory) {
  const int fd =
      open(path.c_str(),
           (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", path.string(), ": ",
                                            std::strerror(errno)));
  }
  const int result = fsync(fd);
  const int error = errno;
  close(fd);
  if (result != 0) {
    return absl::InternalError(absl::StrCat("cannot fsync ", path.string(),
                                            ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

absl::Status CopyFileDurably(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::none, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot copy ", from.string(),
                                            " to ", to.string(), ": ",
                                            ec.message()));
  }
  return FsyncPath(to, false);
}

// The backup directory named by data_dir's kRestoredFromFile; empty when
// there is none.
std::string RestoredFrom(const fs::path& data_dir) {
  std::ifstream in(data_dir / kRestoredFromFile);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

absl::Status WriteRestoredFrom(const fs::path& data_dir,
                               const std::string& backup_dir) {
  const fs::path path = data_dir / kRestoredFromFile;
  {
    std::ofstream out(path, std::ios::trunc);
    out << backup_dir << "\n";
    out.flush();
    if (!out) {
      return absl::InternalError(absl::StrCat("cannot write ", path.string()));
    }
  }
  return FsyncPath(path, false);
}

bool IsInside(const fs::path& path, const fs::path& dir) {
  const std::string inner = path.lexically_normal().string();
  std::string outer = dir.lexically_normal().string();
  if (inner == outer) return true;
  if (!outer.empty() && outer.back() != '/') outer += '/';
  return absl::StartsWith(inner, outer);
}

}  // namespace

absl::Status ValidateBackupDirectory(const std::string& dir,
                                     const std::string& data_dir) {
  const fs::path path(dir);
  if (dir.empty() || !path.is_absolute()) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup directory \"", dir,
                     "\" must be an absolute path (a path on the server)"));
  }
  if (path.lexically_normal() != path ||
      path.lexically_normal().string() != dir || absl::EndsWith(dir, "/")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "backup directory \"", dir,
        "\" must be normalized (no \".\", \"..\", \"//\" or trailing \"/\")"));
  }
  std::error_code ec;
  const fs::path data = fs::weakly_canonical(fs::absolute(data_dir, ec), ec);
  const fs::path parent = fs::weakly_canonical(path.parent_path(), ec);
  if (IsInside(parent / path.filename(), data)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup directory \"", dir,
                     "\" must not be inside the data directory"));
  }
  if (fs::symlink_status(path, ec).type() != fs::file_type::not_found) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup directory \"", dir, "\" already exists; choose a new one"));
  }
  if (!fs::is_directory(path.parent_path(), ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the parent directory of backup directory \"", dir,
                     "\" does not exist on the server"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DirectoryUsage> UsageOf(const std::string& dir) {
  DirectoryUsage usage;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    ++usage.files;
    usage.bytes += entry.file_size(ec);
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot list ", dir, ": ", ec.message()));
  }
  return usage;
}

absl::StatusOr<RestoreOutcome> RestoreBackup(const std::string& backup_dir,
                                             const std::string& data_dir) {
  std::error_code ec;
  if (!backup_dir.empty() && RestoredFrom(data_dir) == backup_dir) {
    return RestoreOutcome::kAlreadyRestored;
  }
  std::vector<fs::path> files;
  bool has_current = false;
  bool has_manifest = false;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(backup_dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    if (name == "CURRENT") {
      has_current = true;
      continue;  // Copied last.
    }
    has_manifest = has_manifest || absl::StartsWith(name, "MANIFEST-");
    files.push_back(entry.path());
  }
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read backup directory ", backup_dir, ": ", ec.message()));
  }
  if (!has_current || !has_manifest) {
    return absl::FailedPreconditionError(
        absl::StrCat(backup_dir,
                     " is not an evstore backup (it has no CURRENT or "
                     "MANIFEST file)"));
  }
  if (fs::exists(data_dir, ec)) {
    if (!fs::is_directory(data_dir, ec) || !fs::is_empty(data_dir, ec)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot restore into data directory ", data_dir,
          ": it is not empty (restore only into a new or empty directory)"));
    }
  } else {
    fs::create_directories(data_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot create data directory ", data_dir, ": ", ec.message()));
    }
  }
  const fs::path target(data_dir);
  for (const fs::path& file : files) {
    absl::Status status = CopyFileDurably(file, target / file.filename());
    if (!status.ok()) return status;
  }
  absl::Status status =
      CopyFileDurably(fs::path(backup_dir) / "CURRENT", target / "CURRENT");
  if (!status.ok()) return status;
  status = WriteRestoredFrom(target, backup_dir);
  if (!status.ok()) return status;
  status = FsyncPath(target, true);
  if (!status.ok()) return status;
  return RestoreOutcome::kRestored;
}

}  // namespace evstore
