#pragma once
// homeboy's stdout: an ostream straight onto the file descriptor that keeps the error of the
// first write that failed (ENOSPC on a full disk, EIO, EPIPE when the reader has gone).
// Through std::cout a failed write was only a stream state with its reason lost, and a
// backup cut off by a full disk exited 0.

#include <array>
#include <ostream>
#include <streambuf>

namespace homeboy::cli {

class OutputBuffer : public std::streambuf {
 public:
  explicit OutputBuffer(int fd) noexcept;
  int error() const noexcept { return error_; }
  int fd() const noexcept { return fd_; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* data, std::streamsize size) override;
  int sync() override;

 private:
  bool drain(const char* data, std::size_t size);  // false, with error_ set, when a write failed
  bool flush_buffer();

  int fd_;
  int error_ = 0;
  std::array<char, 8192> buffer_;
};

class OutputStream : private OutputBuffer, public std::ostream {
 public:
  explicit OutputStream(int fd);
  ~OutputStream() override;  // flushes what is left

  // The errno of the first write that failed, or 0: known once flush() has run. Whatever
  // comes after a failure is dropped.
  using OutputBuffer::error;
  using OutputBuffer::fd;  // where the answer goes (stdout as homeboy was given it)
};

}  // namespace homeboy::cli
