#include "ewf/ewf_image.h"

#include <libewf.h>

#include <cstdio>
#include <utility>

namespace diskferry {
namespace {

// libewf's message for `error` (its last frame is the most specific), then frees it.
std::string Describe(libewf_error_t** error) {
  if (*error == nullptr) return "unknown libewf error";
  char text[1024] = {};
  libewf_error_sprint(*error, text, sizeof text);
  libewf_error_free(error);
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string Hex(const uint8_t* bytes, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 0xf];
  }
  return out;
}

}  // namespace

struct EwfImage::Handle {
  libewf_handle_t* handle = nullptr;
  bool open = false;
  ~Handle() {
    if (handle == nullptr) return;
    if (open) libewf_handle_close(handle, nullptr);
    libewf_handle_free(&handle, nullptr);
  }
};

EwfImage::EwfImage(std::string path, std::unique_ptr<Handle> handle, uint64_t media_size)
    : path_(std::move(path)), handle_(std::move(handle)), media_size_(media_size) {}

EwfImage::~EwfImage() = default;

std::unique_ptr<EwfImage> EwfImage::Open(const std::string& first_segment, std::string* error) {
  libewf_error_t* err = nullptr;
  char** names = nullptr;
  int count = 0;
  if (libewf_glob(first_segment.c_str(), first_segment.size(), LIBEWF_FORMAT_UNKNOWN, &names,
                  &count, &err) != 1) {
    *error = first_segment + ": cannot find its segment files: " + Describe(&err);
    return nullptr;
  }
  auto handle = std::make_unique<Handle>();
  int opened = libewf_handle_initialize(&handle->handle, &err);
  if (opened == 1)
    opened = libewf_handle_open(handle->handle, names, count, LIBEWF_OPEN_READ, &err);
  libewf_glob_free(names, count, nullptr);
  if (opened != 1) {
    *error = first_segment + ": not a readable EWF image: " + Describe(&err);
    return nullptr;
  }
  handle->open = true;
  // libewf opens the segments it finds (a gap ends libewf_glob's search) and reports the
  // set as corrupted when the last one lacks the closing section: a missing segment,
  // which reads would otherwise only show as checksum errors from its offset on.
  if (libewf_handle_segment_files_corrupted(handle->handle, &err) != 0) {
    *error = first_segment + ": its segment files are incomplete or damaged (" +
             std::to_string(count) + " found; is a segment missing?)" +
             (err != nullptr ? ": " + Describe(&err) : std::string());
    return nullptr;
  }
  size64_t size = 0;
  if (libewf_handle_get_media_size(handle->handle, &size, &err) != 1) {
    *error = first_segment + ": no media size: " + Describe(&err);
    return nullptr;
  }
  std::unique_ptr<EwfImage> image(new EwfImage(first_segment, std::move(handle), size));
  return image;
}

bool EwfImage::Read(void* buffer, size_t count, uint64_t offset, std::string* error) {
  if (offset > media_size_ || count > media_size_ - offset) {
    *error = path_ + ": read of " + std::to_string(count) + " bytes at " + std::to_string(offset) +
             " is past the end of the medium (" + std::to_string(media_size_) + " bytes)";
    return false;
  }
  const uint64_t start = offset;
  auto* out = static_cast<uint8_t*>(buffer);
  libewf_error_t* err = nullptr;
  for (size_t left = count; left > 0;) {
    const ssize_t n =
        libewf_handle_read_random(handle_->handle, out, left, static_cast<off64_t>(offset), &err);
    if (n <= 0) {
      *error = path_ + ": read at " + std::to_string(offset) +
               " failed: " + (n < 0 ? Describe(&err) : std::string("no data"));
      return false;
    }
    out += n;
    offset += static_cast<uint64_t>(n);
    left -= static_cast<size_t>(n);
  }
  if (!NoteChecksumErrors(error)) return false;
  // libewf keeps a damaged chunk in its cache, zero-filled, and counts its error once:
  // every later read that touches it must fail too.
  for (const auto& [bad_start, bad_end] : damaged_) {
    if (start < bad_end && bad_start < start + count) {
      *error = path_ + ": the chunk at offset " + std::to_string(bad_start) +
               " fails its checksum (the image is damaged or was altered)";
      return false;
    }
  }
  return true;
}

bool EwfImage::NoteChecksumErrors(std::string* error) {
  libewf_error_t* err = nullptr;
  uint32_t errors = 0;
  if (libewf_handle_get_number_of_checksum_errors(handle_->handle, &errors, &err) != 1) {
    *error = path_ + ": " + Describe(&err);
    return false;
  }
  uint32_t bytes_per_sector = 512;
  libewf_handle_get_bytes_per_sector(handle_->handle, &bytes_per_sector, nullptr);
  for (uint32_t i = static_cast<uint32_t>(damaged_.size()); i < errors; ++i) {
    uint64_t first = 0;
    uint64_t sectors = 0;
    if (libewf_handle_get_checksum_error(handle_->handle, i, &first, &sectors, &err) != 1) {
      *error = path_ + ": " + Describe(&err);
      return false;
    }
    damaged_.emplace_back(first * bytes_per_sector, (first + sectors) * bytes_per_sector);
  }
  return true;
}

std::map<std::string, std::string> EwfImage::StoredHashes() {
  std::map<std::string, std::string> out;
  uint8_t md5[16];
  uint8_t sha1[20];
  if (libewf_handle_get_md5_hash(handle_->handle, md5, sizeof md5, nullptr) == 1) {
    out["md5"] = Hex(md5, sizeof md5);
  }
  if (libewf_handle_get_sha1_hash(handle_->handle, sha1, sizeof sha1, nullptr) == 1) {
    out["sha1"] = Hex(sha1, sizeof sha1);
  }
  return out;
}

}  // namespace diskferry
