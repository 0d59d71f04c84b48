#include "cli/output.hpp"

#include "homeboy/contract/json_exact.hpp"

#include <boost/json.hpp>

#include <ostream>

namespace json = boost::json;

namespace homeboy::cli {

namespace {

// {"code", "message", "retryable", "details", "hints"}: the details by `details`.
void write_error(JsonWriter& out, const Error& error, const std::function<void(JsonWriter&)>& details) {
  out.key("error");
  out.begin_object();
  out.key("code");
  out.string(error.code());
  out.key("message");
  out.string(error.what());
  out.key("retryable");
  out.boolean(error.retryable());
  out.key("details");
  details(out);
  out.key("hints");
  out.begin_array();
  for (const auto& h : error.hints()) {
    out.begin_object();
    out.key("message");
    out.string(h);
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

void write_envelope(JsonWriter& out, const Error& error) {
  out.begin_object();
  out.key("success");
  out.boolean(false);
  write_error(out, error, [&](JsonWriter& w) { w.value(error.details()); });
  out.end_object();
  out.text().push_back('\n');
}

}  // namespace

void Reply::stream(std::string_view key, Writer writer) {
  data_[key] = nullptr;  // holds the member's place
  streamed_.insert_or_assign(std::string(key), std::move(writer));
}

void Reply::write_data(JsonWriter& out) const {
  out.begin_object();
  for (const auto& kv : data_) {
    out.key(kv.key());
    if (auto it = streamed_.find(std::string_view(kv.key())); it != streamed_.end())
      it->second(out);
    else
      out.value(kv.value());
  }
  out.end_object();
}

void print(std::ostream& stream, const Reply& reply, bool compact) {
  JsonWriter out(stream);
  out.set_compact(compact);
  out.begin_object();
  out.key("success");
  out.boolean(!reply.failure());
  if (reply.failure()) {
    write_error(out, *reply.failure(), [&](JsonWriter& w) { reply.write_data(w); });
  } else {
    out.key("data");
    reply.write_data(out);
  }
  out.end_object();
  out.text().push_back('\n');
  out.flush();
}

void print(std::ostream& stream, const Error& error, bool compact) {
  JsonWriter out(stream);
  out.set_compact(compact);
  write_envelope(out, error);
  out.flush();
}

std::string render(const Error& error, bool compact) {
  JsonWriter out;
  out.set_compact(compact);
  write_envelope(out, error);
  return std::move(out.text());
}

json::object materialize(const Reply& reply) {
  JsonWriter out;
  out.set_compact(true);
  reply.write_data(out);
  // Read back exactly: a document's numbers keep the text they were given.
  exact_json::Failure failure;
  return std::move(exact_json::parse(out.text(), std::size_t(-1), failure).value().as_object());
}

boost::json::value seconds_json(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return ms % 1000 == 0 ? boost::json::value(ms / 1000) : boost::json::value(static_cast<double>(ms) / 1000.0);
}

}  // namespace homeboy::cli
