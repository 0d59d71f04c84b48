#include "cli/output_stream.hpp"

#include "homeboy/transport/fd.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace homeboy::cli {

OutputBuffer::OutputBuffer(int fd) noexcept : fd_(fd) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }

bool OutputBuffer::drain(const char* data, std::size_t size) {
  if (!error_ && !write_all(fd_, {data, size})) error_ = errno;  // EIO: write(2) wrote nothing
  return !error_;
}

bool OutputBuffer::flush_buffer() {
  bool written = drain(pbase(), static_cast<std::size_t>(pptr() - pbase()));
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return written;
}

OutputBuffer::int_type OutputBuffer::overflow(int_type c) {
  if (!flush_buffer()) return traits_type::eof();
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  *pptr() = traits_type::to_char_type(c);
  pbump(1);
  return c;
}

std::streamsize OutputBuffer::xsputn(const char* data, std::streamsize size) {
  auto n = static_cast<std::size_t>(size);
  if (n <= static_cast<std::size_t>(epptr() - pptr())) {
    std::memcpy(pptr(), data, n);
    pbump(static_cast<int>(n));
    return size;
  }
  // A large piece (JsonWriter hands over 64 KiB at a time) goes straight through.
  if (!flush_buffer() || !drain(data, n)) return 0;
  return size;
}

int OutputBuffer::sync() { return flush_buffer() ? 0 : -1; }

OutputStream::OutputStream(int fd) : OutputBuffer(fd), std::ostream(static_cast<OutputBuffer*>(this)) {}

OutputStream::~OutputStream() { flush(); }

}  // namespace homeboy::cli
